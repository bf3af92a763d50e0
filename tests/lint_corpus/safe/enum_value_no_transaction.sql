-- aim-migrate: no-transaction
ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded';
UPDATE orders SET status = 'refunded' WHERE id = 1;
