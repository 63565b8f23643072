ALTER TABLE accounts ADD CONSTRAINT ex_accounts_owner EXCLUDE USING btree (owner_id WITH =, email WITH =) WHERE (active);
