CREATE TABLE wallets (
	id INTEGER NOT NULL IDENTITY, 
	owner_id INTEGER NULL, 
	balance INTEGER NULL, 
	kind VARCHAR(9) NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT fk_owner FOREIGN KEY(owner_id) REFERENCES users (id)
);

CREATE INDEX ix_wallets_owner ON wallets (owner_id);

ALTER TABLE wallets ALTER COLUMN balance NUMERIC(12, 2) NOT NULL;

ALTER TABLE wallets ADD CONSTRAINT [DF_wallets_balance] DEFAULT '0' FOR balance;
