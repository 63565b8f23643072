ERROR: revision aaaaaaaaaaaa (upgrade): create_exclude_constraint ex_accounts_owner on accounts cannot be compiled for MySQL: EXCLUDE constraints exist only in PostgreSQL; MySQL has none
