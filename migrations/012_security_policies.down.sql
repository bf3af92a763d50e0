-- aim-migrate: data-loss
-- Drops table security_policies and every row in it, and removes the 'quarantined' value from agent_status (refuses, with an exception, while any agent is still quarantined: no status is changed silently).
-- Reverts: 012_security_policies.sql
-- Purpose: Remove security policies and the 'quarantined' agent status.

-- Pre-flight, before anything changes: never rewrite an agent's status silently.
DO $$
DECLARE
    quarantined_count BIGINT;
BEGIN
    SELECT count(*) INTO quarantined_count FROM agents WHERE status::text = 'quarantined';
    IF quarantined_count > 0 THEN
        RAISE EXCEPTION '% agent(s) have status ''quarantined''; give them another status before reverting migration 012', quarantined_count;
    END IF;
END
$$;

-- Its index, constraints and updated_at trigger are dropped with the table.
DROP TABLE security_policies;

-- PostgreSQL cannot drop an enum value: rebuild agent_status without it.
ALTER TYPE agent_status RENAME TO agent_status_012_down;

CREATE TYPE agent_status AS ENUM ('pending', 'verified', 'suspended', 'revoked');

-- The default references the old type, so it cannot be cast automatically:
-- drop it, convert the column (idx_agents_status is rebuilt), and set it again.
ALTER TABLE agents ALTER COLUMN status DROP DEFAULT;
ALTER TABLE agents ALTER COLUMN status TYPE agent_status USING status::text::agent_status;
ALTER TABLE agents ALTER COLUMN status SET DEFAULT 'pending';

DROP TYPE agent_status_012_down;
