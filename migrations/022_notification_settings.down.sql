-- aim-migrate: data-loss
-- Drops table notification_settings and every row in it (every user's notification preferences).
-- Reverts: 022_notification_settings.sql
-- Purpose: Remove the per-user notification preferences table.

-- Its index, constraints and updated_at trigger are dropped with the table.
DROP TABLE notification_settings;
