ALTER TABLE audit_events ALTER COLUMN kind TYPE varchar;
