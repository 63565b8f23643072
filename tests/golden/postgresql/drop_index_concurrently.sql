DROP INDEX CONCURRENTLY ix_accounts_email;
