ALTER TABLE accounts ADD nickname VARCHAR(50) NULL;

EXEC sp_rename N'accounts.note', N'remark', 'COLUMN';

CREATE INDEX ix_accounts_nickname ON accounts (nickname);

DROP INDEX ix_accounts_email ON accounts;

ALTER TABLE accounts DROP COLUMN legacy;
