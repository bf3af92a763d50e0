-- aim-migrate: data-loss
-- Drops table capabilities and every row in it (every capability granted to an agent).
-- Reverts: 009_capabilities.sql
-- Purpose: Remove the agent capability grants table.

-- Its index, constraints, updated_at trigger and comment are dropped with the table.
DROP TABLE capabilities;
