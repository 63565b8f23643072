ALTER TABLE accounts RENAME TO customer_accounts;
