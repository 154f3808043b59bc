-- Dense embeddings by content: the key is a hash of the embedded text, so a vector computed
-- once (by any process or Ray worker) serves every skill, version and index build with that
-- text. Stored as little-endian float32 bytes here; PostgreSQL keeps them in pgvector.
CREATE TABLE embeddings (
    model TEXT NOT NULL,
    key BLOB NOT NULL,
    dims INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, key)
)
