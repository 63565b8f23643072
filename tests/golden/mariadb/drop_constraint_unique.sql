ALTER TABLE accounts DROP INDEX uq_accounts_email;
