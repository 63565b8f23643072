execute sp_dropextendedproperty 'MS_Description', 'schema', dbo, 'table', accounts;

execute sp_addextendedproperty 'MS_Description', N'customer''s accounts', 'schema', dbo, 'table', accounts;
