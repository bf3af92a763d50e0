ALTER TABLE products ALTER COLUMN addr TYPE inet;
