-- aim-migrate: no-transaction
-- Each statement commits on its own: the VALIDATE does not run under the ADD's lock.
ALTER TABLE products ADD CONSTRAINT products_price_nonneg CHECK (price >= 0) NOT VALID;
ALTER TABLE products VALIDATE CONSTRAINT products_price_nonneg;
