ALTER TABLE accounts ADD points INTEGER NOT NULL CONSTRAINT [DF_accounts_points] DEFAULT '0';
