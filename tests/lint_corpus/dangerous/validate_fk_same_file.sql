-- expect: validate-same-transaction
ALTER TABLE order_lines
    ADD CONSTRAINT order_lines_product_fk FOREIGN KEY (product_id) REFERENCES products (id) NOT VALID;
ALTER TABLE order_lines VALIDATE CONSTRAINT order_lines_product_fk;
