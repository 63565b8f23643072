ALTER TABLE accounts ADD CONSTRAINT fk_accounts_parent FOREIGN KEY(parent_id) REFERENCES accounts (id);
