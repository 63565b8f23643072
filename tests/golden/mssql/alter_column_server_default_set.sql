ALTER TABLE accounts DROP CONSTRAINT [DF_accounts_note];

ALTER TABLE accounts ADD CONSTRAINT [DF_accounts_note] DEFAULT 'n/a' FOR note;
