-- expect: constraint-not-valid
ALTER TABLE audit_events ADD COLUMN customer_id bigint REFERENCES customers (id);
