-- aim-migrate: data-loss
-- Deletes the seeded default admin user (admin@opena2a.org) with its sessions, and drops users.must_change_password, last_login_at, failed_login_attempts, locked_until and password_changed_at with every value in them.
-- Reverts: 002_add_user_account_security_columns.sql
-- Purpose: Remove the seeded administrator and the login/lockout/password-rotation columns of users.

-- The seeded admin is removed by its fixed id. Its user_sessions go with it
-- (ON DELETE CASCADE) and api_keys it created keep existing with created_by NULL
-- (ON DELETE SET NULL). agents.created_by is ON DELETE CASCADE at this version,
-- so deleting the admin would silently delete every agent it registered: refuse.
DO $$
DECLARE
    agent_count BIGINT;
BEGIN
    SELECT count(*) INTO agent_count
      FROM agents
     WHERE created_by = '00000000-0000-4000-a000-000000000002';
    IF agent_count > 0 THEN
        RAISE EXCEPTION '% agent(s) were created by the seeded admin user 00000000-0000-4000-a000-000000000002; deleting it would cascade to them. Reassign agents.created_by (or delete those agents) before reverting migration 002', agent_count;
    END IF;
END
$$;

DELETE FROM users WHERE id = '00000000-0000-4000-a000-000000000002';

-- The column comment on must_change_password is dropped with the column.
ALTER TABLE users DROP COLUMN password_changed_at;
ALTER TABLE users DROP COLUMN locked_until;
ALTER TABLE users DROP COLUMN failed_login_attempts;
ALTER TABLE users DROP COLUMN last_login_at;
ALTER TABLE users DROP COLUMN must_change_password;
