-- expect: column-type-rewrite
ALTER TABLE customers ALTER COLUMN credit TYPE numeric(12,4);
