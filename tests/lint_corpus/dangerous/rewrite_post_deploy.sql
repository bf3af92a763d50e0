-- expect: column-type-rewrite
-- aim-migrate: post-deploy
-- Post-deploy saves the old code, not the table lock.
ALTER TABLE order_lines ALTER COLUMN qty TYPE integer;
