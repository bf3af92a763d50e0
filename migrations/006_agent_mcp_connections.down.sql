-- aim-migrate: data-loss
-- Drops table agent_mcp_connections and every row in it.
-- Reverts: 006_agent_mcp_connections.sql
-- Purpose: Remove the agent-to-MCP-server connection tracking table.

-- Its index, constraints and updated_at trigger are dropped with the table.
DROP TABLE agent_mcp_connections;
