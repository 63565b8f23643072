ERROR: revision aaaaaaaaaaaa (upgrade): drop_column accounts.legacy cannot be compiled for Oracle: Oracle 19c has no DROP ... IF EXISTS
