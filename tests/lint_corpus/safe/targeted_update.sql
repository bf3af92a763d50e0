UPDATE products SET stock = 0 WHERE id = 42;
