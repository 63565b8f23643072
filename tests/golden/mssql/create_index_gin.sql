CREATE INDEX ix_docs_body ON docs (body);
