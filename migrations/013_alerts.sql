-- Migration: Alerts
-- Purpose: Add security alerts raised for an organization (optionally about one agent), with
--          acknowledgement and resolution tracking.

CREATE TABLE alerts (
    id              UUID           NOT NULL DEFAULT gen_random_uuid(),
    organization_id UUID           NOT NULL,
    agent_id        UUID,
    alert_type      VARCHAR(50)    NOT NULL,
    severity        alert_severity NOT NULL DEFAULT 'medium',
    title           VARCHAR(500)   NOT NULL,
    description     TEXT,
    source_type     VARCHAR(50),
    source_id       UUID,
    is_acknowledged BOOLEAN        NOT NULL DEFAULT FALSE,
    ack_by          UUID,
    acknowledged_at TIMESTAMPTZ,
    resolved_at     TIMESTAMPTZ,
    metadata        JSONB          NOT NULL DEFAULT '{}'::jsonb,
    created_at      TIMESTAMPTZ    NOT NULL DEFAULT NOW(),
    updated_at      TIMESTAMPTZ    NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_alerts PRIMARY KEY (id),
    CONSTRAINT chk_alerts_acknowledgement CHECK (NOT is_acknowledged OR acknowledged_at IS NOT NULL),
    CONSTRAINT fk_alerts_organization FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_alerts_agent FOREIGN KEY (agent_id)
        REFERENCES agents (id) ON DELETE SET NULL,
    CONSTRAINT fk_alerts_ack_by FOREIGN KEY (ack_by)
        REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_alerts_organization_created_at ON alerts (organization_id, created_at DESC);
CREATE INDEX idx_alerts_agent_id ON alerts (agent_id);
CREATE INDEX idx_alerts_ack_by ON alerts (ack_by);
CREATE INDEX idx_alerts_unacknowledged ON alerts (organization_id, severity) WHERE NOT is_acknowledged;

CREATE TRIGGER trg_alerts_updated_at
    BEFORE UPDATE ON alerts
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
