ERROR: revision aaaaaaaaaaaa (upgrade): drop_table accounts cannot be compiled for Oracle: Oracle 19c has no DROP ... IF EXISTS
