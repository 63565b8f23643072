CREATE TYPE wallet_kind AS ENUM ('cash', 'it''s card');

CREATE TABLE wallets (
	id SERIAL NOT NULL, 
	owner_id INTEGER, 
	balance INTEGER, 
	kind wallet_kind, 
	PRIMARY KEY (id), 
	CONSTRAINT fk_owner FOREIGN KEY(owner_id) REFERENCES users (id)
);

CREATE INDEX ix_wallets_owner ON wallets (owner_id);

ALTER TABLE wallets ALTER COLUMN balance TYPE NUMERIC(12, 2);

ALTER TABLE wallets ALTER COLUMN balance SET NOT NULL;

ALTER TABLE wallets ALTER COLUMN balance SET DEFAULT '0';
