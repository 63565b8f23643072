CREATE TABLE moods (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	mood ENUM('happy','sad','it''s ok') NOT NULL, 
	PRIMARY KEY (id)
);
