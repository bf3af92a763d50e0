-- Migration: OAuth connections
-- Purpose: Support SSO login: record each user's linked identity-provider accounts and the provider
--          a user authenticates with.

ALTER TABLE users ADD COLUMN auth_provider VARCHAR(50) NOT NULL DEFAULT 'local';
ALTER TABLE users ADD CONSTRAINT chk_users_auth_provider
    CHECK (auth_provider IN ('local', 'google', 'github', 'microsoft', 'okta', 'oidc'));

CREATE TABLE oauth_connections (
    id                      UUID         NOT NULL DEFAULT gen_random_uuid(),
    user_id                 UUID         NOT NULL,
    provider                VARCHAR(50)  NOT NULL,
    provider_user_id        VARCHAR(255) NOT NULL,
    provider_email          VARCHAR(255),
    access_token_encrypted  TEXT,
    refresh_token_encrypted TEXT,
    token_expires_at        TIMESTAMPTZ,
    scopes                  TEXT[]       NOT NULL DEFAULT '{}',
    last_login_at           TIMESTAMPTZ,
    created_at              TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at              TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_oauth_connections PRIMARY KEY (id),
    CONSTRAINT uq_oauth_connections_provider_subject UNIQUE (provider, provider_user_id),
    CONSTRAINT uq_oauth_connections_user_provider UNIQUE (user_id, provider),
    CONSTRAINT chk_oauth_connections_provider CHECK (provider IN ('google', 'github', 'microsoft', 'okta', 'oidc')),
    CONSTRAINT fk_oauth_connections_user FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE
);

CREATE TRIGGER trg_oauth_connections_updated_at
    BEFORE UPDATE ON oauth_connections
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
