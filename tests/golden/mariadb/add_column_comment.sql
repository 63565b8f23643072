ALTER TABLE accounts ADD COLUMN nickname VARCHAR(50) COMMENT 'what friends call them';
