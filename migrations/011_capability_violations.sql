-- Migration: Capability violations
-- Purpose: Introduce the shared alert_severity enum and record every attempt by an agent to act
--          outside its granted capabilities.

CREATE TYPE alert_severity AS ENUM ('info', 'low', 'medium', 'high', 'critical');

CREATE TABLE capability_violations (
    id               UUID           NOT NULL DEFAULT gen_random_uuid(),
    agent_id         UUID           NOT NULL,
    capability_id    UUID,
    attempted_action VARCHAR(255)   NOT NULL,
    resource         TEXT,
    severity         alert_severity NOT NULL DEFAULT 'medium',
    was_blocked      BOOLEAN        NOT NULL DEFAULT TRUE,
    source_ip        INET,
    details          JSONB          NOT NULL DEFAULT '{}'::jsonb,
    created_at       TIMESTAMPTZ    NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_capability_violations PRIMARY KEY (id),
    CONSTRAINT fk_capability_violations_agent FOREIGN KEY (agent_id)
        REFERENCES agents (id) ON DELETE CASCADE,
    CONSTRAINT fk_capability_violations_capability FOREIGN KEY (capability_id)
        REFERENCES capabilities (id) ON DELETE SET NULL
);

CREATE INDEX idx_capability_violations_agent_created_at ON capability_violations (agent_id, created_at DESC);
CREATE INDEX idx_capability_violations_capability_id ON capability_violations (capability_id);
