-- aim-migrate: data-loss
-- Drops table compliance_reports and every row in it (the record of every generated report).
-- Reverts: 027_compliance_reports.sql
-- Purpose: Remove the compliance report table.

-- Its indexes, constraints and updated_at trigger are dropped with the table.
DROP TABLE compliance_reports;
