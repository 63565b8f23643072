INSERT INTO accounts (id, note, active, balance) VALUES (1, 'it''s \\ \\'' 	 tab
new line % %s %(name)s :name :''name'' $$ $q$ ? -- /* é✓🙂', true, 1.5);

INSERT INTO accounts (id, note, active, balance) VALUES (2, NULL, false, 0);

INSERT INTO accounts (id, note, active, balance) VALUES (3, '''; DROP TABLE accounts; --', true, 10);
