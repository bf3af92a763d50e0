-- Migration: Trust scores and trust score history
-- Purpose: Store each agent's trust score breakdown and an append-only history of score changes,
--          written by a trigger on agents so no code path can change a score without an audit row.

CREATE TABLE trust_scores (
    id                 UUID         NOT NULL DEFAULT gen_random_uuid(),
    agent_id           UUID         NOT NULL,
    score              NUMERIC(5,2) NOT NULL,
    verification_score NUMERIC(5,2) NOT NULL DEFAULT 0,
    behavior_score     NUMERIC(5,2) NOT NULL DEFAULT 0,
    compliance_score   NUMERIC(5,2) NOT NULL DEFAULT 0,
    factors            JSONB        NOT NULL DEFAULT '{}'::jsonb,
    calculated_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    created_at         TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at         TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_trust_scores PRIMARY KEY (id),
    CONSTRAINT uq_trust_scores_agent UNIQUE (agent_id),
    CONSTRAINT chk_trust_scores_score CHECK (score BETWEEN 0 AND 100),
    CONSTRAINT chk_trust_scores_components CHECK (
        verification_score BETWEEN 0 AND 100
        AND behavior_score BETWEEN 0 AND 100
        AND compliance_score BETWEEN 0 AND 100),
    CONSTRAINT fk_trust_scores_agent FOREIGN KEY (agent_id)
        REFERENCES agents (id) ON DELETE CASCADE
);

CREATE TRIGGER trg_trust_scores_updated_at
    BEFORE UPDATE ON trust_scores
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE trust_score_history (
    id              UUID         NOT NULL DEFAULT gen_random_uuid(),
    agent_id        UUID         NOT NULL,
    organization_id UUID         NOT NULL,
    old_score       NUMERIC(5,2),
    new_score       NUMERIC(5,2) NOT NULL,
    reason          TEXT,
    changed_by      TEXT         NOT NULL DEFAULT CURRENT_USER,
    changed_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_trust_score_history PRIMARY KEY (id),
    CONSTRAINT fk_trust_score_history_agent FOREIGN KEY (agent_id)
        REFERENCES agents (id) ON DELETE CASCADE,
    CONSTRAINT fk_trust_score_history_organization FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE
);

CREATE INDEX idx_trust_score_history_agent_changed_at ON trust_score_history (agent_id, changed_at DESC);
CREATE INDEX idx_trust_score_history_organization_id ON trust_score_history (organization_id);

COMMENT ON TABLE trust_score_history IS 'Append-only audit of agents.trust_score changes, written by trg_agents_trust_score_audit.';

-- Audit trigger: old score → new score. A naïve "<>" comparison would miss
-- NULL transitions, hence IS DISTINCT FROM (in the WHEN clause and the body).
CREATE FUNCTION record_trust_score_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    -- Scores are on a 0-100 % scale; only real changes are recorded (old → new).
    IF NEW.trust_score IS DISTINCT FROM OLD.trust_score THEN
        BEGIN
            INSERT INTO trust_score_history
                (agent_id, organization_id, old_score, new_score, reason, changed_by, changed_at)
            VALUES
                (NEW.id, NEW.organization_id, OLD.trust_score, NEW.trust_score,
                 NULLIF(current_setting('aim.trust_score_reason', true), ''),
                 current_user, NOW());
        EXCEPTION
            WHEN OTHERS THEN
                -- Never lose an audit row silently (naïve swallowing would): re-raise with context.
                RAISE EXCEPTION 'trust score audit failed for agent % (% -> %, scale 0-100%%): %',
                    NEW.id, OLD.trust_score, NEW.trust_score, SQLERRM
                    USING ERRCODE = SQLSTATE;
        END;
    END IF;
    RETURN NEW;
END;
$$;

COMMENT ON FUNCTION record_trust_score_change() IS 'Writes a trust_score_history row whenever agents.trust_score changes (old → new).';

CREATE TRIGGER trg_agents_trust_score_audit
    AFTER UPDATE OF trust_score ON agents
    FOR EACH ROW
    WHEN (OLD.trust_score IS DISTINCT FROM NEW.trust_score)
    EXECUTE FUNCTION record_trust_score_change();
