ALTER TABLE accounts ADD badge VARCHAR(20) NULL;

ALTER TABLE accounts ADD UNIQUE (badge);
