DROP INDEX ix_accounts_email ON accounts;
