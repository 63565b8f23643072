ALTER TABLE accounts DROP COLUMN legacy;
