-- aim-migrate: data-loss
-- Drops table anomalies and every row in it.
-- Reverts: 014_anomalies.sql
-- Purpose: Remove the behavioural anomaly table.

-- Its indexes, constraints and updated_at trigger are dropped with the table.
DROP TABLE anomalies;
