-- Migration: Audit logs
-- Purpose: Add the append-only audit trail of user and agent actions; actor references are set to
--          NULL (not deleted) when the actor is removed so the trail survives.

CREATE TABLE audit_logs (
    id              UUID         NOT NULL DEFAULT gen_random_uuid(),
    organization_id UUID         NOT NULL,
    user_id         UUID,
    agent_id        UUID,
    action          VARCHAR(100) NOT NULL,
    resource_type   VARCHAR(100) NOT NULL,
    resource_id     UUID,
    ip_address      INET,
    user_agent      TEXT,
    details         JSONB        NOT NULL DEFAULT '{}'::jsonb,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_audit_logs PRIMARY KEY (id),
    CONSTRAINT fk_audit_logs_organization FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_audit_logs_user FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT fk_audit_logs_agent FOREIGN KEY (agent_id)
        REFERENCES agents (id) ON DELETE SET NULL
);

CREATE INDEX idx_audit_logs_organization_created_at ON audit_logs (organization_id, created_at DESC);
CREATE INDEX idx_audit_logs_user_id ON audit_logs (user_id);
CREATE INDEX idx_audit_logs_agent_id ON audit_logs (agent_id);
CREATE INDEX idx_audit_logs_resource ON audit_logs (resource_type, resource_id);
CREATE INDEX idx_audit_logs_action ON audit_logs (action);

COMMENT ON TABLE audit_logs IS 'Append-only audit trail. Rows are never updated; actor FKs become NULL when the actor is deleted.';
