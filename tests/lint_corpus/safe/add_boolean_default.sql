ALTER TABLE customers ADD COLUMN is_vip boolean NOT NULL DEFAULT false;
