-- Evaluation runs and raw results (PostgreSQL dialect of 0004; REAL is double precision).
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
    trial BIGINT NOT NULL,
    passed BIGINT NOT NULL,
    reward DOUBLE PRECISION,
    status TEXT NOT NULL,
    error TEXT,
    prompt_tokens BIGINT NOT NULL,
    completion_tokens BIGINT NOT NULL,
    agent_seconds DOUBLE PRECISION NOT NULL,
    verify_seconds DOUBLE PRECISION NOT NULL,
    wall_seconds DOUBLE PRECISION NOT NULL,
    skills TEXT NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (run_id, task_id, arm, trial)
);

CREATE TABLE eval_triggers (
    run_id TEXT NOT NULL REFERENCES eval_runs(id) ON DELETE CASCADE,
    qid TEXT NOT NULL,
    query TEXT NOT NULL,
    should_trigger BIGINT NOT NULL,
    positives TEXT NOT NULL,
    negatives TEXT NOT NULL,
    routed TEXT NOT NULL,
    PRIMARY KEY (run_id, qid)
);

CREATE TABLE eval_matches (
    run_id TEXT NOT NULL REFERENCES eval_runs(id) ON DELETE CASCADE,
    round BIGINT NOT NULL,
    a TEXT NOT NULL,
    b TEXT NOT NULL,
    task_id TEXT NOT NULL,
    outcome DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (run_id, round, a, b, task_id)
)
