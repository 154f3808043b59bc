-- Learn candidates (PostgreSQL dialect of 0005).
CREATE TABLE learn_candidates (
    id TEXT PRIMARY KEY,
    skill_id TEXT NOT NULL,
    name TEXT NOT NULL,
    decision TEXT NOT NULL,
    method TEXT NOT NULL,
    status TEXT NOT NULL,
    base_version BIGINT,
    published_version BIGINT,
    digest TEXT NOT NULL,
    reasons TEXT NOT NULL,
    gate TEXT NOT NULL,
    files TEXT NOT NULL,
    provenance TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX learn_candidates_by_skill ON learn_candidates(skill_id, created_at)
