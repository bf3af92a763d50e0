-- Migration: Anomalies
-- Purpose: Store behavioural anomalies detected for agents (baseline vs observed), optionally linked
--          to the alert they raised.

CREATE TABLE anomalies (
    id              UUID           NOT NULL DEFAULT gen_random_uuid(),
    organization_id UUID           NOT NULL,
    agent_id        UUID           NOT NULL,
    alert_id        UUID,
    anomaly_type    VARCHAR(50)    NOT NULL,
    severity        alert_severity NOT NULL DEFAULT 'medium',
    score           NUMERIC(5,4),
    baseline        JSONB,
    observed        JSONB,
    ts              TIMESTAMPTZ    NOT NULL DEFAULT NOW(),
    status          VARCHAR(20)    NOT NULL DEFAULT 'open',
    resolved_at     TIMESTAMPTZ,
    created_at      TIMESTAMPTZ    NOT NULL DEFAULT NOW(),
    updated_at      TIMESTAMPTZ    NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_anomalies PRIMARY KEY (id),
    CONSTRAINT chk_anomalies_status CHECK (status IN ('open', 'investigating', 'resolved', 'false_positive')),
    CONSTRAINT chk_anomalies_score CHECK (score IS NULL OR score BETWEEN 0 AND 1),
    CONSTRAINT fk_anomalies_organization FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_anomalies_agent FOREIGN KEY (agent_id)
        REFERENCES agents (id) ON DELETE CASCADE,
    CONSTRAINT fk_anomalies_alert FOREIGN KEY (alert_id)
        REFERENCES alerts (id) ON DELETE SET NULL
);

CREATE INDEX idx_anomalies_organization_id ON anomalies (organization_id);
CREATE INDEX idx_anomalies_agent_ts ON anomalies (agent_id, ts DESC);
CREATE INDEX idx_anomalies_alert_id ON anomalies (alert_id);

CREATE TRIGGER trg_anomalies_updated_at
    BEFORE UPDATE ON anomalies
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
