ALTER TABLE accounts ADD region VARCHAR(20) NULL;

CREATE INDEX ix_accounts_region ON accounts (region);
