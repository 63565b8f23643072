ALTER TABLE accounts ADD COLUMN nickname VARCHAR(50);

ALTER TABLE accounts RENAME COLUMN note TO remark;

CREATE INDEX ix_accounts_nickname ON accounts (nickname);

DROP INDEX ix_accounts_email ON accounts;

ALTER TABLE accounts DROP COLUMN legacy;
