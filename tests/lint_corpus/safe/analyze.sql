ANALYZE customers;
