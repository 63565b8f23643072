CREATE TABLE wallets (
	id SERIAL NOT NULL, 
	note TEXT, 
	legacy TEXT, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_wallets_legacy ON wallets (legacy);

ALTER TABLE wallets ALTER COLUMN note SET NOT NULL;

ALTER TABLE wallets ALTER COLUMN note SET DEFAULT '-';

ALTER TABLE wallets RENAME COLUMN note TO remark;

ALTER TABLE wallets DROP COLUMN legacy;

ALTER TABLE wallets ADD COLUMN code VARCHAR(8) DEFAULT (hex(randomblob(4))) NOT NULL;

ALTER TABLE wallets ADD CONSTRAINT uq_wallets_code UNIQUE (code);
