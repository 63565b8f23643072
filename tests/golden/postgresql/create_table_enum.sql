CREATE TYPE mood AS ENUM ('happy', 'sad', 'it''s ok');

CREATE TABLE moods (
	id SERIAL NOT NULL, 
	mood mood NOT NULL, 
	PRIMARY KEY (id)
);
