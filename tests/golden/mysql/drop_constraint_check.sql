ALTER TABLE accounts DROP CHECK ck_accounts_balance;
