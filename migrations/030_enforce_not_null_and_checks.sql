-- Migration: Enforce NOT NULL and add CHECK constraints
-- Purpose: Schema correction. Backfill and require agents.display_name, and only accept http(s)
--          webhook URLs, after checking that existing data complies.

-- Backfill: agents without a usable display name get their (unique) name.
-- Only display_name is touched, so the trust-score audit trigger does not fire.
UPDATE agents
   SET display_name = name
 WHERE display_name IS NULL OR btrim(display_name) = '';

ALTER TABLE agents ALTER COLUMN display_name SET NOT NULL;
ALTER TABLE agents ADD CONSTRAINT chk_agents_display_name_not_blank CHECK (btrim(display_name) <> '');

-- Pre-flight: fail with a readable message instead of a bare check violation.
DO $$
DECLARE
    bad_count BIGINT;
BEGIN
    SELECT count(*) INTO bad_count FROM webhooks WHERE url !~* '^https?://';
    IF bad_count > 0 THEN
        RAISE EXCEPTION '% webhook(s) have a URL that is not http(s); fix them before applying migration 030', bad_count;
    END IF;
END
$$;

ALTER TABLE webhooks ADD CONSTRAINT chk_webhooks_url_scheme CHECK (url ~* '^https?://');
