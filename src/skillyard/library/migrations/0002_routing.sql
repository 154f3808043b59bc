-- Routing: near-duplicate groups computed by the routing index build (skillyard.route).
-- Only skills in a group of two or more have a row; group_id is the smallest member id.
CREATE TABLE route_groups (
    skill_id TEXT PRIMARY KEY,
    group_id TEXT NOT NULL,
    size INTEGER NOT NULL
);
CREATE INDEX route_groups_by_group ON route_groups(group_id)
