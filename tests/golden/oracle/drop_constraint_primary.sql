ALTER TABLE accounts DROP CONSTRAINT pk_accounts;
