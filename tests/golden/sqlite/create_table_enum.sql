CREATE TABLE moods (
	id INTEGER NOT NULL, 
	mood VARCHAR(7) NOT NULL, 
	PRIMARY KEY (id), 
	CHECK (mood IN ('happy', 'sad', 'it''s ok'))
);
