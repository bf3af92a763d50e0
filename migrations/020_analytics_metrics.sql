-- Migration: Analytics metrics
-- Purpose: Add daily per-agent rollups and bucketed API usage counters that power the dashboard
--          analytics.

CREATE TABLE agent_metrics_daily (
    id                        UUID         NOT NULL DEFAULT gen_random_uuid(),
    agent_id                  UUID         NOT NULL,
    organization_id           UUID         NOT NULL,
    metric_date               DATE         NOT NULL,
    api_calls                 INTEGER      NOT NULL DEFAULT 0,
    verification_count        INTEGER      NOT NULL DEFAULT 0,
    failed_verification_count INTEGER      NOT NULL DEFAULT 0,
    violation_count           INTEGER      NOT NULL DEFAULT 0,
    avg_trust_score           NUMERIC(5,2),
    avg_response_ms           NUMERIC(10,2),
    created_at                TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at                TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_agent_metrics_daily PRIMARY KEY (id),
    CONSTRAINT uq_agent_metrics_daily_agent_date UNIQUE (agent_id, metric_date),
    CONSTRAINT chk_agent_metrics_daily_counts CHECK (
        api_calls >= 0 AND verification_count >= 0
        AND failed_verification_count >= 0 AND violation_count >= 0),
    CONSTRAINT chk_agent_metrics_daily_failed_le_total CHECK (failed_verification_count <= verification_count),
    CONSTRAINT fk_agent_metrics_daily_agent FOREIGN KEY (agent_id)
        REFERENCES agents (id) ON DELETE CASCADE,
    CONSTRAINT fk_agent_metrics_daily_organization FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE
);

CREATE INDEX idx_agent_metrics_daily_organization_date ON agent_metrics_daily (organization_id, metric_date);

CREATE TRIGGER trg_agent_metrics_daily_updated_at
    BEFORE UPDATE ON agent_metrics_daily
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE api_usage_metrics (
    id               UUID         NOT NULL DEFAULT gen_random_uuid(),
    organization_id  UUID         NOT NULL,
    api_key_id       UUID,
    endpoint         VARCHAR(255) NOT NULL,
    method           VARCHAR(10)  NOT NULL,
    bucket_start     TIMESTAMPTZ  NOT NULL,
    request_count    INTEGER      NOT NULL DEFAULT 0,
    error_count      INTEGER      NOT NULL DEFAULT 0,
    total_latency_ms BIGINT       NOT NULL DEFAULT 0,
    created_at       TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at       TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_api_usage_metrics PRIMARY KEY (id),
    -- NULLS NOT DISTINCT (PG15+): one bucket row per endpoint even for key-less (session) traffic.
    CONSTRAINT uq_api_usage_metrics_bucket UNIQUE NULLS NOT DISTINCT
        (organization_id, bucket_start, endpoint, method, api_key_id),
    CONSTRAINT chk_api_usage_metrics_method CHECK (method IN ('GET', 'POST', 'PUT', 'PATCH', 'DELETE')),
    CONSTRAINT chk_api_usage_metrics_counts CHECK (
        request_count >= 0 AND error_count >= 0 AND total_latency_ms >= 0),
    CONSTRAINT chk_api_usage_metrics_errors_le_requests CHECK (error_count <= request_count),
    CONSTRAINT fk_api_usage_metrics_organization FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_api_usage_metrics_api_key FOREIGN KEY (api_key_id)
        REFERENCES api_keys (id) ON DELETE SET NULL
);

CREATE INDEX idx_api_usage_metrics_api_key_id ON api_usage_metrics (api_key_id);

CREATE TRIGGER trg_api_usage_metrics_updated_at
    BEFORE UPDATE ON api_usage_metrics
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
