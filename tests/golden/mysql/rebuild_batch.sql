CREATE TABLE wallets (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	note TEXT, 
	legacy TEXT, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_wallets_legacy ON wallets (legacy);

ALTER TABLE wallets CHANGE note remark TEXT NOT NULL DEFAULT '-';

ALTER TABLE wallets DROP COLUMN legacy;

ALTER TABLE wallets ADD COLUMN code VARCHAR(8) NOT NULL DEFAULT (hex(randomblob(4)));

ALTER TABLE wallets ADD CONSTRAINT uq_wallets_code UNIQUE (code);
