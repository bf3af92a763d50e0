-- Migration: Security policies
-- Purpose: Add per-organization security policies (capability, trust threshold, rate limit, MCP access,
--          anomaly rules) and the 'quarantined' agent status that policies can enforce.

-- Adding an enum value is allowed inside a transaction (PG12+) as long as the
-- new value is not used before COMMIT; nothing below uses it.
ALTER TYPE agent_status ADD VALUE IF NOT EXISTS 'quarantined' AFTER 'verified';

CREATE TABLE security_policies (
    id                 UUID         NOT NULL DEFAULT gen_random_uuid(),
    organization_id    UUID         NOT NULL,
    name               VARCHAR(255) NOT NULL,
    description        TEXT,
    policy_type        VARCHAR(50)  NOT NULL,
    enforcement_action VARCHAR(20)  NOT NULL DEFAULT 'alert',
    rules              JSONB        NOT NULL DEFAULT '{}'::jsonb,
    priority           INTEGER      NOT NULL DEFAULT 100,
    is_enabled         BOOLEAN      NOT NULL DEFAULT TRUE,
    created_by         UUID,
    created_at         TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at         TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_security_policies PRIMARY KEY (id),
    CONSTRAINT uq_security_policies_organization_name UNIQUE (organization_id, name),
    CONSTRAINT chk_security_policies_policy_type CHECK (
        policy_type IN ('capability', 'trust_threshold', 'rate_limit', 'mcp_access', 'anomaly')),
    CONSTRAINT chk_security_policies_enforcement_action CHECK (
        enforcement_action IN ('allow', 'alert', 'block', 'quarantine')),
    CONSTRAINT chk_security_policies_priority CHECK (priority BETWEEN 0 AND 1000),
    CONSTRAINT fk_security_policies_organization FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_security_policies_created_by FOREIGN KEY (created_by)
        REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_security_policies_created_by ON security_policies (created_by);

CREATE TRIGGER trg_security_policies_updated_at
    BEFORE UPDATE ON security_policies
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
