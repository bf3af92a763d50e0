-- Nothing reads a table created in the same migration: no lock can block anyone.
CREATE TABLE shipments (
    id        bigint PRIMARY KEY,
    order_id  bigint,
    carrier   varchar(20),
    weight    integer
);
CREATE INDEX shipments_order_idx ON shipments (order_id);
ALTER TABLE shipments ADD CONSTRAINT shipments_order_fk FOREIGN KEY (order_id) REFERENCES orders (id);
ALTER TABLE shipments ADD CONSTRAINT shipments_weight_positive CHECK (weight > 0);
ALTER TABLE shipments ALTER COLUMN order_id SET NOT NULL;
ALTER TABLE shipments ALTER COLUMN weight TYPE bigint;
ALTER TABLE shipments ADD CONSTRAINT shipments_carrier_key UNIQUE (carrier);
