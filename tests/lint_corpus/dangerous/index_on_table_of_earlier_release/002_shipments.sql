CREATE TABLE shipments (id bigint PRIMARY KEY, order_id bigint NOT NULL, carrier text);
INSERT INTO shipments SELECT g, g, 'post' FROM generate_series(1, 1000) AS g;
