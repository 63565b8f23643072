execute sp_dropextendedproperty 'MS_Description', 'schema', dbo, 'table', accounts, 'column', note;

execute sp_addextendedproperty 'MS_Description', N'free text, it''s optional', 'schema', dbo, 'table', accounts, 'column', note;
