EXEC sp_rename N'accounts', N'customer_accounts';
