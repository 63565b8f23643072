COMMENT ON TABLE accounts IS 'customer''s accounts';
