ERROR: revision aaaaaaaaaaaa (upgrade): add_column accounts.code cannot be compiled for SQLite: DuplicateColumnError: A column with name 'code' is already present in table '_sqlcompile_new_accounts'.
