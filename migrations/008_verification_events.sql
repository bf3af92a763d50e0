-- Migration: Verification events
-- Purpose: Record every cryptographic verification attempt (signature, challenge, certificate,
--          MCP attestation) for agents and MCP servers.

CREATE TABLE verification_events (
    id              UUID         NOT NULL DEFAULT gen_random_uuid(),
    organization_id UUID         NOT NULL,
    agent_id        UUID,
    mcp_server_id   UUID,
    event_type      VARCHAR(50)  NOT NULL,
    status          VARCHAR(20)  NOT NULL,
    protocol        VARCHAR(50),
    confidence      NUMERIC(5,4),
    duration_ms     INTEGER,
    initiator_type  VARCHAR(20)  NOT NULL DEFAULT 'system',
    initiator_id    UUID,
    error_message   TEXT,
    details         JSONB        NOT NULL DEFAULT '{}'::jsonb,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_verification_events PRIMARY KEY (id),
    CONSTRAINT chk_verification_events_event_type CHECK (
        event_type IN ('signature', 'challenge', 'certificate', 'mcp_attestation')),
    CONSTRAINT chk_verification_events_status CHECK (status IN ('success', 'failed', 'pending', 'timeout')),
    CONSTRAINT chk_verification_events_initiator_type CHECK (initiator_type IN ('system', 'user', 'agent')),
    CONSTRAINT chk_verification_events_confidence CHECK (confidence IS NULL OR confidence BETWEEN 0 AND 1),
    CONSTRAINT chk_verification_events_subject CHECK (agent_id IS NOT NULL OR mcp_server_id IS NOT NULL),
    CONSTRAINT fk_verification_events_organization FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_verification_events_agent FOREIGN KEY (agent_id)
        REFERENCES agents (id) ON DELETE CASCADE,
    CONSTRAINT fk_verification_events_mcp_server FOREIGN KEY (mcp_server_id)
        REFERENCES mcp_servers (id) ON DELETE CASCADE
);

CREATE INDEX idx_verification_events_organization_created_at ON verification_events (organization_id, created_at DESC);
CREATE INDEX idx_verification_events_agent_id ON verification_events (agent_id);
CREATE INDEX idx_verification_events_mcp_server_id ON verification_events (mcp_server_id);
