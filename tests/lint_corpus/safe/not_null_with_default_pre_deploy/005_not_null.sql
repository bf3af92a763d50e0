-- Pre-deploy is fine: the column has a default, and old code already lives with the check.
ALTER TABLE products ALTER COLUMN priority SET NOT NULL;
