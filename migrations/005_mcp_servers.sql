-- Migration: MCP servers and their tools
-- Purpose: Register Model Context Protocol servers per organization and the tools each one exposes,
--          so agent access to them can be verified and governed.

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
