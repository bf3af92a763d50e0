ALTER TABLE products ADD COLUMN priority integer DEFAULT 0;
