-- expect: unique-not-using-index
ALTER TABLE products ADD CONSTRAINT products_sku_excl EXCLUDE USING btree (sku WITH =);
