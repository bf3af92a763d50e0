-- aim-migrate: data-loss
-- Drops table invitations and every row in it (outstanding invitations stop working).
-- Reverts: 021_invitations.sql
-- Purpose: Remove the e-mail invitation table.

-- Its indexes, constraints and updated_at trigger are dropped with the table.
DROP TABLE invitations;
