-- expect: index-not-concurrent
CREATE UNIQUE INDEX products_sku_uq ON products (sku);
ALTER TABLE products ADD CONSTRAINT products_sku_uq UNIQUE USING INDEX products_sku_uq;
