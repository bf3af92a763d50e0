ALTER TABLE products ADD CONSTRAINT products_priority_nn CHECK (priority IS NOT NULL) NOT VALID;
