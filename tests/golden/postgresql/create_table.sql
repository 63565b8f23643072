CREATE TABLE accounts (
	id SERIAL NOT NULL, 
	owner_id INTEGER NOT NULL, 
	email VARCHAR(255) NOT NULL, 
	balance NUMERIC(12, 2) DEFAULT '0' NOT NULL, 
	active BOOLEAN DEFAULT true NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
	note TEXT DEFAULT 'it''s', 
	PRIMARY KEY (id), 
	CONSTRAINT uq_accounts_email UNIQUE (email), 
	CONSTRAINT ck_accounts_balance CHECK (balance >= 0), 
	FOREIGN KEY(owner_id) REFERENCES users (id) ON DELETE CASCADE
);

COMMENT ON TABLE accounts IS 'customer accounts';

COMMENT ON COLUMN accounts.email IS 'login, unique';
