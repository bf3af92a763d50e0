-- aim-migrate: data-loss
-- Drops table alerts and every row in it.
-- Reverts: 013_alerts.sql
-- Purpose: Remove the security alerts table.

-- Its indexes, constraints and updated_at trigger are dropped with the table.
DROP TABLE alerts;
