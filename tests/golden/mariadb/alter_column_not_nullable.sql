ALTER TABLE accounts MODIFY email VARCHAR(255) NOT NULL COMMENT 'login, unique';
