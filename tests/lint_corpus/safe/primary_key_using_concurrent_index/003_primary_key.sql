ALTER TABLE sessions_log ADD CONSTRAINT sessions_log_pk PRIMARY KEY USING INDEX sessions_log_token_uq;
