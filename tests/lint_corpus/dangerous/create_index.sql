-- expect: index-not-concurrent
-- A plain index build on a table the application writes to.
CREATE INDEX customers_email_idx ON customers (email);
