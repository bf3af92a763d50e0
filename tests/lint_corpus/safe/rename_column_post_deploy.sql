-- aim-migrate: post-deploy
ALTER TABLE products RENAME COLUMN title TO name;
