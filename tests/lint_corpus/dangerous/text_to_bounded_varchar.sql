-- expect: column-type-rewrite
ALTER TABLE customers ALTER COLUMN note TYPE varchar(500);
