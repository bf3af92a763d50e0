ALTER TABLE customers ALTER COLUMN created_at TYPE timestamp(6);
