ALTER TABLE accounts ADD nickname VARCHAR2(50 CHAR);

COMMENT ON COLUMN accounts.nickname IS 'what friends call them';
