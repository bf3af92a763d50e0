-- expect: column-type-rewrite
ALTER TABLE customers ALTER COLUMN visits TYPE bigint;
