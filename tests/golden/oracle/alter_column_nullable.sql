ALTER TABLE accounts MODIFY (email NULL);
