-- The lint corpus' base migration (001): the tables every case works on, each with rows, so
-- a case that locks or rewrites one would block a real application. Written for this corpus.

CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped');

CREATE TABLE customers (
    id          bigint       PRIMARY KEY,
    email       varchar(120) NOT NULL,
    full_name   text,
    nickname    varchar(40),
    country     char(2),
    credit      numeric(10,2) NOT NULL DEFAULT 0,
    visits      integer,
    created_at  timestamp(3) NOT NULL DEFAULT now(),
    note        text,
    CONSTRAINT customers_credit_nonneg CHECK (credit >= 0)
);

CREATE TABLE products (
    id     integer      PRIMARY KEY,
    sku    varchar(32)  NOT NULL,
    title  text         NOT NULL,
    price  numeric(8,2) NOT NULL,
    stock  integer      NOT NULL DEFAULT 0,
    addr   cidr
);

CREATE TABLE orders (
    id           bigint       PRIMARY KEY,
    customer_id  bigint       NOT NULL REFERENCES customers (id),
    status       order_status NOT NULL DEFAULT 'new',
    total        numeric(12,2),
    placed_at    timestamptz  NOT NULL DEFAULT now(),
    code         text
);
CREATE INDEX orders_customer_idx ON orders (customer_id);

CREATE TABLE order_lines (
    order_id    bigint   NOT NULL REFERENCES orders (id),
    product_id  integer  NOT NULL,
    qty         smallint NOT NULL,
    PRIMARY KEY (order_id, product_id)
);

CREATE TABLE audit_events (
    id       bigserial   PRIMARY KEY,
    kind     varchar(20) NOT NULL,
    payload  json,
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_kind_idx ON audit_events (kind);

-- No primary key yet; nullable columns.
CREATE TABLE customer_tags (
    customer_id  bigint,
    tag          text
);

-- No primary key yet; NOT NULL columns.
CREATE TABLE sessions_log (
    token    text   NOT NULL,
    user_id  bigint NOT NULL
);

INSERT INTO customers (id, email, full_name, country, visits, note)
SELECT g, 'customer' || g || '@example.test', 'Customer ' || g, 'NL', g % 7, 'note ' || g
  FROM generate_series(1, 2000) AS g;

INSERT INTO products (id, sku, title, price, stock, addr)
SELECT g, 'SKU-' || g, 'Product ' || g, 1 + g % 90, g % 13, '10.0.0.0/8'
  FROM generate_series(1, 300) AS g;

INSERT INTO orders (id, customer_id, status, total, code)
SELECT g, 1 + g % 2000, 'paid', g % 500, g::text
  FROM generate_series(1, 5000) AS g;

INSERT INTO order_lines (order_id, product_id, qty)
SELECT g, 1 + g % 300, 1 + g % 4
  FROM generate_series(1, 5000) AS g;

INSERT INTO audit_events (kind, payload)
SELECT 'login', json_build_object('n', g)
  FROM generate_series(1, 3000) AS g;

INSERT INTO customer_tags (customer_id, tag)
SELECT g, 'tag' || g FROM generate_series(1, 400) AS g;

INSERT INTO sessions_log (token, user_id)
SELECT 'tok' || g, g FROM generate_series(1, 400) AS g;
