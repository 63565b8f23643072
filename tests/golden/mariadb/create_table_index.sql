CREATE TABLE events (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	kind VARCHAR(20) NOT NULL, 
	`key` VARCHAR(40), 
	PRIMARY KEY (id), 
	UNIQUE (`key`)
);

CREATE INDEX ix_events_kind ON events (kind);
