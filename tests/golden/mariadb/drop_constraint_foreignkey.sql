ALTER TABLE accounts DROP FOREIGN KEY fk_accounts_owner;

DROP INDEX fk_accounts_owner ON accounts;
