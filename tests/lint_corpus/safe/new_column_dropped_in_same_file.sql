ALTER TABLE customers ADD COLUMN scratch text;
ALTER TABLE customers DROP COLUMN scratch;
