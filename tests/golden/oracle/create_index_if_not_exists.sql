ERROR: revision aaaaaaaaaaaa (upgrade): create_index ix_accounts_owner_id on accounts cannot be compiled for Oracle: Oracle 19c has no CREATE INDEX IF NOT EXISTS
