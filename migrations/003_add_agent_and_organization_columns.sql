-- Migration: Add missing agent and organization columns
-- Purpose: Add liveness/verification timestamps and free-form metadata to agents, and settings and
--          a billing contact to organizations; all were missing from the initial schema.

ALTER TABLE agents ADD COLUMN last_seen_at TIMESTAMPTZ;
ALTER TABLE agents ADD COLUMN metadata JSONB NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE agents ADD COLUMN verified_at TIMESTAMPTZ;

CREATE INDEX idx_agents_last_seen_at ON agents (last_seen_at);

ALTER TABLE organizations ADD COLUMN settings JSONB NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE organizations ADD COLUMN billing_email VARCHAR(255);
