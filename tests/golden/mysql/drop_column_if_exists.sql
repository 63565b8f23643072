ERROR: revision aaaaaaaaaaaa (upgrade): drop_column accounts.nickname cannot be compiled for MySQL: MySQL has no IF [NOT] EXISTS on ADD/DROP COLUMN and CREATE/DROP INDEX (MariaDB has)
