CREATE TABLE book_tags (
	book_id INTEGER NOT NULL, 
	tag_id INTEGER NOT NULL, 
	CONSTRAINT pk_book_tags PRIMARY KEY (book_id, tag_id), 
	CONSTRAINT fk_book_tags_book FOREIGN KEY(book_id) REFERENCES books (id), 
	CONSTRAINT fk_book_tags_tag FOREIGN KEY(tag_id) REFERENCES tags (id) ON DELETE CASCADE
);
