ERROR: revision aaaaaaaaaaaa (upgrade): create_foreign_key fk_accounts_owner on accounts cannot be compiled for SQL Server: CompileError: SQL Server has no deferrable constraints
