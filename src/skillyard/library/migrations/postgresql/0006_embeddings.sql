-- Dense embeddings by content key, in pgvector (PostgreSQL dialect of 0006). The column has no
-- fixed dimension so that several embedding models can share the table.
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE embeddings (
    model TEXT NOT NULL,
    key BYTEA NOT NULL,
    dims INTEGER NOT NULL,
    vector vector NOT NULL,
    PRIMARY KEY (model, key)
)
