-- Migration: Initial schema
-- Purpose: Create the core of AIM: organizations, users, agents, API keys and user sessions,
--          the agent_status enum and the shared updated_at trigger function; seed the default organization.

-- Shared trigger function: keeps updated_at current on every UPDATE.
CREATE FUNCTION set_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.updated_at := NOW();
    RETURN NEW;
END;
$$;

CREATE TYPE agent_status AS ENUM ('pending', 'verified', 'suspended', 'revoked');

-- ---------------------------------------------------------------------------
-- organizations
-- ---------------------------------------------------------------------------
CREATE TABLE organizations (
    id          UUID         NOT NULL DEFAULT gen_random_uuid(),
    name        VARCHAR(255) NOT NULL,
    domain      VARCHAR(255) NOT NULL,
    plan        VARCHAR(50)  NOT NULL DEFAULT 'free',
    max_agents  INTEGER      NOT NULL DEFAULT 100,
    is_active   BOOLEAN      NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at  TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
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

-- ---------------------------------------------------------------------------
-- users
-- ---------------------------------------------------------------------------
CREATE TABLE users (
    id              UUID         NOT NULL DEFAULT gen_random_uuid(),
    organization_id UUID         NOT NULL,
    email           VARCHAR(255) NOT NULL,
    name            VARCHAR(255) NOT NULL,
    password_hash   TEXT,
    role            VARCHAR(50)  NOT NULL DEFAULT 'member',
    status          VARCHAR(20)  NOT NULL DEFAULT 'active',
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_users PRIMARY KEY (id),
    CONSTRAINT uq_users_email UNIQUE (email),
    CONSTRAINT chk_users_email_lowercase CHECK (email = lower(email)),
    CONSTRAINT chk_users_role CHECK (role IN ('admin', 'manager', 'member', 'viewer')),
    CONSTRAINT chk_users_status CHECK (status IN ('active', 'suspended', 'deactivated')),
    CONSTRAINT fk_users_organization FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE
);

CREATE INDEX idx_users_organization_id ON users (organization_id);

CREATE TRIGGER trg_users_updated_at
    BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

COMMENT ON COLUMN users.password_hash IS 'bcrypt/argon2 hash, or NULL for SSO-only users. The value ''!'' means locked: it can never verify.';

-- ---------------------------------------------------------------------------
-- agents
-- ---------------------------------------------------------------------------
CREATE TABLE agents (
    id              UUID         NOT NULL DEFAULT gen_random_uuid(),
    organization_id UUID         NOT NULL,
    name            VARCHAR(255) NOT NULL,
    display_name    VARCHAR(255),
    description     TEXT,
    agent_type      VARCHAR(50)  NOT NULL DEFAULT 'ai_agent',
    status          agent_status NOT NULL DEFAULT 'pending',
    public_key      TEXT,
    trust_score     NUMERIC(5,2) NOT NULL DEFAULT 0,
    version         VARCHAR(50),
    created_by      UUID,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_agents PRIMARY KEY (id),
    CONSTRAINT uq_agents_organization_name UNIQUE (organization_id, name),
    CONSTRAINT chk_agents_agent_type CHECK (agent_type IN ('ai_agent', 'mcp_client', 'service', 'autonomous')),
    CONSTRAINT chk_agents_trust_score CHECK (trust_score >= 0),
    CONSTRAINT fk_agents_organization FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_agents_created_by FOREIGN KEY (created_by)
        REFERENCES users (id) ON DELETE CASCADE
);

CREATE INDEX idx_agents_status ON agents (status);

CREATE TRIGGER trg_agents_updated_at
    BEFORE UPDATE ON agents
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

COMMENT ON TABLE agents IS 'Registered AI agents and MCP clients whose identity AIM verifies.';
COMMENT ON COLUMN agents.trust_score IS 'Current trust score on a 0-100 scale; every change is audited in trust_score_history.';

-- ---------------------------------------------------------------------------
-- api_keys
-- ---------------------------------------------------------------------------
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

-- ---------------------------------------------------------------------------
-- user_sessions
-- ---------------------------------------------------------------------------
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

-- ---------------------------------------------------------------------------
-- Seed: the default organization. Fixed literal values (id and timestamps
-- included) so every installation - and the consolidated baseline - holds
-- exactly the same row.
-- ---------------------------------------------------------------------------
INSERT INTO organizations (id, name, domain, plan, max_agents, is_active, created_at, updated_at)
VALUES ('00000000-0000-4000-a000-000000000001', 'OpenA2A Admin', 'opena2a.org', 'enterprise', 1000, TRUE,
        '2025-01-01 00:00:00+00', '2025-01-01 00:00:00+00')
ON CONFLICT DO NOTHING;
