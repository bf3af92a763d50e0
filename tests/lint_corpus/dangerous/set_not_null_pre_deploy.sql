-- expect: set-not-null-old-code
ALTER TABLE orders ALTER COLUMN total SET NOT NULL;
