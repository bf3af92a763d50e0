CREATE TABLE drafts (id bigint PRIMARY KEY, body text, obsolete text);
ALTER TABLE drafts RENAME COLUMN body TO content;
ALTER TABLE drafts DROP COLUMN obsolete;
ALTER TABLE drafts RENAME TO order_drafts;
