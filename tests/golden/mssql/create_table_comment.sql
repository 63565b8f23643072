execute sp_addextendedproperty 'MS_Description', N'customer''s accounts', 'schema', dbo, 'table', accounts;
