ALTER TABLE customers ALTER COLUMN email TYPE varchar(255);
