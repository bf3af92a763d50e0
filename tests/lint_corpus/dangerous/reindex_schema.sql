-- expect: reindex-not-concurrent
-- aim-migrate: no-transaction
REINDEX SCHEMA public;
