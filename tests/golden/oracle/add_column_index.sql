ALTER TABLE accounts ADD region VARCHAR2(20 CHAR);

CREATE INDEX ix_accounts_region ON accounts (region);
