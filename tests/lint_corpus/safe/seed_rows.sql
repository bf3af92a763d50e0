INSERT INTO products (id, sku, title, price) VALUES (1001, 'SKU-1001', 'Gift card', 25)
ON CONFLICT DO NOTHING;
