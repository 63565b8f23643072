ERROR: revision aaaaaaaaaaaa (upgrade): create_exclude_constraint ex_accounts_owner on accounts cannot be compiled for SQLite: EXCLUDE constraints exist only in PostgreSQL; SQLite has none
