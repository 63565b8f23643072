ERROR: revision aaaaaaaaaaaa (upgrade): create_index ix_accounts_owner_id on accounts cannot be compiled for SQL Server: SQL Server has no CREATE INDEX IF NOT EXISTS
