-- aim-migrate: data-loss
-- Drops table system_config and every row in it: the seeded defaults and any setting changed or added since.
-- Reverts: 019_system_config.sql
-- Purpose: Remove the instance-wide key/value configuration table and its seeded defaults.

-- The seeded rows, index, constraints, trigger and comment go with the table.
DROP TABLE system_config;
