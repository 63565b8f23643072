ALTER TABLE accounts MODIFY note TEXT DEFAULT 'it''s';
