CREATE TABLE wallets (
	id INTEGER NOT NULL IDENTITY, 
	note VARCHAR(max) NULL, 
	legacy VARCHAR(max) NULL, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_wallets_legacy ON wallets (legacy);

ALTER TABLE wallets ALTER COLUMN note VARCHAR(max) NOT NULL;

ALTER TABLE wallets ADD CONSTRAINT [DF_wallets_remark] DEFAULT '-' FOR note;

EXEC sp_rename N'wallets.note', N'remark', 'COLUMN';

ALTER TABLE wallets DROP COLUMN legacy;

ALTER TABLE wallets ADD code VARCHAR(8) NOT NULL CONSTRAINT [DF_wallets_code] DEFAULT (hex(randomblob(4)));

ALTER TABLE wallets ADD CONSTRAINT uq_wallets_code UNIQUE (code);
