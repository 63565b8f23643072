CREATE TABLE accounts (
	id INTEGER NOT NULL, 
	owner_id INTEGER NOT NULL, 
	email VARCHAR(255) NOT NULL, 
	balance NUMERIC(12, 2) DEFAULT '0' NOT NULL, 
	active BOOLEAN DEFAULT 1 NOT NULL, 
	created_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	note TEXT DEFAULT 'it''s', 
	PRIMARY KEY (id), 
	CONSTRAINT uq_accounts_email UNIQUE (email), 
	CONSTRAINT ck_accounts_balance CHECK (balance >= 0), 
	FOREIGN KEY(owner_id) REFERENCES users (id) ON DELETE CASCADE
);
