CREATE TABLE wallets (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	owner_id INTEGER, 
	balance INTEGER, 
	kind ENUM('cash','it''s card'), 
	PRIMARY KEY (id), 
	CONSTRAINT fk_owner FOREIGN KEY(owner_id) REFERENCES users (id)
);

CREATE INDEX ix_wallets_owner ON wallets (owner_id);

ALTER TABLE wallets MODIFY balance NUMERIC(12, 2) NOT NULL DEFAULT '0';
