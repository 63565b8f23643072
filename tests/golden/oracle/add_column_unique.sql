ALTER TABLE accounts ADD badge VARCHAR2(20 CHAR);

ALTER TABLE accounts ADD UNIQUE (badge);
