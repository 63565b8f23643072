ERROR: revision aaaaaaaaaaaa (upgrade): add_column accounts.points cannot be compiled for SQLite: adding a NOT NULL column needs a server_default on SQLite (existing rows need a value)
