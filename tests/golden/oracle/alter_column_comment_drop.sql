COMMENT ON COLUMN accounts.note IS '';
