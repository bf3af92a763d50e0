-- expect: rename-column
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM information_schema.columns
               WHERE table_name = 'orders' AND column_name = 'code') THEN
        ALTER TABLE orders RENAME COLUMN code TO reference;
    END IF;
END
$$;
