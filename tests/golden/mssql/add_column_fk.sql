ALTER TABLE accounts ADD manager_id INTEGER NULL;

ALTER TABLE accounts ADD CONSTRAINT fk_accounts_manager FOREIGN KEY(manager_id) REFERENCES users (id);
