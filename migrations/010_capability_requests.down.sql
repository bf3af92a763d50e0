-- aim-migrate: data-loss
-- Drops table capability_requests and every row in it.
-- Reverts: 010_capability_requests.sql
-- Purpose: Remove the capability request/approval queue.

-- Its indexes, constraints and updated_at trigger are dropped with the table.
DROP TABLE capability_requests;
