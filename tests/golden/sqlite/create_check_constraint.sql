SELECT json_extract('{}', 'sqlcompile: rebuilding table accounts would drop its trigger ' || name || ' (not created by this history''s SQL, so the schema model cannot create it again); nothing was changed') FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'accounts';

CREATE TABLE _sqlcompile_new_accounts (
	id INTEGER NOT NULL, 
	owner_id INTEGER NOT NULL, 
	parent_id INTEGER, 
	email VARCHAR(255) NOT NULL, 
	balance NUMERIC(12, 2) DEFAULT '0' NOT NULL, 
	active BOOLEAN DEFAULT 1 NOT NULL, 
	note TEXT DEFAULT 'it''s', 
	code VARCHAR(10), 
	legacy TEXT, 
	CONSTRAINT pk_accounts PRIMARY KEY (id), 
	CONSTRAINT fk_accounts_owner FOREIGN KEY(owner_id) REFERENCES users (id), 
	CONSTRAINT uq_accounts_email UNIQUE (email), 
	CONSTRAINT ck_accounts_balance CHECK (balance >= 0), 
	CONSTRAINT ck_accounts_email CHECK (email <> '')
);

INSERT INTO _sqlcompile_new_accounts (id, owner_id, parent_id, email, balance, active, note, code, legacy) SELECT accounts.id, accounts.owner_id, accounts.parent_id, accounts.email, accounts.balance, accounts.active, accounts.note, accounts.code, accounts.legacy 
FROM accounts;

DROP TABLE accounts;

ALTER TABLE _sqlcompile_new_accounts RENAME TO accounts;

CREATE UNIQUE INDEX ix_accounts_email ON accounts (email);
