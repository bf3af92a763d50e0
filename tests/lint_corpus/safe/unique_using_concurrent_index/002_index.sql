-- aim-migrate: no-transaction
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS products_sku_uq ON products (sku);
