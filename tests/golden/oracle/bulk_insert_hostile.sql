INSERT INTO accounts (id, note, active, balance) VALUES (1, 'it''s \ \'' 	 tab
new line % %s %(name)s :name :''name'' $$ $q$ ? -- /* é✓🙂', 1, 1.5);

INSERT INTO accounts (id, note, active, balance) VALUES (2, NULL, 0, 0);

INSERT INTO accounts (id, note, active, balance) VALUES (3, '''; DROP TABLE accounts; --', 1, 10);
