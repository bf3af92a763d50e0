-- aim-migrate: post-deploy
ALTER TABLE customers DROP COLUMN nickname;
