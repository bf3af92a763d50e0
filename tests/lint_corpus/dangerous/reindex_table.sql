-- expect: reindex-not-concurrent
REINDEX TABLE orders;
