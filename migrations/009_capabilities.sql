-- Migration: Agent capabilities
-- Purpose: Store the capabilities (permissions) granted to each agent, with grantor, scope and expiry.

CREATE TABLE capabilities (
    id              UUID         NOT NULL DEFAULT gen_random_uuid(),
    agent_id        UUID         NOT NULL,
    capability_type VARCHAR(100) NOT NULL,
    scope           JSONB        NOT NULL DEFAULT '{}'::jsonb,
    granted_by      UUID,
    granted_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    expires_at      TIMESTAMPTZ,
    revoked_at      TIMESTAMPTZ,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_capabilities PRIMARY KEY (id),
    CONSTRAINT uq_capabilities_agent_type UNIQUE (agent_id, capability_type),
    CONSTRAINT chk_capabilities_expiry CHECK (expires_at IS NULL OR expires_at > granted_at),
    CONSTRAINT fk_capabilities_agent FOREIGN KEY (agent_id)
        REFERENCES agents (id) ON DELETE CASCADE,
    CONSTRAINT fk_capabilities_granted_by FOREIGN KEY (granted_by)
        REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_capabilities_granted_by ON capabilities (granted_by);

CREATE TRIGGER trg_capabilities_updated_at
    BEFORE UPDATE ON capabilities
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

COMMENT ON TABLE capabilities IS 'Capabilities granted to agents; revoked rows are kept (revoked_at) for audit.';
