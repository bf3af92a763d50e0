-- Migration: Notification settings
-- Purpose: Store per-user notification preferences (channel, event type, minimum severity).

CREATE TABLE notification_settings (
    id              UUID           NOT NULL DEFAULT gen_random_uuid(),
    user_id         UUID           NOT NULL,
    organization_id UUID           NOT NULL,
    channel         VARCHAR(20)    NOT NULL,
    event_type      VARCHAR(100)   NOT NULL,
    min_severity    alert_severity NOT NULL DEFAULT 'medium',
    is_enabled      BOOLEAN        NOT NULL DEFAULT TRUE,
    destination     TEXT,
    created_at      TIMESTAMPTZ    NOT NULL DEFAULT NOW(),
    updated_at      TIMESTAMPTZ    NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_notification_settings PRIMARY KEY (id),
    CONSTRAINT uq_notification_settings_user_channel_event UNIQUE (user_id, channel, event_type),
    CONSTRAINT chk_notification_settings_channel CHECK (channel IN ('email', 'slack', 'webhook', 'in_app')),
    CONSTRAINT fk_notification_settings_user FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT fk_notification_settings_organization FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE
);

CREATE INDEX idx_notification_settings_organization_id ON notification_settings (organization_id);

CREATE TRIGGER trg_notification_settings_updated_at
    BEFORE UPDATE ON notification_settings
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
