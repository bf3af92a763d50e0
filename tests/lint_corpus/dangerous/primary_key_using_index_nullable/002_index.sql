-- aim-migrate: no-transaction
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS customer_tags_uq ON customer_tags (customer_id, tag);
