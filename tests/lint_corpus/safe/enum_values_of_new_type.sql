-- The values CREATE TYPE itself defines are usable at once.
CREATE TYPE ticket_priority AS ENUM ('low', 'normal', 'high');
CREATE TABLE tickets (id bigint PRIMARY KEY, priority ticket_priority NOT NULL DEFAULT 'high');
