execute sp_dropextendedproperty 'MS_Description', 'schema', dbo, 'table', accounts;
