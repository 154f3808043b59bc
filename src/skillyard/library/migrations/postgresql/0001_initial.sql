-- Skills, their versions, and content-addressed file blobs (PostgreSQL dialect of 0001).
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    codec TEXT NOT NULL,
    data BYTEA NOT NULL
);

CREATE TABLE skills (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    version BIGINT NOT NULL,
    digest TEXT NOT NULL,
    source_kind TEXT NOT NULL,
    warnings BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX skills_by_name ON skills(name);
CREATE INDEX skills_by_digest ON skills(digest);

CREATE TABLE versions (
    skill_id TEXT NOT NULL REFERENCES skills(id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    digest TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    frontmatter TEXT NOT NULL,
    body_offset BIGINT,
    body_sha256 TEXT,
    files TEXT NOT NULL,
    provenance TEXT NOT NULL,
    diagnostics TEXT NOT NULL,
    parse_method TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (skill_id, version)
);

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
)
