CREATE INDEX ix_accounts_lower_email ON accounts (lower(email));
