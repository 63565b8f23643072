CREATE TABLE accounts (
	id INTEGER NOT NULL IDENTITY, 
	owner_id INTEGER NOT NULL, 
	email VARCHAR(255) NOT NULL, 
	balance NUMERIC(12, 2) NOT NULL CONSTRAINT [DF_accounts_balance] DEFAULT '0', 
	active BIT NOT NULL CONSTRAINT [DF_accounts_active] DEFAULT 1, 
	created_at DATETIMEOFFSET NOT NULL CONSTRAINT [DF_accounts_created_at] DEFAULT CURRENT_TIMESTAMP, 
	note VARCHAR(max) NULL CONSTRAINT [DF_accounts_note] DEFAULT 'it''s', 
	PRIMARY KEY (id), 
	CONSTRAINT uq_accounts_email UNIQUE (email), 
	CONSTRAINT ck_accounts_balance CHECK (balance >= 0), 
	FOREIGN KEY(owner_id) REFERENCES users (id) ON DELETE CASCADE
);

execute sp_addextendedproperty 'MS_Description', N'customer accounts', 'schema', dbo, 'table', accounts;

execute sp_addextendedproperty 'MS_Description', N'login, unique', 'schema', dbo, 'table', accounts, 'column', email;
