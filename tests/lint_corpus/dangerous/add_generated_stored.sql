-- expect: add-column-rewrite
ALTER TABLE order_lines ADD COLUMN double_qty integer GENERATED ALWAYS AS (qty * 2) STORED;
