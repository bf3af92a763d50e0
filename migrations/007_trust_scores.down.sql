-- aim-migrate: data-loss
-- Drops tables trust_score_history and trust_scores and every row in them (the whole trust score audit trail); agents.trust_score itself is kept.
-- Reverts: 007_trust_scores.sql
-- Purpose: Remove the trust score audit trigger and function, the trust score history and the score breakdown table.

-- Trigger before the function it executes; the function's comment goes with it.
DROP TRIGGER trg_agents_trust_score_audit ON agents;
DROP FUNCTION record_trust_score_change();

-- Indexes, constraints, triggers and comments are dropped with their tables.
DROP TABLE trust_score_history;
DROP TABLE trust_scores;
