ERROR: revision aaaaaaaaaaaa (upgrade): create_exclude_constraint ex_accounts_owner on accounts cannot be compiled for SQL Server: EXCLUDE constraints exist only in PostgreSQL; SQL Server has none
