-- aim-migrate: no-transaction
REINDEX INDEX CONCURRENTLY audit_events_kind_idx;
