-- Migration: Fix wrong column defaults
-- Purpose: Bug fix. New agents started with trust score 0 instead of the documented neutral 50, and
--          webhooks were created with zero retries; correct both defaults (existing rows are untouched).

-- Matches system_config 'trust.default_score'. Existing agents keep their
-- computed scores; only newly inserted rows are affected.
ALTER TABLE agents ALTER COLUMN trust_score SET DEFAULT 50.00;

-- A value of 0 may have been chosen deliberately, so existing webhooks are not rewritten.
ALTER TABLE webhooks ALTER COLUMN max_retries SET DEFAULT 3;
