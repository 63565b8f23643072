COMMENT ON COLUMN accounts.note IS 'free text, it''s optional';
