-- expect: rename-table
ALTER TABLE audit_events RENAME TO events;
