-- expect: column-type-rewrite
ALTER TABLE orders ALTER COLUMN code TYPE integer USING code::integer;
