-- aim-migrate: data-loss
-- Drops tables webhook_deliveries and webhooks and every row in them (subscriptions, their secrets and the delivery log).
-- Reverts: 016_webhooks.sql
-- Purpose: Remove webhook subscriptions and their delivery log.

-- Indexes, constraints, triggers and comments are dropped with their tables;
-- the deliveries first, they reference the webhooks.
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
