UPDATE accounts SET active=false, note='done' WHERE accounts.note = 'it''s';
