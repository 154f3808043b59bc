-- Audit verdicts. Analyzer results are kept per skill digest and rules digest (rule files +
-- policy thresholds), so a skill is analysed again only when its content or the rules change.
CREATE TABLE IF NOT EXISTS audit_results (
    digest TEXT NOT NULL,
    rules_digest TEXT NOT NULL,
    verdict TEXT NOT NULL,
    findings TEXT NOT NULL,
    effects TEXT NOT NULL,
    unseen_scripts INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (digest, rules_digest)
);

-- The latest audit of each library skill: what serve and install read to enforce tiers.
CREATE TABLE IF NOT EXISTS audit_skills (
    skill_id TEXT PRIMARY KEY,
    digest TEXT NOT NULL,
    rules_digest TEXT NOT NULL,
    verdict TEXT NOT NULL,
    tier INTEGER NOT NULL,
    audited_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_skills_by_verdict ON audit_skills(verdict);
