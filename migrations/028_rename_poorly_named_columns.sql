-- Migration: Rename poorly named columns
-- Purpose: Schema correction. alerts.ack_by becomes acknowledged_by and anomalies.ts becomes
--          detected_at; the constraint and index names that embed the old names follow.

-- Guarded so a database that was hand-patched before this release is not broken.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name = 'alerts' AND column_name = 'ack_by') THEN
        ALTER TABLE alerts RENAME COLUMN ack_by TO acknowledged_by;
        ALTER TABLE alerts RENAME CONSTRAINT fk_alerts_ack_by TO fk_alerts_acknowledged_by;
        ALTER INDEX idx_alerts_ack_by RENAME TO idx_alerts_acknowledged_by;
    END IF;

    IF EXISTS (SELECT 1 FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name = 'anomalies' AND column_name = 'ts') THEN
        ALTER TABLE anomalies RENAME COLUMN ts TO detected_at;
        ALTER INDEX idx_anomalies_agent_ts RENAME TO idx_anomalies_agent_detected_at;
    END IF;
END
$$;

COMMENT ON COLUMN anomalies.detected_at IS 'When the detector observed the anomaly (may precede created_at for batch detection).';
