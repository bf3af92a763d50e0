-- aim-migrate: baseline-version=30
-- =============================================================================
-- AIM (Agent Identity Management) - consolidated baseline schema
--
-- This file consolidates the incremental migrations 001..030 into a single
-- script for fresh databases. The runner applies it in ONE transaction and
-- records baseline version 30, after which only migrations > 030 run.
--
-- It MUST be kept identical in effect to 001..030: same tables, column order,
-- types, defaults, nullability, constraint/index names and definitions,
-- functions, triggers, enums, comments and seeded rows. check.sh proves it by
-- diffing pg_dump output of both tracks. When editing, remember:
--   * columns the chain adds later (ALTER TABLE ... ADD COLUMN) are placed at
--     the END of their CREATE TABLE, in the order the chain adds them;
--   * renamed / retyped columns appear with their final name and type in
--     their original position (028: alerts.acknowledged_by,
--     anomalies.detected_at; 029: TEXT / BIGINT);
--   * seeded rows use fixed literal values for every column.
-- =============================================================================

-- Legacy history table, in the shape of the old runner. No rows are inserted:
-- the runner records the baseline itself.
CREATE TABLE IF NOT EXISTS schema_migrations (version VARCHAR(255) PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW());

-- -----------------------------------------------------------------------------
-- Functions and types (001, 011, 012)
-- -----------------------------------------------------------------------------

-- Shared trigger function: keeps updated_at current on every UPDATE.
CREATE FUNCTION set_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.updated_at := NOW();
    RETURN NEW;
END;
$$;

-- 'quarantined' was appended after 'verified' by 012.
CREATE TYPE agent_status AS ENUM ('pending', 'verified', 'quarantined', 'suspended', 'revoked');

CREATE TYPE alert_severity AS ENUM ('info', 'low', 'medium', 'high', 'critical');

-- -----------------------------------------------------------------------------
-- organizations (001; settings, billing_email from 003)
-- -----------------------------------------------------------------------------
CREATE TABLE organizations (
    id            UUID         NOT NULL DEFAULT gen_random_uuid(),
    name          VARCHAR(255) NOT NULL,
    domain        VARCHAR(255) NOT NULL,
    plan          VARCHAR(50)  NOT NULL DEFAULT 'free',
    max_agents    INTEGER      NOT NULL DEFAULT 100,
    is_active     BOOLEAN      NOT NULL DEFAULT TRUE,
    created_at    TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at    TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    settings      JSONB        NOT NULL DEFAULT '{}'::jsonb,
    billing_email VARCHAR(255),
    CONSTRAINT pk_organizations PRIMARY KEY (id),
    CONSTRAINT uq_organizations_domain UNIQUE (domain),
    CONSTRAINT chk_organizations_domain_lowercase CHECK (domain = lower(domain)),
    CONSTRAINT chk_organizations_plan CHECK (plan IN ('free', 'pro', 'enterprise')),
    CONSTRAINT chk_organizations_max_agents CHECK (max_agents > 0)
);

CREATE TRIGGER trg_organizations_updated_at
    BEFORE UPDATE ON organizations
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

COMMENT ON TABLE organizations IS 'Tenants. Every agent, user and policy belongs to exactly one organization.';

-- -----------------------------------------------------------------------------
-- users (001; account columns from 002; auth_provider from 026; checks from 025/026)
-- -----------------------------------------------------------------------------
CREATE TABLE users (
    id                    UUID         NOT NULL DEFAULT gen_random_uuid(),
    organization_id       UUID         NOT NULL,
    email                 VARCHAR(255) NOT NULL,
    name                  VARCHAR(255) NOT NULL,
    password_hash         TEXT,
    role                  VARCHAR(50)  NOT NULL DEFAULT 'member',
    status                VARCHAR(20)  NOT NULL DEFAULT 'active',
    created_at            TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at            TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    must_change_password  BOOLEAN      NOT NULL DEFAULT FALSE,
    last_login_at         TIMESTAMPTZ,
    failed_login_attempts INTEGER      NOT NULL DEFAULT 0,
    locked_until          TIMESTAMPTZ,
    password_changed_at   TIMESTAMPTZ,
    auth_provider         VARCHAR(50)  NOT NULL DEFAULT 'local',
    CONSTRAINT pk_users PRIMARY KEY (id),
    CONSTRAINT uq_users_email UNIQUE (email),
    CONSTRAINT chk_users_email_lowercase CHECK (email = lower(email)),
    CONSTRAINT chk_users_role CHECK (role IN ('admin', 'manager', 'member', 'viewer')),
    CONSTRAINT chk_users_status CHECK (status IN ('active', 'suspended', 'deactivated')),
    CONSTRAINT chk_users_failed_login_attempts CHECK (failed_login_attempts >= 0),
    CONSTRAINT chk_users_auth_provider
        CHECK (auth_provider IN ('local', 'google', 'github', 'microsoft', 'okta', 'oidc')),
    CONSTRAINT fk_users_organization FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE
);

CREATE INDEX idx_users_organization_id ON users (organization_id);

CREATE TRIGGER trg_users_updated_at
    BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

COMMENT ON COLUMN users.password_hash IS 'bcrypt/argon2 hash, or NULL for SSO-only users. The value ''!'' means locked: it can never verify.';
COMMENT ON COLUMN users.must_change_password IS 'When true the user is forced through the change-password flow before anything else.';

-- -----------------------------------------------------------------------------
-- agents (001; liveness/metadata columns from 003; fixes from 023/024/025/030)
-- -----------------------------------------------------------------------------
CREATE TABLE agents (
    id              UUID         NOT NULL DEFAULT gen_random_uuid(),
    organization_id UUID         NOT NULL,
    name            VARCHAR(255) NOT NULL,
    display_name    VARCHAR(255) NOT NULL,
    description     TEXT,
    agent_type      VARCHAR(50)  NOT NULL DEFAULT 'ai_agent',
    status          agent_status NOT NULL DEFAULT 'pending',
    public_key      TEXT,
    trust_score     NUMERIC(5,2) NOT NULL DEFAULT 50.00,
    version         VARCHAR(50),
    created_by      UUID,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    last_seen_at    TIMESTAMPTZ,
    metadata        JSONB        NOT NULL DEFAULT '{}'::jsonb,
    verified_at     TIMESTAMPTZ,
    CONSTRAINT pk_agents PRIMARY KEY (id),
    CONSTRAINT uq_agents_organization_name UNIQUE (organization_id, name),
    CONSTRAINT chk_agents_agent_type CHECK (agent_type IN ('ai_agent', 'mcp_client', 'service', 'autonomous')),
    CONSTRAINT chk_agents_trust_score_range CHECK (trust_score >= 0 AND trust_score <= 100),
    CONSTRAINT chk_agents_display_name_not_blank CHECK (btrim(display_name) <> ''),
    CONSTRAINT fk_agents_organization FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_agents_created_by FOREIGN KEY (created_by)
        REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_agents_status ON agents (status);
CREATE INDEX idx_agents_last_seen_at ON agents (last_seen_at);
CREATE INDEX idx_agents_created_by ON agents (created_by);

CREATE TRIGGER trg_agents_updated_at
    BEFORE UPDATE ON agents
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

COMMENT ON TABLE agents IS 'Registered AI agents and MCP clients whose identity AIM verifies.';
COMMENT ON COLUMN agents.trust_score IS 'Current trust score on a 0-100 scale; every change is audited in trust_score_history.';

-- -----------------------------------------------------------------------------
-- api_keys (001; chk_api_keys_expiry from 025)
-- -----------------------------------------------------------------------------
CREATE TABLE api_keys (
    id              UUID         NOT NULL DEFAULT gen_random_uuid(),
    organization_id UUID         NOT NULL,
    agent_id        UUID,
    created_by      UUID,
    name            VARCHAR(255) NOT NULL,
    key_prefix      VARCHAR(16)  NOT NULL,
    key_hash        TEXT         NOT NULL,
    scopes          TEXT[]       NOT NULL DEFAULT '{}',
    expires_at      TIMESTAMPTZ,
    last_used_at    TIMESTAMPTZ,
    revoked_at      TIMESTAMPTZ,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_api_keys PRIMARY KEY (id),
    CONSTRAINT uq_api_keys_key_hash UNIQUE (key_hash),
    CONSTRAINT chk_api_keys_expiry CHECK (expires_at IS NULL OR expires_at > created_at),
    CONSTRAINT fk_api_keys_organization FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_api_keys_agent FOREIGN KEY (agent_id)
        REFERENCES agents (id) ON DELETE CASCADE,
    CONSTRAINT fk_api_keys_created_by FOREIGN KEY (created_by)
        REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_api_keys_organization_id ON api_keys (organization_id);
CREATE INDEX idx_api_keys_agent_id ON api_keys (agent_id);
CREATE INDEX idx_api_keys_created_by ON api_keys (created_by);
CREATE INDEX idx_api_keys_key_prefix ON api_keys (key_prefix);

CREATE TRIGGER trg_api_keys_updated_at
    BEFORE UPDATE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- -----------------------------------------------------------------------------
-- user_sessions (001)
-- -----------------------------------------------------------------------------
CREATE TABLE user_sessions (
    id          UUID        NOT NULL DEFAULT gen_random_uuid(),
    user_id     UUID        NOT NULL,
    token_hash  TEXT        NOT NULL,
    ip_address  INET,
    user_agent  TEXT,
    expires_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_user_sessions PRIMARY KEY (id),
    CONSTRAINT uq_user_sessions_token_hash UNIQUE (token_hash),
    CONSTRAINT chk_user_sessions_expiry CHECK (expires_at > created_at),
    CONSTRAINT fk_user_sessions_user FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE
);

CREATE INDEX idx_user_sessions_user_id ON user_sessions (user_id);
CREATE INDEX idx_user_sessions_expires_at ON user_sessions (expires_at);

CREATE TRIGGER trg_user_sessions_updated_at
    BEFORE UPDATE ON user_sessions
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- -----------------------------------------------------------------------------
-- sdk_tokens (004)
-- -----------------------------------------------------------------------------
CREATE TABLE sdk_tokens (
    id              UUID         NOT NULL DEFAULT gen_random_uuid(),
    organization_id UUID         NOT NULL,
    user_id         UUID         NOT NULL,
    agent_id        UUID,
    name            VARCHAR(255) NOT NULL,
    token_prefix    VARCHAR(16)  NOT NULL,
    token_hash      TEXT         NOT NULL,
    expires_at      TIMESTAMPTZ,
    last_used_at    TIMESTAMPTZ,
    last_used_ip    INET,
    revoked_at      TIMESTAMPTZ,
    revoke_reason   TEXT,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_sdk_tokens PRIMARY KEY (id),
    CONSTRAINT uq_sdk_tokens_token_hash UNIQUE (token_hash),
    CONSTRAINT chk_sdk_tokens_revocation CHECK (revoke_reason IS NULL OR revoked_at IS NOT NULL),
    CONSTRAINT fk_sdk_tokens_organization FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_sdk_tokens_user FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT fk_sdk_tokens_agent FOREIGN KEY (agent_id)
        REFERENCES agents (id) ON DELETE SET NULL
);

CREATE INDEX idx_sdk_tokens_organization_id ON sdk_tokens (organization_id);
CREATE INDEX idx_sdk_tokens_user_id ON sdk_tokens (user_id);
CREATE INDEX idx_sdk_tokens_agent_id ON sdk_tokens (agent_id);

CREATE TRIGGER trg_sdk_tokens_updated_at
    BEFORE UPDATE ON sdk_tokens
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- -----------------------------------------------------------------------------
-- mcp_servers, mcp_server_tools (005)
-- -----------------------------------------------------------------------------
CREATE TABLE mcp_servers (
    id              UUID         NOT NULL DEFAULT gen_random_uuid(),
    organization_id UUID         NOT NULL,
    created_by      UUID,
    name            VARCHAR(255) NOT NULL,
    description     TEXT,
    url             TEXT         NOT NULL,
    transport       VARCHAR(20)  NOT NULL DEFAULT 'stdio',
    status          VARCHAR(20)  NOT NULL DEFAULT 'pending',
    public_key      TEXT,
    verified_at     TIMESTAMPTZ,
    last_checked_at TIMESTAMPTZ,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_mcp_servers PRIMARY KEY (id),
    CONSTRAINT uq_mcp_servers_organization_url UNIQUE (organization_id, url),
    CONSTRAINT chk_mcp_servers_transport CHECK (transport IN ('stdio', 'sse', 'http')),
    CONSTRAINT chk_mcp_servers_status CHECK (status IN ('pending', 'verified', 'suspended', 'revoked')),
    CONSTRAINT fk_mcp_servers_organization FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_mcp_servers_created_by FOREIGN KEY (created_by)
        REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_mcp_servers_created_by ON mcp_servers (created_by);

CREATE TRIGGER trg_mcp_servers_updated_at
    BEFORE UPDATE ON mcp_servers
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE mcp_server_tools (
    id            UUID         NOT NULL DEFAULT gen_random_uuid(),
    mcp_server_id UUID         NOT NULL,
    name          VARCHAR(255) NOT NULL,
    description   TEXT,
    input_schema  JSONB        NOT NULL DEFAULT '{}'::jsonb,
    risk_level    VARCHAR(20)  NOT NULL DEFAULT 'low',
    is_enabled    BOOLEAN      NOT NULL DEFAULT TRUE,
    created_at    TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at    TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_mcp_server_tools PRIMARY KEY (id),
    CONSTRAINT uq_mcp_server_tools_server_name UNIQUE (mcp_server_id, name),
    CONSTRAINT chk_mcp_server_tools_risk_level CHECK (risk_level IN ('low', 'medium', 'high', 'critical')),
    CONSTRAINT fk_mcp_server_tools_mcp_server FOREIGN KEY (mcp_server_id)
        REFERENCES mcp_servers (id) ON DELETE CASCADE
);

CREATE TRIGGER trg_mcp_server_tools_updated_at
    BEFORE UPDATE ON mcp_server_tools
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- -----------------------------------------------------------------------------
-- agent_mcp_connections (006)
-- -----------------------------------------------------------------------------
CREATE TABLE agent_mcp_connections (
    id                 UUID        NOT NULL DEFAULT gen_random_uuid(),
    agent_id           UUID        NOT NULL,
    mcp_server_id      UUID        NOT NULL,
    status             VARCHAR(20) NOT NULL DEFAULT 'active',
    first_connected_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    last_connected_at  TIMESTAMPTZ,
    connection_count   BIGINT      NOT NULL DEFAULT 0,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_agent_mcp_connections PRIMARY KEY (id),
    CONSTRAINT uq_agent_mcp_connections_agent_server UNIQUE (agent_id, mcp_server_id),
    CONSTRAINT chk_agent_mcp_connections_status CHECK (status IN ('active', 'blocked', 'revoked')),
    CONSTRAINT chk_agent_mcp_connections_count CHECK (connection_count >= 0),
    CONSTRAINT fk_agent_mcp_connections_agent FOREIGN KEY (agent_id)
        REFERENCES agents (id) ON DELETE CASCADE,
    CONSTRAINT fk_agent_mcp_connections_mcp_server FOREIGN KEY (mcp_server_id)
        REFERENCES mcp_servers (id) ON DELETE CASCADE
);

CREATE INDEX idx_agent_mcp_connections_mcp_server_id ON agent_mcp_connections (mcp_server_id);

CREATE TRIGGER trg_agent_mcp_connections_updated_at
    BEFORE UPDATE ON agent_mcp_connections
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- -----------------------------------------------------------------------------
-- trust_scores, trust_score_history and the trust-score audit trigger (007)
-- -----------------------------------------------------------------------------
CREATE TABLE trust_scores (
    id                 UUID         NOT NULL DEFAULT gen_random_uuid(),
    agent_id           UUID         NOT NULL,
    score              NUMERIC(5,2) NOT NULL,
    verification_score NUMERIC(5,2) NOT NULL DEFAULT 0,
    behavior_score     NUMERIC(5,2) NOT NULL DEFAULT 0,
    compliance_score   NUMERIC(5,2) NOT NULL DEFAULT 0,
    factors            JSONB        NOT NULL DEFAULT '{}'::jsonb,
    calculated_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    created_at         TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at         TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_trust_scores PRIMARY KEY (id),
    CONSTRAINT uq_trust_scores_agent UNIQUE (agent_id),
    CONSTRAINT chk_trust_scores_score CHECK (score BETWEEN 0 AND 100),
    CONSTRAINT chk_trust_scores_components CHECK (
        verification_score BETWEEN 0 AND 100
        AND behavior_score BETWEEN 0 AND 100
        AND compliance_score BETWEEN 0 AND 100),
    CONSTRAINT fk_trust_scores_agent FOREIGN KEY (agent_id)
        REFERENCES agents (id) ON DELETE CASCADE
);

CREATE TRIGGER trg_trust_scores_updated_at
    BEFORE UPDATE ON trust_scores
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE trust_score_history (
    id              UUID         NOT NULL DEFAULT gen_random_uuid(),
    agent_id        UUID         NOT NULL,
    organization_id UUID         NOT NULL,
    old_score       NUMERIC(5,2),
    new_score       NUMERIC(5,2) NOT NULL,
    reason          TEXT,
    changed_by      TEXT         NOT NULL DEFAULT CURRENT_USER,
    changed_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_trust_score_history PRIMARY KEY (id),
    CONSTRAINT fk_trust_score_history_agent FOREIGN KEY (agent_id)
        REFERENCES agents (id) ON DELETE CASCADE,
    CONSTRAINT fk_trust_score_history_organization FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE
);

CREATE INDEX idx_trust_score_history_agent_changed_at ON trust_score_history (agent_id, changed_at DESC);
CREATE INDEX idx_trust_score_history_organization_id ON trust_score_history (organization_id);

COMMENT ON TABLE trust_score_history IS 'Append-only audit of agents.trust_score changes, written by trg_agents_trust_score_audit.';

-- Audit trigger: old score → new score. A naïve "<>" comparison would miss
-- NULL transitions, hence IS DISTINCT FROM (in the WHEN clause and the body).
-- The body must stay byte-identical to 007 (pg_dump compares the source text).
CREATE FUNCTION record_trust_score_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    -- Scores are on a 0-100 % scale; only real changes are recorded (old → new).
    IF NEW.trust_score IS DISTINCT FROM OLD.trust_score THEN
        BEGIN
            INSERT INTO trust_score_history
                (agent_id, organization_id, old_score, new_score, reason, changed_by, changed_at)
            VALUES
                (NEW.id, NEW.organization_id, OLD.trust_score, NEW.trust_score,
                 NULLIF(current_setting('aim.trust_score_reason', true), ''),
                 current_user, NOW());
        EXCEPTION
            WHEN OTHERS THEN
                -- Never lose an audit row silently (naïve swallowing would): re-raise with context.
                RAISE EXCEPTION 'trust score audit failed for agent % (% -> %, scale 0-100%%): %',
                    NEW.id, OLD.trust_score, NEW.trust_score, SQLERRM
                    USING ERRCODE = SQLSTATE;
        END;
    END IF;
    RETURN NEW;
END;
$$;

COMMENT ON FUNCTION record_trust_score_change() IS 'Writes a trust_score_history row whenever agents.trust_score changes (old → new).';

CREATE TRIGGER trg_agents_trust_score_audit
    AFTER UPDATE OF trust_score ON agents
    FOR EACH ROW
    WHEN (OLD.trust_score IS DISTINCT FROM NEW.trust_score)
    EXECUTE FUNCTION record_trust_score_change();

-- -----------------------------------------------------------------------------
-- verification_events (008)
-- -----------------------------------------------------------------------------
CREATE TABLE verification_events (
    id              UUID         NOT NULL DEFAULT gen_random_uuid(),
    organization_id UUID         NOT NULL,
    agent_id        UUID,
    mcp_server_id   UUID,
    event_type      VARCHAR(50)  NOT NULL,
    status          VARCHAR(20)  NOT NULL,
    protocol        VARCHAR(50),
    confidence      NUMERIC(5,4),
    duration_ms     INTEGER,
    initiator_type  VARCHAR(20)  NOT NULL DEFAULT 'system',
    initiator_id    UUID,
    error_message   TEXT,
    details         JSONB        NOT NULL DEFAULT '{}'::jsonb,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_verification_events PRIMARY KEY (id),
    CONSTRAINT chk_verification_events_event_type CHECK (
        event_type IN ('signature', 'challenge', 'certificate', 'mcp_attestation')),
    CONSTRAINT chk_verification_events_status CHECK (status IN ('success', 'failed', 'pending', 'timeout')),
    CONSTRAINT chk_verification_events_initiator_type CHECK (initiator_type IN ('system', 'user', 'agent')),
    CONSTRAINT chk_verification_events_confidence CHECK (confidence IS NULL OR confidence BETWEEN 0 AND 1),
    CONSTRAINT chk_verification_events_subject CHECK (agent_id IS NOT NULL OR mcp_server_id IS NOT NULL),
    CONSTRAINT fk_verification_events_organization FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_verification_events_agent FOREIGN KEY (agent_id)
        REFERENCES agents (id) ON DELETE CASCADE,
    CONSTRAINT fk_verification_events_mcp_server FOREIGN KEY (mcp_server_id)
        REFERENCES mcp_servers (id) ON DELETE CASCADE
);

CREATE INDEX idx_verification_events_organization_created_at ON verification_events (organization_id, created_at DESC);
CREATE INDEX idx_verification_events_agent_id ON verification_events (agent_id);
CREATE INDEX idx_verification_events_mcp_server_id ON verification_events (mcp_server_id);

-- -----------------------------------------------------------------------------
-- capabilities (009), capability_requests (010), capability_violations (011)
-- -----------------------------------------------------------------------------
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

CREATE TABLE capability_requests (
    id              UUID         NOT NULL DEFAULT gen_random_uuid(),
    agent_id        UUID         NOT NULL,
    capability_type VARCHAR(100) NOT NULL,
    reason          TEXT,
    status          VARCHAR(20)  NOT NULL DEFAULT 'pending',
    requested_by    UUID,
    reviewed_by     UUID,
    reviewed_at     TIMESTAMPTZ,
    review_note     TEXT,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_capability_requests PRIMARY KEY (id),
    CONSTRAINT chk_capability_requests_status CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
    CONSTRAINT chk_capability_requests_review CHECK (status NOT IN ('approved', 'rejected') OR reviewed_at IS NOT NULL),
    CONSTRAINT fk_capability_requests_agent FOREIGN KEY (agent_id)
        REFERENCES agents (id) ON DELETE CASCADE,
    CONSTRAINT fk_capability_requests_requested_by FOREIGN KEY (requested_by)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT fk_capability_requests_reviewed_by FOREIGN KEY (reviewed_by)
        REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_capability_requests_agent_id ON capability_requests (agent_id);
CREATE INDEX idx_capability_requests_requested_by ON capability_requests (requested_by);
CREATE INDEX idx_capability_requests_reviewed_by ON capability_requests (reviewed_by);
CREATE INDEX idx_capability_requests_pending ON capability_requests (created_at) WHERE status = 'pending';

CREATE TRIGGER trg_capability_requests_updated_at
    BEFORE UPDATE ON capability_requests
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE capability_violations (
    id               UUID           NOT NULL DEFAULT gen_random_uuid(),
    agent_id         UUID           NOT NULL,
    capability_id    UUID,
    attempted_action VARCHAR(255)   NOT NULL,
    resource         TEXT,
    severity         alert_severity NOT NULL DEFAULT 'medium',
    was_blocked      BOOLEAN        NOT NULL DEFAULT TRUE,
    source_ip        INET,
    details          JSONB          NOT NULL DEFAULT '{}'::jsonb,
    created_at       TIMESTAMPTZ    NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_capability_violations PRIMARY KEY (id),
    CONSTRAINT fk_capability_violations_agent FOREIGN KEY (agent_id)
        REFERENCES agents (id) ON DELETE CASCADE,
    CONSTRAINT fk_capability_violations_capability FOREIGN KEY (capability_id)
        REFERENCES capabilities (id) ON DELETE SET NULL
);

CREATE INDEX idx_capability_violations_agent_created_at ON capability_violations (agent_id, created_at DESC);
CREATE INDEX idx_capability_violations_capability_id ON capability_violations (capability_id);

-- -----------------------------------------------------------------------------
-- security_policies (012)
-- -----------------------------------------------------------------------------
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

-- -----------------------------------------------------------------------------
-- alerts (013; ack_by renamed to acknowledged_by by 028)
-- -----------------------------------------------------------------------------
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
    acknowledged_by UUID,
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
    CONSTRAINT fk_alerts_acknowledged_by FOREIGN KEY (acknowledged_by)
        REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_alerts_organization_created_at ON alerts (organization_id, created_at DESC);
CREATE INDEX idx_alerts_agent_id ON alerts (agent_id);
CREATE INDEX idx_alerts_acknowledged_by ON alerts (acknowledged_by);
CREATE INDEX idx_alerts_unacknowledged ON alerts (organization_id, severity) WHERE NOT is_acknowledged;

CREATE TRIGGER trg_alerts_updated_at
    BEFORE UPDATE ON alerts
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- -----------------------------------------------------------------------------
-- anomalies (014; ts renamed to detected_at by 028)
-- -----------------------------------------------------------------------------
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
    detected_at     TIMESTAMPTZ    NOT NULL DEFAULT NOW(),
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
CREATE INDEX idx_anomalies_agent_detected_at ON anomalies (agent_id, detected_at DESC);
CREATE INDEX idx_anomalies_alert_id ON anomalies (alert_id);

CREATE TRIGGER trg_anomalies_updated_at
    BEFORE UPDATE ON anomalies
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

COMMENT ON COLUMN anomalies.detected_at IS 'When the detector observed the anomaly (may precede created_at for batch detection).';

-- -----------------------------------------------------------------------------
-- audit_logs (015; action/resource_type widened to TEXT by 029)
-- -----------------------------------------------------------------------------
CREATE TABLE audit_logs (
    id              UUID         NOT NULL DEFAULT gen_random_uuid(),
    organization_id UUID         NOT NULL,
    user_id         UUID,
    agent_id        UUID,
    action          TEXT         NOT NULL,
    resource_type   TEXT         NOT NULL,
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

-- -----------------------------------------------------------------------------
-- webhooks, webhook_deliveries (016; url TEXT by 029, max_retries default by 024,
-- url check by 030, delivery FK action by 023)
-- -----------------------------------------------------------------------------
CREATE TABLE webhooks (
    id                UUID          NOT NULL DEFAULT gen_random_uuid(),
    organization_id   UUID          NOT NULL,
    created_by        UUID,
    name              VARCHAR(255)  NOT NULL,
    url               TEXT          NOT NULL,
    secret_ciphertext TEXT          NOT NULL,
    events            TEXT[]        NOT NULL DEFAULT '{}',
    is_active         BOOLEAN       NOT NULL DEFAULT TRUE,
    max_retries       INTEGER       NOT NULL DEFAULT 3,
    failure_count     INTEGER       NOT NULL DEFAULT 0,
    last_triggered_at TIMESTAMPTZ,
    created_at        TIMESTAMPTZ   NOT NULL DEFAULT NOW(),
    updated_at        TIMESTAMPTZ   NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_webhooks PRIMARY KEY (id),
    CONSTRAINT uq_webhooks_organization_name UNIQUE (organization_id, name),
    CONSTRAINT chk_webhooks_max_retries CHECK (max_retries BETWEEN 0 AND 10),
    CONSTRAINT chk_webhooks_failure_count CHECK (failure_count >= 0),
    CONSTRAINT chk_webhooks_url_scheme CHECK (url ~* '^https?://'),
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
        REFERENCES webhooks (id) ON DELETE CASCADE
);

CREATE INDEX idx_webhook_deliveries_webhook_created_at ON webhook_deliveries (webhook_id, created_at DESC);
CREATE INDEX idx_webhook_deliveries_pending ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

CREATE TRIGGER trg_webhook_deliveries_updated_at
    BEFORE UPDATE ON webhook_deliveries
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- -----------------------------------------------------------------------------
-- tags, agent_tags (017)
-- -----------------------------------------------------------------------------
CREATE TABLE tags (
    id              UUID         NOT NULL DEFAULT gen_random_uuid(),
    organization_id UUID         NOT NULL,
    name            VARCHAR(100) NOT NULL,
    color           VARCHAR(7),
    description     TEXT,
    created_by      UUID,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_tags PRIMARY KEY (id),
    CONSTRAINT uq_tags_organization_name UNIQUE (organization_id, name),
    CONSTRAINT chk_tags_color CHECK (color IS NULL OR color ~ '^#[0-9A-Fa-f]{6}$'),
    CONSTRAINT fk_tags_organization FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_tags_created_by FOREIGN KEY (created_by)
        REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_tags_created_by ON tags (created_by);

CREATE TRIGGER trg_tags_updated_at
    BEFORE UPDATE ON tags
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE agent_tags (
    id         UUID        NOT NULL DEFAULT gen_random_uuid(),
    agent_id   UUID        NOT NULL,
    tag_id     UUID        NOT NULL,
    tagged_by  UUID,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_agent_tags PRIMARY KEY (id),
    CONSTRAINT uq_agent_tags_agent_tag UNIQUE (agent_id, tag_id),
    CONSTRAINT fk_agent_tags_agent FOREIGN KEY (agent_id)
        REFERENCES agents (id) ON DELETE CASCADE,
    CONSTRAINT fk_agent_tags_tag FOREIGN KEY (tag_id)
        REFERENCES tags (id) ON DELETE CASCADE,
    CONSTRAINT fk_agent_tags_tagged_by FOREIGN KEY (tagged_by)
        REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_agent_tags_tag_id ON agent_tags (tag_id);
CREATE INDEX idx_agent_tags_tagged_by ON agent_tags (tagged_by);

-- -----------------------------------------------------------------------------
-- registration_requests (018)
-- -----------------------------------------------------------------------------
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

-- -----------------------------------------------------------------------------
-- system_config (019)
-- -----------------------------------------------------------------------------
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

-- -----------------------------------------------------------------------------
-- agent_metrics_daily, api_usage_metrics (020; counters widened to BIGINT by 029)
-- -----------------------------------------------------------------------------
CREATE TABLE agent_metrics_daily (
    id                        UUID         NOT NULL DEFAULT gen_random_uuid(),
    agent_id                  UUID         NOT NULL,
    organization_id           UUID         NOT NULL,
    metric_date               DATE         NOT NULL,
    api_calls                 BIGINT       NOT NULL DEFAULT 0,
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
    request_count    BIGINT       NOT NULL DEFAULT 0,
    error_count      BIGINT       NOT NULL DEFAULT 0,
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

-- -----------------------------------------------------------------------------
-- invitations (021)
-- -----------------------------------------------------------------------------
CREATE TABLE invitations (
    id              UUID         NOT NULL DEFAULT gen_random_uuid(),
    organization_id UUID         NOT NULL,
    email           VARCHAR(255) NOT NULL,
    role            VARCHAR(50)  NOT NULL DEFAULT 'member',
    token_hash      TEXT         NOT NULL,
    status          VARCHAR(20)  NOT NULL DEFAULT 'pending',
    invited_by      UUID,
    accepted_by     UUID,
    expires_at      TIMESTAMPTZ  NOT NULL,
    accepted_at     TIMESTAMPTZ,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_invitations PRIMARY KEY (id),
    CONSTRAINT uq_invitations_token_hash UNIQUE (token_hash),
    CONSTRAINT chk_invitations_email_lowercase CHECK (email = lower(email)),
    CONSTRAINT chk_invitations_role CHECK (role IN ('admin', 'manager', 'member', 'viewer')),
    CONSTRAINT chk_invitations_status CHECK (status IN ('pending', 'accepted', 'revoked', 'expired')),
    CONSTRAINT fk_invitations_organization FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_invitations_invited_by FOREIGN KEY (invited_by)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT fk_invitations_accepted_by FOREIGN KEY (accepted_by)
        REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_invitations_organization_id ON invitations (organization_id);
CREATE UNIQUE INDEX uq_invitations_pending_email ON invitations (organization_id, email) WHERE status = 'pending';
CREATE INDEX idx_invitations_invited_by ON invitations (invited_by);
CREATE INDEX idx_invitations_accepted_by ON invitations (accepted_by);

CREATE TRIGGER trg_invitations_updated_at
    BEFORE UPDATE ON invitations
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- -----------------------------------------------------------------------------
-- notification_settings (022)
-- -----------------------------------------------------------------------------
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

-- -----------------------------------------------------------------------------
-- oauth_connections (026)
-- -----------------------------------------------------------------------------
CREATE TABLE oauth_connections (
    id                      UUID         NOT NULL DEFAULT gen_random_uuid(),
    user_id                 UUID         NOT NULL,
    provider                VARCHAR(50)  NOT NULL,
    provider_user_id        VARCHAR(255) NOT NULL,
    provider_email          VARCHAR(255),
    access_token_encrypted  TEXT,
    refresh_token_encrypted TEXT,
    token_expires_at        TIMESTAMPTZ,
    scopes                  TEXT[]       NOT NULL DEFAULT '{}',
    last_login_at           TIMESTAMPTZ,
    created_at              TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at              TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_oauth_connections PRIMARY KEY (id),
    CONSTRAINT uq_oauth_connections_provider_subject UNIQUE (provider, provider_user_id),
    CONSTRAINT uq_oauth_connections_user_provider UNIQUE (user_id, provider),
    CONSTRAINT chk_oauth_connections_provider CHECK (provider IN ('google', 'github', 'microsoft', 'okta', 'oidc')),
    CONSTRAINT fk_oauth_connections_user FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE
);

CREATE TRIGGER trg_oauth_connections_updated_at
    BEFORE UPDATE ON oauth_connections
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- -----------------------------------------------------------------------------
-- compliance_reports (027)
-- -----------------------------------------------------------------------------
CREATE TABLE compliance_reports (
    id              UUID        NOT NULL DEFAULT gen_random_uuid(),
    organization_id UUID        NOT NULL,
    generated_by    UUID,
    report_type     VARCHAR(50) NOT NULL,
    period_start    DATE        NOT NULL,
    period_end      DATE        NOT NULL,
    status          VARCHAR(20) NOT NULL DEFAULT 'pending',
    summary         JSONB       NOT NULL DEFAULT '{}'::jsonb,
    storage_path    TEXT,
    error_message   TEXT,
    completed_at    TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_compliance_reports PRIMARY KEY (id),
    CONSTRAINT chk_compliance_reports_report_type CHECK (
        report_type IN ('soc2', 'iso27001', 'hipaa', 'gdpr', 'access_review', 'custom')),
    CONSTRAINT chk_compliance_reports_status CHECK (status IN ('pending', 'generating', 'completed', 'failed')),
    CONSTRAINT chk_compliance_reports_period CHECK (period_end >= period_start),
    CONSTRAINT fk_compliance_reports_organization FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_compliance_reports_generated_by FOREIGN KEY (generated_by)
        REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_compliance_reports_organization_created_at ON compliance_reports (organization_id, created_at DESC);
CREATE INDEX idx_compliance_reports_generated_by ON compliance_reports (generated_by);

CREATE TRIGGER trg_compliance_reports_updated_at
    BEFORE UPDATE ON compliance_reports
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- =============================================================================
-- Seed data (001, 002, 019). Fixed literal values for every column so that the
-- baseline and the incremental chain hold byte-identical rows.
-- =============================================================================

INSERT INTO organizations (id, name, domain, plan, max_agents, is_active, created_at, updated_at)
VALUES ('00000000-0000-4000-a000-000000000001', 'OpenA2A Admin', 'opena2a.org', 'enterprise', 1000, TRUE,
        '2025-01-01 00:00:00+00', '2025-01-01 00:00:00+00')
ON CONFLICT DO NOTHING;

-- SECURITY: no known password ships with AIM. The admin's password_hash is the
-- literal '!', which is not a valid bcrypt/argon2 hash, so every password
-- comparison against it fails (the account is "locked"). The operator sets the
-- first real password through the bootstrap/reset flow, and
-- must_change_password = TRUE forces a change at first login as well.
INSERT INTO users (id, organization_id, email, name, password_hash, role, status, created_at, updated_at,
                   must_change_password, last_login_at, failed_login_attempts, locked_until, password_changed_at)
VALUES ('00000000-0000-4000-a000-000000000002', '00000000-0000-4000-a000-000000000001',
        'admin@opena2a.org', 'AIM Administrator', '!', 'admin', 'active',
        '2025-01-01 00:00:00+00', '2025-01-01 00:00:00+00',
        TRUE, NULL, 0, NULL, NULL)
ON CONFLICT DO NOTHING;

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
