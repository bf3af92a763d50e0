-- expect: column-type-rewrite
-- The column is new, the table is not: changing its type still rewrites every row.
ALTER TABLE orders ADD COLUMN ref integer;
ALTER TABLE orders ALTER COLUMN ref TYPE bigint;
