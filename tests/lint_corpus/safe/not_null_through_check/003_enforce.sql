-- aim-migrate: post-deploy
-- VALIDATE scans under SHARE UPDATE EXCLUSIVE; SET NOT NULL then relies on the check.
ALTER TABLE orders VALIDATE CONSTRAINT orders_total_nn;
ALTER TABLE orders ALTER COLUMN total SET NOT NULL;
ALTER TABLE orders DROP CONSTRAINT orders_total_nn;
