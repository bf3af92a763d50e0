-- Migration: System configuration
-- Purpose: Add a key/value system_config table for instance-wide settings and seed the defaults.

CREATE TABLE system_config (
    id          UUID         NOT NULL DEFAULT gen_random_uuid(),
    key         VARCHAR(255) NOT NULL,
    value       JSONB        NOT NULL,
    description TEXT,
    is_secret   BOOLEAN      NOT NULL DEFAULT FALSE,
    updated_by  UUID,
    created_at  TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at  TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_system_config PRIMARY KEY (id),
    CONSTRAINT uq_system_config_key UNIQUE (key),
    CONSTRAINT chk_system_config_key_format CHECK (key ~ '^[a-z0-9_]+(\.[a-z0-9_]+)*$'),
    CONSTRAINT fk_system_config_updated_by FOREIGN KEY (updated_by)
        REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_system_config_updated_by ON system_config (updated_by);

CREATE TRIGGER trg_system_config_updated_at
    BEFORE UPDATE ON system_config
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

COMMENT ON TABLE system_config IS 'Instance-wide settings (JSONB values). Secrets are flagged with is_secret and never returned by the API.';

-- Seed defaults with fixed literal values (ids and timestamps included).
INSERT INTO system_config (id, key, value, description, is_secret, updated_by, created_at, updated_at)
VALUES
    ('00000000-0000-4000-a000-000000000101', 'auth.password_min_length', '12'::jsonb,
     'Minimum length of a user password.', FALSE, NULL,
     '2025-01-01 00:00:00+00', '2025-01-01 00:00:00+00'),
    ('00000000-0000-4000-a000-000000000102', 'auth.max_failed_logins', '5'::jsonb,
     'Failed logins before the account is temporarily locked.', FALSE, NULL,
     '2025-01-01 00:00:00+00', '2025-01-01 00:00:00+00'),
    ('00000000-0000-4000-a000-000000000103', 'auth.session_ttl_minutes', '60'::jsonb,
     'Lifetime of a dashboard session in minutes.', FALSE, NULL,
     '2025-01-01 00:00:00+00', '2025-01-01 00:00:00+00'),
    ('00000000-0000-4000-a000-000000000104', 'registration.require_approval', 'true'::jsonb,
     'Agent self-registrations need admin approval.', FALSE, NULL,
     '2025-01-01 00:00:00+00', '2025-01-01 00:00:00+00'),
    ('00000000-0000-4000-a000-000000000105', 'trust.default_score', '50'::jsonb,
     'Trust score (0-100) assigned to a newly registered agent.', FALSE, NULL,
     '2025-01-01 00:00:00+00', '2025-01-01 00:00:00+00')
ON CONFLICT DO NOTHING;
