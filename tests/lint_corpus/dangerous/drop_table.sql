-- expect: drop-table
DROP TABLE customer_tags;
