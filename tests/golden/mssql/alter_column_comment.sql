execute sp_addextendedproperty 'MS_Description', N'free text, it''s optional', 'schema', dbo, 'table', accounts, 'column', note;
