-- Reverts: 025_add_missing_indexes_and_checks.sql
-- Purpose: Drop the added index and CHECK constraints and restore the old trust score check (trust_score >= 0).
-- Not undone: the forward data fixes. Scores clamped to 100 stay 100 (each old
-- value is kept in trust_score_history, reason 'migration 025: clamp trust score
-- to 0-100') and negative failed_login_attempts reset to 0 stay 0; both are valid
-- under the restored constraints, so nothing is lost by this rollback.

ALTER TABLE users
    DROP CONSTRAINT chk_users_failed_login_attempts;

ALTER TABLE api_keys
    DROP CONSTRAINT chk_api_keys_expiry;

ALTER TABLE agents
    DROP CONSTRAINT chk_agents_trust_score_range,
    ADD CONSTRAINT chk_agents_trust_score CHECK (trust_score >= 0);

DROP INDEX idx_agents_created_by;
