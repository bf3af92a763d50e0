-- now() is stable: evaluated once and stored in the catalog, no rewrite.
ALTER TABLE audit_events ADD COLUMN received_at timestamptz DEFAULT now();
