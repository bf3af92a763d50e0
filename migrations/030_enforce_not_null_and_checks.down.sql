-- Reverts: 030_enforce_not_null_and_checks.sql
-- Purpose: Drop the http(s) webhook URL check and the agents.display_name NOT NULL/not-blank requirement.
-- Not undone: the backfill. Agents whose display_name was NULL or blank keep the
-- copy of their name that 030 wrote (they cannot be told apart from agents that
-- had that display name already); no data is lost by this rollback.

ALTER TABLE webhooks DROP CONSTRAINT chk_webhooks_url_scheme;

ALTER TABLE agents DROP CONSTRAINT chk_agents_display_name_not_blank;
ALTER TABLE agents ALTER COLUMN display_name DROP NOT NULL;
