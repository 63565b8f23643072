ERROR: revision aaaaaaaaaaaa (upgrade): add_column accounts.manager_id cannot be compiled for SQLite: adding a key or unique column: SQLite cannot do this in place; it needs a table rebuild
