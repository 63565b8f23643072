ALTER TABLE accounts MODIFY (balance NUMERIC(14, 4));
