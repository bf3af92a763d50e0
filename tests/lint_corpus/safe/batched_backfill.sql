-- aim-migrate: batched
UPDATE customers SET nickname = 'n/a'
 WHERE id IN (SELECT id FROM customers WHERE nickname IS NULL ORDER BY id LIMIT 500);
