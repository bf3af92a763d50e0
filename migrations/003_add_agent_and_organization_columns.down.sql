-- aim-migrate: data-loss
-- Drops organizations.billing_email and organizations.settings, and agents.verified_at, agents.metadata and agents.last_seen_at, with every value in them.
-- Reverts: 003_add_agent_and_organization_columns.sql
-- Purpose: Remove the agent liveness/verification/metadata columns and the organization settings/billing columns.

ALTER TABLE organizations DROP COLUMN billing_email;
ALTER TABLE organizations DROP COLUMN settings;

DROP INDEX idx_agents_last_seen_at;

ALTER TABLE agents DROP COLUMN verified_at;
ALTER TABLE agents DROP COLUMN metadata;
ALTER TABLE agents DROP COLUMN last_seen_at;
