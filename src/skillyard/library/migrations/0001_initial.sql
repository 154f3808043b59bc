-- Skills, their versions, and content-addressed file blobs.
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    codec TEXT NOT NULL,            -- 'raw' or 'zlib'
    data BLOB NOT NULL
);

CREATE TABLE skills (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    version INTEGER NOT NULL,       -- the current version
    digest TEXT NOT NULL,
    source_kind TEXT NOT NULL,
    warnings INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX skills_by_name ON skills(name);
CREATE INDEX skills_by_digest ON skills(digest);

CREATE TABLE versions (
    skill_id TEXT NOT NULL REFERENCES skills(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    digest TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    frontmatter TEXT NOT NULL,      -- JSON
    body_offset INTEGER,            -- body = SKILL.md text[body_offset:] when it is a suffix
    body_sha256 TEXT,               -- else the body is its own blob
    files TEXT NOT NULL,            -- JSON manifest [{path, size, sha256, kind?, target?, note?}]
    provenance TEXT NOT NULL,       -- JSON
    diagnostics TEXT NOT NULL,      -- JSON
    parse_method TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (skill_id, version)
);

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
