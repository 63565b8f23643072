ALTER TABLE accounts MODIFY (note DEFAULT 'n/a');
