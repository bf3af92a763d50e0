-- Migration: Tags
-- Purpose: Add organization-scoped tags and the agent_tags link table for grouping agents.

CREATE TABLE tags (
    id              UUID         NOT NULL DEFAULT gen_random_uuid(),
    organization_id UUID         NOT NULL,
    name            VARCHAR(100) NOT NULL,
    color           VARCHAR(7),
    description     TEXT,
    created_by      UUID,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_tags PRIMARY KEY (id),
    CONSTRAINT uq_tags_organization_name UNIQUE (organization_id, name),
    CONSTRAINT chk_tags_color CHECK (color IS NULL OR color ~ '^#[0-9A-Fa-f]{6}$'),
    CONSTRAINT fk_tags_organization FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_tags_created_by FOREIGN KEY (created_by)
        REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_tags_created_by ON tags (created_by);

CREATE TRIGGER trg_tags_updated_at
    BEFORE UPDATE ON tags
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE agent_tags (
    id         UUID        NOT NULL DEFAULT gen_random_uuid(),
    agent_id   UUID        NOT NULL,
    tag_id     UUID        NOT NULL,
    tagged_by  UUID,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_agent_tags PRIMARY KEY (id),
    CONSTRAINT uq_agent_tags_agent_tag UNIQUE (agent_id, tag_id),
    CONSTRAINT fk_agent_tags_agent FOREIGN KEY (agent_id)
        REFERENCES agents (id) ON DELETE CASCADE,
    CONSTRAINT fk_agent_tags_tag FOREIGN KEY (tag_id)
        REFERENCES tags (id) ON DELETE CASCADE,
    CONSTRAINT fk_agent_tags_tagged_by FOREIGN KEY (tagged_by)
        REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_agent_tags_tag_id ON agent_tags (tag_id);
CREATE INDEX idx_agent_tags_tagged_by ON agent_tags (tagged_by);
