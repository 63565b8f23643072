ALTER TABLE accounts ADD CONSTRAINT ck_accounts_email CHECK (email <> '');
