-- State the registry's server processes share through the database: a generation counter that
-- every write bumps (each process drops its read caches when it moves), and failed
-- authentications per client address (the rate limit holds across processes).
CREATE TABLE registry_state (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO registry_state (key, value) VALUES ('generation', 0);

CREATE TABLE registry_auth_failures (
    client TEXT NOT NULL,
    at REAL NOT NULL                -- seconds since the epoch
);
CREATE INDEX registry_auth_failures_by_client ON registry_auth_failures(client, at);
