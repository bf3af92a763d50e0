-- aim-migrate: no-transaction
VACUUM (ANALYZE) orders;
