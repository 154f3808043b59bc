-- Audit verdicts (PostgreSQL dialect of 0003).
CREATE TABLE IF NOT EXISTS audit_results (
    digest TEXT NOT NULL,
    rules_digest TEXT NOT NULL,
    verdict TEXT NOT NULL,
    findings TEXT NOT NULL,
    effects TEXT NOT NULL,
    unseen_scripts BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (digest, rules_digest)
);

CREATE TABLE IF NOT EXISTS audit_skills (
    skill_id TEXT PRIMARY KEY,
    digest TEXT NOT NULL,
    rules_digest TEXT NOT NULL,
    verdict TEXT NOT NULL,
    tier BIGINT NOT NULL,
    audited_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_skills_by_verdict ON audit_skills(verdict)
