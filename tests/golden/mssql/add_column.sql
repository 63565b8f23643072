ALTER TABLE accounts ADD nickname VARCHAR(50) NULL;
