ERROR: revision aaaaaaaaaaaa (upgrade): create_index ix_accounts_owner_id on accounts cannot be compiled for MySQL: MySQL has no IF [NOT] EXISTS on ADD/DROP COLUMN and CREATE/DROP INDEX (MariaDB has)
