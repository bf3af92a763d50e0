-- aim-migrate: post-deploy
ALTER TABLE audit_events RENAME TO audit_log;
