-- Migration: Invitations
-- Purpose: Let admins invite users into an organization by e-mail with a single-use, expiring token.

CREATE TABLE invitations (
    id              UUID         NOT NULL DEFAULT gen_random_uuid(),
    organization_id UUID         NOT NULL,
    email           VARCHAR(255) NOT NULL,
    role            VARCHAR(50)  NOT NULL DEFAULT 'member',
    token_hash      TEXT         NOT NULL,
    status          VARCHAR(20)  NOT NULL DEFAULT 'pending',
    invited_by      UUID,
    accepted_by     UUID,
    expires_at      TIMESTAMPTZ  NOT NULL,
    accepted_at     TIMESTAMPTZ,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_invitations PRIMARY KEY (id),
    CONSTRAINT uq_invitations_token_hash UNIQUE (token_hash),
    CONSTRAINT chk_invitations_email_lowercase CHECK (email = lower(email)),
    CONSTRAINT chk_invitations_role CHECK (role IN ('admin', 'manager', 'member', 'viewer')),
    CONSTRAINT chk_invitations_status CHECK (status IN ('pending', 'accepted', 'revoked', 'expired')),
    CONSTRAINT fk_invitations_organization FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_invitations_invited_by FOREIGN KEY (invited_by)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT fk_invitations_accepted_by FOREIGN KEY (accepted_by)
        REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_invitations_organization_id ON invitations (organization_id);
CREATE UNIQUE INDEX uq_invitations_pending_email ON invitations (organization_id, email) WHERE status = 'pending';
CREATE INDEX idx_invitations_invited_by ON invitations (invited_by);
CREATE INDEX idx_invitations_accepted_by ON invitations (accepted_by);

CREATE TRIGGER trg_invitations_updated_at
    BEFORE UPDATE ON invitations
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
