ERROR: revision aaaaaaaaaaaa (upgrade): drop_column accounts.legacy cannot be compiled for SQLite: SQLite has no ADD COLUMN IF NOT EXISTS / DROP COLUMN IF EXISTS
