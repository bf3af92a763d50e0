-- expect: drop-index-not-concurrent
DROP INDEX orders_customer_idx;
