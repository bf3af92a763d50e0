-- Migration: Add missing index and tighten CHECK constraints
-- Purpose: Bug fix. Index the unindexed agents.created_by foreign key, bound trust scores to 0..100
--          (the old check only enforced >= 0), and reject impossible key expiries and login counters.

CREATE INDEX idx_agents_created_by ON agents (created_by);

-- Clamp any out-of-range scores first. The UPDATE fires the trust-score audit
-- trigger, so each clamped agent gets a history row carrying this reason.
DO $$
BEGIN
    PERFORM set_config('aim.trust_score_reason', 'migration 025: clamp trust score to 0-100', true);
    UPDATE agents SET trust_score = 100 WHERE trust_score > 100;
    PERFORM set_config('aim.trust_score_reason', '', true);
END
$$;

ALTER TABLE agents
    DROP CONSTRAINT chk_agents_trust_score,
    ADD CONSTRAINT chk_agents_trust_score_range CHECK (trust_score >= 0 AND trust_score <= 100);

ALTER TABLE api_keys
    ADD CONSTRAINT chk_api_keys_expiry CHECK (expires_at IS NULL OR expires_at > created_at);

UPDATE users SET failed_login_attempts = 0 WHERE failed_login_attempts < 0;
ALTER TABLE users
    ADD CONSTRAINT chk_users_failed_login_attempts CHECK (failed_login_attempts >= 0);
