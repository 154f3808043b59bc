-- The routing index of a shared (database) library checks COUNT(*) and MAX(updated_at) of
-- skills to see whether anything changed; this index keeps that check cheap.
CREATE INDEX skills_by_updated ON skills(updated_at)
