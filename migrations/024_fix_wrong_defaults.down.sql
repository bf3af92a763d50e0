-- Reverts: 024_fix_wrong_defaults.sql
-- Purpose: Restore the previous column defaults (webhooks.max_retries 0, agents.trust_score 0); existing rows are untouched.

ALTER TABLE webhooks ALTER COLUMN max_retries SET DEFAULT 0;

ALTER TABLE agents ALTER COLUMN trust_score SET DEFAULT 0;
