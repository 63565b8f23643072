ALTER TABLE accounts DROP CONSTRAINT [DF_accounts_note];
