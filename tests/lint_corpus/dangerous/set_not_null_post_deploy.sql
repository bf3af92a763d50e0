-- expect: set-not-null-scan
-- aim-migrate: post-deploy
ALTER TABLE customers ALTER COLUMN full_name SET NOT NULL;
