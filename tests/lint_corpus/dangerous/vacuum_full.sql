-- expect: vacuum-full
-- aim-migrate: no-transaction
VACUUM FULL audit_events;
