ALTER TABLE products VALIDATE CONSTRAINT products_priority_nn;
