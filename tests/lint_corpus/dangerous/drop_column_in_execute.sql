-- expect: drop-column
DO $$
BEGIN
    EXECUTE 'ALTER TABLE customers DROP COLUMN note';
END
$$;
