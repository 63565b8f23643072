ERROR: revision aaaaaaaaaaaa (upgrade): alter_column accounts.balance cannot be compiled for SQLite: changing a column's type: SQLite cannot do this in place; it needs a table rebuild
