ALTER TABLE accounts ADD COLUMN nickname VARCHAR(50);

COMMENT ON COLUMN accounts.nickname IS 'what friends call them';
