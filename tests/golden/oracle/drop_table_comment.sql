COMMENT ON TABLE accounts IS '';
