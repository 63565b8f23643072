ALTER TABLE accounts MODIFY (email NOT NULL);
