-- aim-migrate: no-transaction
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS sessions_log_token_uq ON sessions_log (token);
