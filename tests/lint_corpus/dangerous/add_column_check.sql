-- expect: constraint-not-valid
ALTER TABLE products ADD COLUMN weight integer CHECK (weight > 0);
