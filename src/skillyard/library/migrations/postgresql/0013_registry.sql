-- The team registry (PostgreSQL dialect of 0013) (skillyard registry serve): API tokens (only a hash of each secret is
-- kept), the published versions with their publisher, status and audit, admins' acceptances
-- of findings (appeals), and a log of every write (who, when, what).
CREATE TABLE registry_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL,
    role TEXT NOT NULL,             -- read | publish | admin
    scope TEXT NOT NULL,            -- comma-separated globs over NAMESPACE/NAME
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
);

CREATE TABLE registry_versions (
    skill_id TEXT NOT NULL,
    version BIGINT NOT NULL,       -- the library version
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    label TEXT NOT NULL,            -- the version as published (frontmatter version, or N)
    digest TEXT NOT NULL,
    publisher TEXT NOT NULL,
    published_at TEXT NOT NULL,
    upload_sha256 TEXT NOT NULL,
    status TEXT NOT NULL,           -- active | deprecated | yanked
    status_reason TEXT NOT NULL,
    verdict TEXT NOT NULL,
    tier BIGINT NOT NULL,
    findings TEXT NOT NULL,         -- JSON: the findings as audited, accepted ones marked
    audited_at TEXT NOT NULL,
    PRIMARY KEY (skill_id, version)
);
CREATE UNIQUE INDEX registry_versions_by_label ON registry_versions(skill_id, label);
CREATE INDEX registry_versions_by_publisher ON registry_versions(publisher);

CREATE TABLE registry_acceptances (
    skill_id TEXT NOT NULL,
    digest TEXT NOT NULL,
    rule TEXT NOT NULL,
    file TEXT NOT NULL,
    reason TEXT NOT NULL,
    accepted_by TEXT NOT NULL,
    accepted_at TEXT NOT NULL,
    PRIMARY KEY (skill_id, digest, rule, file)
);

CREATE TABLE registry_log (
    id TEXT PRIMARY KEY,            -- time-ordered: the write time and a random suffix
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
);
