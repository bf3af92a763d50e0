-- Migration: Fix foreign key ON DELETE actions
-- Purpose: Bug fix. Deleting a user cascaded to every agent that user had registered, and a webhook
--          with delivery history could not be deleted at all; use SET NULL and CASCADE respectively.

-- agents.created_by: was ON DELETE CASCADE (removing an employee deleted production agents).
ALTER TABLE agents
    DROP CONSTRAINT fk_agents_created_by,
    ADD CONSTRAINT fk_agents_created_by FOREIGN KEY (created_by)
        REFERENCES users (id) ON DELETE SET NULL;

-- webhook_deliveries.webhook_id: was ON DELETE RESTRICT; delivery logs belong to their webhook.
ALTER TABLE webhook_deliveries
    DROP CONSTRAINT fk_webhook_deliveries_webhook,
    ADD CONSTRAINT fk_webhook_deliveries_webhook FOREIGN KEY (webhook_id)
        REFERENCES webhooks (id) ON DELETE CASCADE;
