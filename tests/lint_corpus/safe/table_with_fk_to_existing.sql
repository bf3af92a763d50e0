CREATE TABLE refunds (
    id        bigint PRIMARY KEY,
    order_id  bigint NOT NULL REFERENCES orders (id),
    amount    numeric(12,2) NOT NULL
);
