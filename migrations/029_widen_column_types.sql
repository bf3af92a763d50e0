-- Migration: Widen column types
-- Purpose: Schema correction. Free-form audit and URL columns become TEXT (VARCHAR limits truncated
--          real data) and high-volume counters become BIGINT to avoid INTEGER overflow.

-- VARCHAR -> TEXT is binary compatible: no table rewrite, indexes are kept.
ALTER TABLE audit_logs
    ALTER COLUMN action TYPE TEXT,
    ALTER COLUMN resource_type TYPE TEXT;

ALTER TABLE webhooks ALTER COLUMN url TYPE TEXT;

-- INTEGER -> BIGINT rewrites the table. Defaults are dropped and re-set so the
-- stored default expression is a plain bigint literal, exactly as in a fresh install.
ALTER TABLE api_usage_metrics
    ALTER COLUMN request_count DROP DEFAULT,
    ALTER COLUMN error_count DROP DEFAULT;
ALTER TABLE api_usage_metrics
    ALTER COLUMN request_count TYPE BIGINT,
    ALTER COLUMN error_count TYPE BIGINT;
ALTER TABLE api_usage_metrics
    ALTER COLUMN request_count SET DEFAULT 0,
    ALTER COLUMN error_count SET DEFAULT 0;

ALTER TABLE agent_metrics_daily ALTER COLUMN api_calls DROP DEFAULT;
ALTER TABLE agent_metrics_daily ALTER COLUMN api_calls TYPE BIGINT;
ALTER TABLE agent_metrics_daily ALTER COLUMN api_calls SET DEFAULT 0;
