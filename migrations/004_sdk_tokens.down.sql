-- aim-migrate: data-loss
-- Drops table sdk_tokens and every row in it (every issued SDK token stops working).
-- Reverts: 004_sdk_tokens.sql
-- Purpose: Remove the SDK token table.

-- Its indexes, constraints and updated_at trigger are dropped with the table.
DROP TABLE sdk_tokens;
