ERROR: revision aaaaaaaaaaaa (upgrade): add_column accounts.nickname cannot be compiled for SQL Server: SQL Server has no ADD COLUMN IF NOT EXISTS
