-- aim-migrate: data-loss
-- Drops tables mcp_server_tools and mcp_servers and every row in them.
-- Reverts: 005_mcp_servers.sql
-- Purpose: Remove the MCP server registry and the tools each server exposes.

-- Indexes, constraints and updated_at triggers are dropped with their tables.
DROP TABLE mcp_server_tools;
DROP TABLE mcp_servers;
