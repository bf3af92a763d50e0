-- aim-migrate: data-loss
-- Narrows audit_logs.action and resource_type back to VARCHAR(100), webhooks.url to VARCHAR(2048) and api_usage_metrics.request_count/error_count and agent_metrics_daily.api_calls to INTEGER: longer texts and counts above 2147483647 can no longer be stored (the rollback refuses, with an exception, while any row holds one, instead of truncating it).
-- Reverts: 029_widen_column_types.sql
-- Purpose: Restore the previous column types.

-- Pre-flight: name what does not fit instead of failing on the first bad row.
DO $$
DECLARE
    problems TEXT[] := '{}';
    n BIGINT;
BEGIN
    SELECT count(*) INTO n FROM agent_metrics_daily WHERE api_calls > 2147483647;
    IF n > 0 THEN
        problems := problems || format('%s agent_metrics_daily row(s) with api_calls > 2147483647', n);
    END IF;
    SELECT count(*) INTO n FROM api_usage_metrics
     WHERE request_count > 2147483647 OR error_count > 2147483647;
    IF n > 0 THEN
        problems := problems || format('%s api_usage_metrics row(s) with request_count or error_count > 2147483647', n);
    END IF;
    SELECT count(*) INTO n FROM webhooks WHERE char_length(url) > 2048;
    IF n > 0 THEN
        problems := problems || format('%s webhook(s) with a url longer than 2048 characters', n);
    END IF;
    SELECT count(*) INTO n FROM audit_logs
     WHERE char_length(action) > 100 OR char_length(resource_type) > 100;
    IF n > 0 THEN
        problems := problems || format('%s audit_logs row(s) with action or resource_type longer than 100 characters', n);
    END IF;
    IF cardinality(problems) > 0 THEN
        RAISE EXCEPTION 'cannot revert migration 029 without losing data: %; shorten or delete them first',
            array_to_string(problems, '; ');
    END IF;
END
$$;

-- BIGINT -> INTEGER: defaults dropped and re-set, as in the forward file, so the
-- stored default is a plain integer literal exactly as before 029.
ALTER TABLE agent_metrics_daily ALTER COLUMN api_calls DROP DEFAULT;
ALTER TABLE agent_metrics_daily ALTER COLUMN api_calls TYPE INTEGER;
ALTER TABLE agent_metrics_daily ALTER COLUMN api_calls SET DEFAULT 0;

ALTER TABLE api_usage_metrics
    ALTER COLUMN request_count DROP DEFAULT,
    ALTER COLUMN error_count DROP DEFAULT;
ALTER TABLE api_usage_metrics
    ALTER COLUMN request_count TYPE INTEGER,
    ALTER COLUMN error_count TYPE INTEGER;
ALTER TABLE api_usage_metrics
    ALTER COLUMN request_count SET DEFAULT 0,
    ALTER COLUMN error_count SET DEFAULT 0;

-- TEXT -> VARCHAR(n) uses the assignment cast, which raises on an over-long value
-- rather than truncating it (the pre-flight above reports those first).
ALTER TABLE webhooks ALTER COLUMN url TYPE VARCHAR(2048);

ALTER TABLE audit_logs
    ALTER COLUMN action TYPE VARCHAR(100),
    ALTER COLUMN resource_type TYPE VARCHAR(100);
