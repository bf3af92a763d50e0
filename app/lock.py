"""The advisory lock that serialises runners on one database.

Waiters poll `pg_try_advisory_lock` between sleeps and never block inside
`pg_advisory_lock`: a blocked waiter holds a snapshot, and a `CREATE INDEX CONCURRENTLY` in
the lock holder would then wait for that waiter forever.
"""

from __future__ import annotations

import hashlib
import random
import time
from typing import TYPE_CHECKING, Any

from app.errors import ConfigError, LockTimeoutError

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import TupleRow

    from app.logs import Logger

_HOLDER = """
SELECT l.pid, a.application_name, a.client_addr::text, a.state,
       extract(epoch FROM now() - a.backend_start)::int
  FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
 WHERE l.locktype = 'advisory' AND l.granted AND l.database = (
           SELECT oid FROM pg_database WHERE datname = current_database())
   AND l.classid = %s AND l.objid = %s AND l.objsubid = 1
"""
_POLL_MIN, _POLL_MAX = 0.05, 0.5
_REPORT_EVERY = 10.0


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (the same in every runner and every version)."""
    digest = hashlib.sha256(f"aim-migrate:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _lock_parts(key: int) -> tuple[int, int]:
    """How pg_locks shows a bigint advisory key: high and low 32 bits."""
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    return unsigned >> 32, unsigned & 0xFFFFFFFF


class AdvisoryLock:
    def __init__(self, conn: psycopg.Connection[TupleRow], name: str, log: Logger) -> None:
        self._conn = conn
        self._key = lock_key(name)
        self._name = name
        self._log = log
        self._pid: int | None = None
        self.waited_s = 0.0

    def acquire(self, timeout: float) -> None:
        started = time.monotonic()
        next_report = started
        delay = _POLL_MIN
        while True:
            row = self._conn.execute(
                "SELECT pg_try_advisory_lock(%s), pg_backend_pid()", (self._key,)
            ).fetchone()
            assert row is not None
            now = time.monotonic()
            if row[0]:
                self._pid = int(row[1])
                self.waited_s = now - started
                self._log.info("lock.acquired", lock=self._name, waited_s=round(self.waited_s, 3))
                return
            waited = now - started
            if waited >= timeout:
                holder = self.holder()
                raise LockTimeoutError(
                    f"Another runner held the migration lock for longer than {timeout:g}s.",
                    hint="Check the holder below (pg_stat_activity); if it is stuck, end it with "
                    "pg_terminate_backend(pid). Raise AIM_LOCK_TIMEOUT for long migrations.",
                    lock=self._name,
                    waited_s=round(waited, 3),
                    **holder,
                )
            if now >= next_report:
                self._log.info(
                    "lock.waiting", lock=self._name, waited_s=round(waited, 3), **self.holder()
                )
                next_report = now + _REPORT_EVERY
            # Jitter keeps a crowd of init containers from polling in lockstep.
            time.sleep(min(delay * random.uniform(0.8, 1.2), max(0.0, timeout - waited)))  # noqa: S311
            delay = min(delay * 1.5, _POLL_MAX)

    def holder(self) -> dict[str, Any]:
        row = self._conn.execute(_HOLDER, _lock_parts(self._key)).fetchone()
        if row is None:
            return {"holder_pid": None}
        return {
            "holder_pid": row[0],
            "holder_application": row[1],
            "holder_client": row[2],
            "holder_state": row[3],
            "holder_connected_s": row[4],
        }

    def verify_held(self) -> None:
        """Fail if this session does not hold the lock (a transaction pooler moved us)."""
        row = self._conn.execute(
            "SELECT pg_backend_pid(), EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
            " AND granted AND pid = pg_backend_pid() AND classid = %s AND objid = %s"
            " AND objsubid = 1)",
            _lock_parts(self._key),
        ).fetchone()
        assert row is not None
        if row[0] != self._pid or not row[1]:
            raise _pooler_error(self._pid, row[0])

    def release(self) -> None:
        if self._pid is None:
            return
        pid, self._pid = self._pid, None
        row = self._conn.execute(
            "SELECT pg_advisory_unlock(%s), pg_backend_pid()", (self._key,)
        ).fetchone()
        assert row is not None
        if not row[0] or row[1] != pid:
            raise _pooler_error(pid, row[1])
        self._log.debug("lock.released", lock=self._name)


def _pooler_error(expected_pid: int | None, actual_pid: object) -> ConfigError:
    return ConfigError(
        "The advisory lock was not held by this session when expected (backend pid "
        f"{expected_pid} became {actual_pid}): the connection goes through a transaction-pooling "
        "proxy such as PgBouncer, where session locks do not work.",
        hint="Give the migration runner a direct or session-pooled connection (a separate "
        "migration DATABASE_URL is the usual answer).",
        event="lock.lost",
    )
