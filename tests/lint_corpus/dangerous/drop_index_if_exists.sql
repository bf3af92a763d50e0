-- expect: drop-index-not-concurrent
DROP INDEX IF EXISTS audit_events_kind_idx;
