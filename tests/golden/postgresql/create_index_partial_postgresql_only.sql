CREATE INDEX ix_accounts_active_email ON accounts (email) WHERE active;
