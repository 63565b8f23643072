ALTER TABLE accounts DROP FOREIGN KEY fk_accounts_owner;
