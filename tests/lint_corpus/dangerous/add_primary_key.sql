-- expect: unique-not-using-index
ALTER TABLE sessions_log ADD PRIMARY KEY (token);
