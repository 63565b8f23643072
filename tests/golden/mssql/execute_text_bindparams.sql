UPDATE accounts SET note = 'it''s 50%	:x' WHERE id = 7;
