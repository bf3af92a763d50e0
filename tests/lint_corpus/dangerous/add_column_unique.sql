-- expect: unique-not-using-index
ALTER TABLE customers ADD COLUMN handle text UNIQUE;
