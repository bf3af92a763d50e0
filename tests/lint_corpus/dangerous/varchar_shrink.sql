-- expect: column-type-rewrite
ALTER TABLE customers ALTER COLUMN email TYPE varchar(100);
