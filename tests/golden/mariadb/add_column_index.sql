ALTER TABLE accounts ADD COLUMN region VARCHAR(20);

CREATE INDEX ix_accounts_region ON accounts (region);
