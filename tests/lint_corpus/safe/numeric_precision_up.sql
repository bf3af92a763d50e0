ALTER TABLE customers ALTER COLUMN credit TYPE numeric(14,2);
