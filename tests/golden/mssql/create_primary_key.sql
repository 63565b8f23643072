ALTER TABLE accounts ADD CONSTRAINT pk_accounts PRIMARY KEY (id);
