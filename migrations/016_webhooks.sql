-- Migration: Webhooks and webhook deliveries
-- Purpose: Let organizations subscribe HTTP endpoints to AIM events and keep a delivery log with
--          retry state for each attempt.

CREATE TABLE webhooks (
    id                UUID          NOT NULL DEFAULT gen_random_uuid(),
    organization_id   UUID          NOT NULL,
    created_by        UUID,
    name              VARCHAR(255)  NOT NULL,
    url               VARCHAR(2048) NOT NULL,
    secret_ciphertext TEXT          NOT NULL,
    events            TEXT[]        NOT NULL DEFAULT '{}',
    is_active         BOOLEAN       NOT NULL DEFAULT TRUE,
    max_retries       INTEGER       NOT NULL DEFAULT 0,
    failure_count     INTEGER       NOT NULL DEFAULT 0,
    last_triggered_at TIMESTAMPTZ,
    created_at        TIMESTAMPTZ   NOT NULL DEFAULT NOW(),
    updated_at        TIMESTAMPTZ   NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_webhooks PRIMARY KEY (id),
    CONSTRAINT uq_webhooks_organization_name UNIQUE (organization_id, name),
    CONSTRAINT chk_webhooks_max_retries CHECK (max_retries BETWEEN 0 AND 10),
    CONSTRAINT chk_webhooks_failure_count CHECK (failure_count >= 0),
    CONSTRAINT fk_webhooks_organization FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_webhooks_created_by FOREIGN KEY (created_by)
        REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_webhooks_created_by ON webhooks (created_by);

CREATE TRIGGER trg_webhooks_updated_at
    BEFORE UPDATE ON webhooks
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

COMMENT ON COLUMN webhooks.secret_ciphertext IS 'HMAC signing secret, encrypted by the application (it must be recoverable to sign payloads).';

CREATE TABLE webhook_deliveries (
    id              UUID         NOT NULL DEFAULT gen_random_uuid(),
    webhook_id      UUID         NOT NULL,
    event_type      VARCHAR(100) NOT NULL,
    payload         JSONB        NOT NULL,
    status          VARCHAR(20)  NOT NULL DEFAULT 'pending',
    response_status INTEGER,
    response_body   TEXT,
    attempt_count   INTEGER      NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ,
    delivered_at    TIMESTAMPTZ,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_webhook_deliveries PRIMARY KEY (id),
    CONSTRAINT chk_webhook_deliveries_status CHECK (status IN ('pending', 'delivered', 'failed', 'abandoned')),
    CONSTRAINT chk_webhook_deliveries_response_status CHECK (
        response_status IS NULL OR response_status BETWEEN 100 AND 599),
    CONSTRAINT chk_webhook_deliveries_attempt_count CHECK (attempt_count >= 0),
    CONSTRAINT fk_webhook_deliveries_webhook FOREIGN KEY (webhook_id)
        REFERENCES webhooks (id) ON DELETE RESTRICT
);

CREATE INDEX idx_webhook_deliveries_webhook_created_at ON webhook_deliveries (webhook_id, created_at DESC);
CREATE INDEX idx_webhook_deliveries_pending ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

CREATE TRIGGER trg_webhook_deliveries_updated_at
    BEFORE UPDATE ON webhook_deliveries
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
