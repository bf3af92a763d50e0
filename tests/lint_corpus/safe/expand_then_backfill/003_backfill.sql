-- aim-migrate: batched
-- aim-migrate: batch-pause=1ms
UPDATE orders SET currency = 'EUR'
 WHERE id IN (SELECT id FROM orders WHERE currency IS NULL LIMIT 1000);
