-- Evaluation: runs (experiments, trigger evaluations, tournaments) and their raw results, so
-- every report can be rebuilt without running anything again.
CREATE TABLE eval_runs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    finished_at TEXT,
    spec TEXT NOT NULL
);

CREATE TABLE eval_trials (
    run_id TEXT NOT NULL REFERENCES eval_runs(id) ON DELETE CASCADE,
    task_id TEXT NOT NULL,
    arm TEXT NOT NULL,
    trial INTEGER NOT NULL,
    passed INTEGER NOT NULL,
    reward REAL,
    status TEXT NOT NULL,
    error TEXT,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    agent_seconds REAL NOT NULL,
    verify_seconds REAL NOT NULL,
    wall_seconds REAL NOT NULL,
    skills TEXT NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (run_id, task_id, arm, trial)
);

CREATE TABLE eval_triggers (
    run_id TEXT NOT NULL REFERENCES eval_runs(id) ON DELETE CASCADE,
    qid TEXT NOT NULL,
    query TEXT NOT NULL,
    should_trigger INTEGER NOT NULL,
    positives TEXT NOT NULL,
    negatives TEXT NOT NULL,
    routed TEXT NOT NULL,
    PRIMARY KEY (run_id, qid)
);

CREATE TABLE eval_matches (
    run_id TEXT NOT NULL REFERENCES eval_runs(id) ON DELETE CASCADE,
    round INTEGER NOT NULL,
    a TEXT NOT NULL,
    b TEXT NOT NULL,
    task_id TEXT NOT NULL,
    outcome REAL NOT NULL,
    PRIMARY KEY (run_id, round, a, b, task_id)
)
