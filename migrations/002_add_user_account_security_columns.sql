-- Migration: Add user account security columns and seed the default admin
-- Purpose: Add the login/lockout/password-rotation columns the initial users table was missing,
--          then seed the locked default administrator that must set a password on first use.

ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN last_login_at TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN failed_login_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN password_changed_at TIMESTAMPTZ;

COMMENT ON COLUMN users.must_change_password IS 'When true the user is forced through the change-password flow before anything else.';

-- SECURITY: no known password ships with AIM. The admin's password_hash is the
-- literal '!', which is not a valid bcrypt/argon2 hash, so every password
-- comparison against it fails (the account is "locked"). The operator sets the
-- first real password through the bootstrap/reset flow, and
-- must_change_password = TRUE forces a change at first login as well.
INSERT INTO users (id, organization_id, email, name, password_hash, role, status, created_at, updated_at,
                   must_change_password, last_login_at, failed_login_attempts, locked_until, password_changed_at)
VALUES ('00000000-0000-4000-a000-000000000002', '00000000-0000-4000-a000-000000000001',
        'admin@opena2a.org', 'AIM Administrator', '!', 'admin', 'active',
        '2025-01-01 00:00:00+00', '2025-01-01 00:00:00+00',
        TRUE, NULL, 0, NULL, NULL)
ON CONFLICT DO NOTHING;
