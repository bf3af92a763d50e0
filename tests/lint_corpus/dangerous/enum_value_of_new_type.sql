-- expect: enum-value-in-transaction
-- Even on a type created in the same transaction, an added value is refused until committed.
CREATE TYPE ticket_priority AS ENUM ('low', 'normal');
ALTER TYPE ticket_priority ADD VALUE 'high';
CREATE TABLE tickets (id bigint PRIMARY KEY, priority ticket_priority NOT NULL DEFAULT 'high');
