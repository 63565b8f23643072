CREATE INDEX ix_docs_body ON docs USING gin (body);
