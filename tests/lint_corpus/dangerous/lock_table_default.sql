-- expect: lock-table
LOCK TABLE customers;
