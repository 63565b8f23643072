ERROR: revision aaaaaaaaaaaa (upgrade): alter_column accounts.note cannot be compiled for SQLite: changing a column's server_default: SQLite cannot do this in place; it needs a table rebuild
