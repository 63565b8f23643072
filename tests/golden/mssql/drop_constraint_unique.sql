ALTER TABLE accounts DROP CONSTRAINT uq_accounts_email;
