COMMENT ON COLUMN customers.visits IS 'Number of visits, updated nightly.';
