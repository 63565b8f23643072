ERROR: revision aaaaaaaaaaaa (upgrade): add_column accounts.nickname cannot be compiled for SQLite: SQLite has no ADD COLUMN IF NOT EXISTS / DROP COLUMN IF EXISTS
