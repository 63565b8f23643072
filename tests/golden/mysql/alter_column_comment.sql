ALTER TABLE accounts MODIFY note TEXT COMMENT 'free text, it''s optional' DEFAULT 'it''s';
