-- expect: set-not-null-scan
-- aim-migrate: post-deploy
-- The check was never validated, so SET NOT NULL still scans.
ALTER TABLE orders ALTER COLUMN total SET NOT NULL;
