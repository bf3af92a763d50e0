-- expect: reindex-not-concurrent
REINDEX INDEX audit_events_kind_idx;
