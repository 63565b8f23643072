CREATE TABLE accounts (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	owner_id INTEGER NOT NULL, 
	email VARCHAR(255) NOT NULL COMMENT 'login, unique', 
	balance NUMERIC(12, 2) NOT NULL DEFAULT '0', 
	active BOOL NOT NULL DEFAULT true, 
	created_at DATETIME NOT NULL DEFAULT (now()), 
	note TEXT DEFAULT 'it''s', 
	PRIMARY KEY (id), 
	CONSTRAINT uq_accounts_email UNIQUE (email), 
	CONSTRAINT ck_accounts_balance CHECK (balance >= 0), 
	FOREIGN KEY(owner_id) REFERENCES users (id) ON DELETE CASCADE
)COMMENT='customer accounts';
