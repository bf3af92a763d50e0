-- Migration: Registration requests
-- Purpose: Queue agent self-registrations for admin approval; an approved request points at the agent
--          it created.

CREATE TABLE registration_requests (
    id                     UUID         NOT NULL DEFAULT gen_random_uuid(),
    organization_id        UUID         NOT NULL,
    requested_by           UUID,
    agent_name             VARCHAR(255) NOT NULL,
    agent_type             VARCHAR(50)  NOT NULL DEFAULT 'ai_agent',
    public_key             TEXT,
    requested_capabilities TEXT[]       NOT NULL DEFAULT '{}',
    metadata               JSONB        NOT NULL DEFAULT '{}'::jsonb,
    status                 VARCHAR(20)  NOT NULL DEFAULT 'pending',
    reviewed_by            UUID,
    reviewed_at            TIMESTAMPTZ,
    rejection_reason       TEXT,
    created_agent_id       UUID,
    expires_at             TIMESTAMPTZ,
    created_at             TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at             TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_registration_requests PRIMARY KEY (id),
    CONSTRAINT chk_registration_requests_status CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
    CONSTRAINT chk_registration_requests_rejection CHECK (status <> 'rejected' OR rejection_reason IS NOT NULL),
    CONSTRAINT fk_registration_requests_organization FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_registration_requests_requested_by FOREIGN KEY (requested_by)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT fk_registration_requests_reviewed_by FOREIGN KEY (reviewed_by)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT fk_registration_requests_created_agent FOREIGN KEY (created_agent_id)
        REFERENCES agents (id) ON DELETE SET NULL
);

CREATE INDEX idx_registration_requests_organization_status ON registration_requests (organization_id, status);
CREATE INDEX idx_registration_requests_requested_by ON registration_requests (requested_by);
CREATE INDEX idx_registration_requests_reviewed_by ON registration_requests (reviewed_by);
CREATE INDEX idx_registration_requests_created_agent_id ON registration_requests (created_agent_id);

CREATE TRIGGER trg_registration_requests_updated_at
    BEFORE UPDATE ON registration_requests
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
