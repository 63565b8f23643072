UPDATE accounts SET note = 'a:b' WHERE note IS NULL;
