-- aim-migrate: data-loss
-- Drops tables user_sessions, api_keys, agents, users and organizations and every row in them (the seeded default organization included), the agent_status type and the set_updated_at() function.
-- Reverts: 001_initial_schema.sql
-- Purpose: Remove the core schema, leaving the database as it was before any AIM migration.

-- Dropping a table also drops its indexes, constraints, triggers and comments.
-- No CASCADE: if anything outside these migrations still depends on an object,
-- the rollback fails instead of silently dropping it too.
DROP TABLE user_sessions;
DROP TABLE api_keys;
DROP TABLE agents;
DROP TABLE users;
DROP TABLE organizations;

DROP TYPE agent_status;

DROP FUNCTION set_updated_at();
