-- expect: narrow-type
ALTER TABLE products ALTER COLUMN stock TYPE smallint;
