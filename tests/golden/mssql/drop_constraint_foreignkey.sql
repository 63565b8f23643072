ALTER TABLE accounts DROP CONSTRAINT fk_accounts_owner;
