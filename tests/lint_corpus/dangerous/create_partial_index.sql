-- expect: index-not-concurrent
CREATE INDEX orders_unpaid_idx ON orders (placed_at) WHERE status = 'new';
