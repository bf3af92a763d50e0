-- aim-migrate: data-loss
-- Drops table verification_events and every row in it (the whole verification log).
-- Reverts: 008_verification_events.sql
-- Purpose: Remove the verification event log.

-- Its indexes and constraints are dropped with the table.
DROP TABLE verification_events;
