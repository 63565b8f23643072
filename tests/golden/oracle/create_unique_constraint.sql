ALTER TABLE accounts ADD CONSTRAINT uq_accounts_owner_email UNIQUE (owner_id, email);
