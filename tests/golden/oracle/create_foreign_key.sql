ERROR: revision aaaaaaaaaaaa (upgrade): create_foreign_key fk_accounts_owner on accounts cannot be compiled for Oracle: CompileError: Oracle has no ON UPDATE SET NULL
