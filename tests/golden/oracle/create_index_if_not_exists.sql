CREATE INDEX ix_accounts_owner_id ON accounts (owner_id);
