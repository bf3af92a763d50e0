-- expect: index-not-concurrent
-- shipments was created by the previous release: it has rows and readers now.
CREATE INDEX shipments_order_idx ON shipments (order_id);
