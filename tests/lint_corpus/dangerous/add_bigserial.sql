-- expect: add-column-rewrite
ALTER TABLE products ADD COLUMN position bigserial;
