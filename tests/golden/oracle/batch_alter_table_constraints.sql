ALTER TABLE billing.accounts ADD CONSTRAINT fk_accounts_owner FOREIGN KEY(owner_id) REFERENCES auth.users (id);

ALTER TABLE billing.accounts ADD CONSTRAINT uq_accounts_code UNIQUE (code);

ALTER TABLE billing.accounts ADD CONSTRAINT ck_accounts_code CHECK (code <> '');

ALTER TABLE billing.accounts DROP CONSTRAINT uq_accounts_email;

ALTER TABLE billing.accounts MODIFY (code NOT NULL);
