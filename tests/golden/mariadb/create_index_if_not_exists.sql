CREATE INDEX IF NOT EXISTS ix_accounts_owner_id ON accounts (owner_id);
