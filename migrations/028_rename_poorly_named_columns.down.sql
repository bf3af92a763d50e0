-- Reverts: 028_rename_poorly_named_columns.sql
-- Purpose: Rename alerts.acknowledged_by back to ack_by and anomalies.detected_at back to ts, with the constraint and index that follow them.

-- The column comment did not exist before 028.
COMMENT ON COLUMN anomalies.detected_at IS NULL;

-- Guarded like the forward file: only rename what carries the new name.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name = 'anomalies' AND column_name = 'detected_at') THEN
        ALTER INDEX idx_anomalies_agent_detected_at RENAME TO idx_anomalies_agent_ts;
        ALTER TABLE anomalies RENAME COLUMN detected_at TO ts;
    END IF;

    IF EXISTS (SELECT 1 FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name = 'alerts' AND column_name = 'acknowledged_by') THEN
        ALTER INDEX idx_alerts_acknowledged_by RENAME TO idx_alerts_ack_by;
        ALTER TABLE alerts RENAME CONSTRAINT fk_alerts_acknowledged_by TO fk_alerts_ack_by;
        ALTER TABLE alerts RENAME COLUMN acknowledged_by TO ack_by;
    END IF;
END
$$;
