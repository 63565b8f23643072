ERROR: revision aaaaaaaaaaaa (upgrade): alter_column accounts.email cannot be compiled for SQLite: changing a column's nullable: SQLite cannot do this in place; it needs a table rebuild
