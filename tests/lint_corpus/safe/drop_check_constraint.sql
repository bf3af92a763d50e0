ALTER TABLE customers DROP CONSTRAINT customers_credit_nonneg;
