-- expect: truncate-cascade
TRUNCATE customers CASCADE;
