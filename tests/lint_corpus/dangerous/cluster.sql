-- expect: cluster
CLUSTER orders USING orders_customer_idx;
