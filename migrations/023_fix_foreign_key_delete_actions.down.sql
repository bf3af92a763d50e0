-- Reverts: 023_fix_foreign_key_delete_actions.sql
-- Purpose: Restore the previous ON DELETE actions: RESTRICT on webhook_deliveries.webhook_id, CASCADE on agents.created_by.
-- No data changes here, but once reverted, deleting a user deletes the agents it
-- created again, and a webhook with deliveries cannot be deleted.

ALTER TABLE webhook_deliveries
    DROP CONSTRAINT fk_webhook_deliveries_webhook,
    ADD CONSTRAINT fk_webhook_deliveries_webhook FOREIGN KEY (webhook_id)
        REFERENCES webhooks (id) ON DELETE RESTRICT;

ALTER TABLE agents
    DROP CONSTRAINT fk_agents_created_by,
    ADD CONSTRAINT fk_agents_created_by FOREIGN KEY (created_by)
        REFERENCES users (id) ON DELETE CASCADE;
