CREATE TABLE wallets (
	id INTEGER NOT NULL, 
	owner_id INTEGER, 
	balance INTEGER, 
	kind VARCHAR(9), 
	PRIMARY KEY (id), 
	CONSTRAINT fk_owner FOREIGN KEY(owner_id) REFERENCES users (id), 
	CHECK (kind IN ('cash', 'it''s card'))
);

CREATE INDEX ix_wallets_owner ON wallets (owner_id);

SELECT json_extract('{}', 'sqlcompile: rebuilding table wallets would drop its trigger ' || name || ' (not created by this history''s SQL, so the schema model cannot create it again); nothing was changed') FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'wallets';

CREATE TABLE _sqlcompile_new_wallets (
	id INTEGER NOT NULL, 
	owner_id INTEGER, 
	balance NUMERIC(12, 2) DEFAULT '0' NOT NULL, 
	kind VARCHAR(9), 
	PRIMARY KEY (id), 
	CONSTRAINT fk_owner FOREIGN KEY(owner_id) REFERENCES users (id), 
	CHECK (kind IN ('cash', 'it''s card'))
);

INSERT INTO _sqlcompile_new_wallets (id, owner_id, balance, kind) SELECT wallets.id, wallets.owner_id, wallets.balance, wallets.kind 
FROM wallets;

DROP TABLE wallets;

ALTER TABLE _sqlcompile_new_wallets RENAME TO wallets;

CREATE INDEX ix_wallets_owner ON wallets (owner_id);
