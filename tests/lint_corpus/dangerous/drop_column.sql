-- expect: drop-column
ALTER TABLE customers DROP COLUMN nickname;
