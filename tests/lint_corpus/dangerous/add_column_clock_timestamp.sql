-- expect: add-column-rewrite
ALTER TABLE audit_events ADD COLUMN seen_at timestamptz NOT NULL DEFAULT clock_timestamp();
