-- expect: add-column-rewrite
ALTER TABLE customer_tags ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;
