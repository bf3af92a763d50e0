-- expect: set-not-null-scan
-- The index was built concurrently, but its columns are nullable: the primary key
-- sets them NOT NULL, which scans the table under the lock.
ALTER TABLE customer_tags ADD CONSTRAINT customer_tags_pk PRIMARY KEY USING INDEX customer_tags_uq;
