ERROR: revision aaaaaaaaaaaa (upgrade): add_column accounts.nickname cannot be compiled for Oracle: Oracle 19c has no ADD COLUMN IF NOT EXISTS
