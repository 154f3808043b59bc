-- Routing: near-duplicate groups (PostgreSQL dialect of 0002).
CREATE TABLE route_groups (
    skill_id TEXT PRIMARY KEY,
    group_id TEXT NOT NULL,
    size BIGINT NOT NULL
);
CREATE INDEX route_groups_by_group ON route_groups(group_id)
