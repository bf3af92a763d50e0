-- aim-migrate: data-loss
-- Drops table audit_logs and every row in it (the whole audit trail).
-- Reverts: 015_audit_logs.sql
-- Purpose: Remove the audit trail table.

-- Its indexes, constraints and comment are dropped with the table.
DROP TABLE audit_logs;
