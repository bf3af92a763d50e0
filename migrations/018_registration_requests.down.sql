-- aim-migrate: data-loss
-- Drops table registration_requests and every row in it (pending requests included).
-- Reverts: 018_registration_requests.sql
-- Purpose: Remove the agent self-registration approval queue.

-- Its indexes, constraints and updated_at trigger are dropped with the table.
DROP TABLE registration_requests;
