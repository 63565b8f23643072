ALTER TABLE accounts ADD nickname VARCHAR(50) NULL;

execute sp_addextendedproperty 'MS_Description', N'what friends call them', 'schema', dbo, 'table', accounts, 'column', nickname;
