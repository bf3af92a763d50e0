-- Migration: Capability requests
-- Purpose: Let agents request additional capabilities and let admins approve or reject them.

CREATE TABLE capability_requests (
    id              UUID         NOT NULL DEFAULT gen_random_uuid(),
    agent_id        UUID         NOT NULL,
    capability_type VARCHAR(100) NOT NULL,
    reason          TEXT,
    status          VARCHAR(20)  NOT NULL DEFAULT 'pending',
    requested_by    UUID,
    reviewed_by     UUID,
    reviewed_at     TIMESTAMPTZ,
    review_note     TEXT,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_capability_requests PRIMARY KEY (id),
    CONSTRAINT chk_capability_requests_status CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
    CONSTRAINT chk_capability_requests_review CHECK (status NOT IN ('approved', 'rejected') OR reviewed_at IS NOT NULL),
    CONSTRAINT fk_capability_requests_agent FOREIGN KEY (agent_id)
        REFERENCES agents (id) ON DELETE CASCADE,
    CONSTRAINT fk_capability_requests_requested_by FOREIGN KEY (requested_by)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT fk_capability_requests_reviewed_by FOREIGN KEY (reviewed_by)
        REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_capability_requests_agent_id ON capability_requests (agent_id);
CREATE INDEX idx_capability_requests_requested_by ON capability_requests (requested_by);
CREATE INDEX idx_capability_requests_reviewed_by ON capability_requests (reviewed_by);
CREATE INDEX idx_capability_requests_pending ON capability_requests (created_at) WHERE status = 'pending';

CREATE TRIGGER trg_capability_requests_updated_at
    BEFORE UPDATE ON capability_requests
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
