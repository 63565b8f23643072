UPDATE accounts SET active=0, note='done' WHERE accounts.note = 'it''s';
