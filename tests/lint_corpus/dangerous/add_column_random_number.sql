-- expect: add-column-rewrite
ALTER TABLE customers ADD COLUMN bucket integer DEFAULT floor(random() * 10);
