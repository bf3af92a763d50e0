-- expect: constraint-not-valid
ALTER TABLE order_lines
    ADD CONSTRAINT order_lines_product_fk FOREIGN KEY (product_id) REFERENCES products (id);
