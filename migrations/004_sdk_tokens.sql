-- Migration: SDK tokens
-- Purpose: Add sdk_tokens, the long-lived credentials the AIM SDK uses to register and act for agents;
--          only a hash of each token is stored.

CREATE TABLE sdk_tokens (
    id              UUID         NOT NULL DEFAULT gen_random_uuid(),
    organization_id UUID         NOT NULL,
    user_id         UUID         NOT NULL,
    agent_id        UUID,
    name            VARCHAR(255) NOT NULL,
    token_prefix    VARCHAR(16)  NOT NULL,
    token_hash      TEXT         NOT NULL,
    expires_at      TIMESTAMPTZ,
    last_used_at    TIMESTAMPTZ,
    last_used_ip    INET,
    revoked_at      TIMESTAMPTZ,
    revoke_reason   TEXT,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_sdk_tokens PRIMARY KEY (id),
    CONSTRAINT uq_sdk_tokens_token_hash UNIQUE (token_hash),
    CONSTRAINT chk_sdk_tokens_revocation CHECK (revoke_reason IS NULL OR revoked_at IS NOT NULL),
    CONSTRAINT fk_sdk_tokens_organization FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_sdk_tokens_user FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT fk_sdk_tokens_agent FOREIGN KEY (agent_id)
        REFERENCES agents (id) ON DELETE SET NULL
);

CREATE INDEX idx_sdk_tokens_organization_id ON sdk_tokens (organization_id);
CREATE INDEX idx_sdk_tokens_user_id ON sdk_tokens (user_id);
CREATE INDEX idx_sdk_tokens_agent_id ON sdk_tokens (agent_id);

CREATE TRIGGER trg_sdk_tokens_updated_at
    BEFORE UPDATE ON sdk_tokens
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
