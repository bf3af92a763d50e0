-- aim-migrate: data-loss
-- Drops table capability_violations and every row in it, and the alert_severity type.
-- Reverts: 011_capability_violations.sql
-- Purpose: Remove the capability violation log and the shared alert_severity enum.

-- Table first: its severity column uses the type.
DROP TABLE capability_violations;
DROP TYPE alert_severity;
