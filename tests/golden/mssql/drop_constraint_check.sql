ALTER TABLE accounts DROP CONSTRAINT ck_accounts_balance;
