-- Migration: Agent to MCP server connections
-- Purpose: Track which agents talk to which MCP servers (first/last contact, volume, block state).

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
