-- expect: add-required-column
ALTER TABLE products ADD COLUMN supplier text NOT NULL;
