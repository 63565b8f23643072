EXEC sp_rename N'accounts.note', N'remark', 'COLUMN';
