ALTER TABLE accounts COMMENT 'customer''s accounts';
