CREATE TABLE events (
	id INTEGER NOT NULL IDENTITY, 
	kind VARCHAR(20) NOT NULL, 
	[key] VARCHAR(40) NULL, 
	PRIMARY KEY (id), 
	UNIQUE ([key])
);

CREATE INDEX ix_events_kind ON events (kind);
