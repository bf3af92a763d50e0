-- aim-migrate: data-loss
-- Drops tables agent_tags and tags and every row in them.
-- Reverts: 017_tags.sql
-- Purpose: Remove organization tags and the agent/tag links.

-- Indexes, constraints and triggers are dropped with their tables; the link
-- table first, it references tags.
DROP TABLE agent_tags;
DROP TABLE tags;
