CREATE TABLE wallets (
	id INTEGER NOT NULL, 
	note TEXT, 
	legacy TEXT, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_wallets_legacy ON wallets (legacy);

SELECT json_extract('{}', 'sqlcompile: rebuilding table wallets would drop its trigger ' || name || ' (not created by this history''s SQL, so the schema model cannot create it again); nothing was changed') FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'wallets';

CREATE TABLE _sqlcompile_new_wallets (
	id INTEGER NOT NULL, 
	remark TEXT DEFAULT '-' NOT NULL, 
	code VARCHAR(8) DEFAULT (hex(randomblob(4))) NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_wallets_code UNIQUE (code)
);

INSERT INTO _sqlcompile_new_wallets (id, remark) SELECT wallets.id, wallets.note 
FROM wallets;

DROP TABLE wallets;

ALTER TABLE _sqlcompile_new_wallets RENAME TO wallets;
