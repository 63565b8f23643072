CREATE TABLE events (
	id SERIAL NOT NULL, 
	kind VARCHAR(20) NOT NULL, 
	key VARCHAR(40), 
	PRIMARY KEY (id), 
	UNIQUE (key)
);

CREATE INDEX ix_events_kind ON events (kind);
