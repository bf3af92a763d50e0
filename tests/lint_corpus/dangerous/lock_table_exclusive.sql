-- expect: lock-table
LOCK TABLE orders IN EXCLUSIVE MODE;
UPDATE orders SET total = 0 WHERE id = 7;
