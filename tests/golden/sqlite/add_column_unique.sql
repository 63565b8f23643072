ERROR: revision aaaaaaaaaaaa (upgrade): add_column accounts.code cannot be compiled for SQLite: adding a key or unique column: SQLite cannot do this in place; it needs a table rebuild
