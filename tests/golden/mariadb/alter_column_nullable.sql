ALTER TABLE accounts MODIFY email VARCHAR(255) COMMENT 'login, unique';
