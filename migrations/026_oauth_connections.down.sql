-- aim-migrate: data-loss
-- Drops table oauth_connections and every row in it (all linked SSO identities and their tokens), and drops users.auth_provider with every value in it.
-- Reverts: 026_oauth_connections.sql
-- Purpose: Remove SSO identity links and the users.auth_provider column.

-- Its constraints and updated_at trigger are dropped with the table.
DROP TABLE oauth_connections;

ALTER TABLE users DROP CONSTRAINT chk_users_auth_provider;
ALTER TABLE users DROP COLUMN auth_provider;
