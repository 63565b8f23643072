ERROR: revision aaaaaaaaaaaa (upgrade): drop_column accounts.nickname cannot be compiled for Oracle: Oracle 19c has no DROP ... IF EXISTS
