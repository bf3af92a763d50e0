-- Migration: Compliance reports
-- Purpose: Track generated compliance reports (SOC 2, ISO 27001, access reviews...) per organization
--          and reporting period.

CREATE TABLE compliance_reports (
    id              UUID        NOT NULL DEFAULT gen_random_uuid(),
    organization_id UUID        NOT NULL,
    generated_by    UUID,
    report_type     VARCHAR(50) NOT NULL,
    period_start    DATE        NOT NULL,
    period_end      DATE        NOT NULL,
    status          VARCHAR(20) NOT NULL DEFAULT 'pending',
    summary         JSONB       NOT NULL DEFAULT '{}'::jsonb,
    storage_path    TEXT,
    error_message   TEXT,
    completed_at    TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    CONSTRAINT pk_compliance_reports PRIMARY KEY (id),
    CONSTRAINT chk_compliance_reports_report_type CHECK (
        report_type IN ('soc2', 'iso27001', 'hipaa', 'gdpr', 'access_review', 'custom')),
    CONSTRAINT chk_compliance_reports_status CHECK (status IN ('pending', 'generating', 'completed', 'failed')),
    CONSTRAINT chk_compliance_reports_period CHECK (period_end >= period_start),
    CONSTRAINT fk_compliance_reports_organization FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_compliance_reports_generated_by FOREIGN KEY (generated_by)
        REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_compliance_reports_organization_created_at ON compliance_reports (organization_id, created_at DESC);
CREATE INDEX idx_compliance_reports_generated_by ON compliance_reports (generated_by);

CREATE TRIGGER trg_compliance_reports_updated_at
    BEFORE UPDATE ON compliance_reports
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
