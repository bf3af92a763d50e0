-- expect: column-type-rewrite
ALTER TABLE audit_events ALTER COLUMN payload TYPE jsonb;
