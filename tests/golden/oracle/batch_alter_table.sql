ALTER TABLE accounts ADD nickname VARCHAR2(50 CHAR);

ALTER TABLE accounts RENAME COLUMN note TO remark;

CREATE INDEX ix_accounts_nickname ON accounts (nickname);

DROP INDEX ix_accounts_email;

ALTER TABLE accounts DROP COLUMN legacy;
