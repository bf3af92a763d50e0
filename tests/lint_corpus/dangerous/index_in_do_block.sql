-- expect: index-not-concurrent
DO $body$
BEGIN
    IF to_regclass('customers_country_idx') IS NULL THEN
        CREATE INDEX customers_country_idx ON customers (country);
    END IF;
END
$body$;
