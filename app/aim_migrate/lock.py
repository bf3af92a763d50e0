"""The advisory lock that serialises runners on one database, at two levels.

* Every migration runs in one transaction that first takes the transaction-level lock
  (`pg_try_advisory_xact_lock`, polled) and then checks that the migration is still pending.
  A transaction-level lock cannot outlive its transaction or land on another server
  connection, so this alone makes "applied exactly once" hold, even through a
  transaction-pooling PgBouncer.
* On a direct (or session-pooled) connection the runner also holds the session-level lock for
  the whole run: it covers `no-transaction` migrations, whose statements commit one by one,
  and lets other runners wait once instead of at every step. A session holding it is granted
  its own transaction-level requests at once.

Waiters poll between sleeps and never block inside `pg_advisory_lock`: a blocked waiter holds
a snapshot, and a `CREATE INDEX CONCURRENTLY` in the lock holder would then wait for that
waiter forever.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import psycopg

from aim_migrate.errors import ConfigError, LockTimeoutError

if TYPE_CHECKING:
    from psycopg import sql
    from psycopg.rows import TupleRow

    from aim_migrate.logs import Logger

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
        def attempt() -> bool:
            row = self._conn.execute(
                "SELECT pg_try_advisory_lock(%s), pg_backend_pid()", (self._key,)
            ).fetchone()
            assert row is not None
            if row[0]:
                self._pid = int(row[1])
            return bool(row[0])

        poller = _Poller(timeout, self._name, self.holder, self._log)
        while not attempt():
            poller.pause()
        self.waited_s = poller.waited()
        self._log.info("lock.acquired", lock=self._name, waited_s=round(self.waited_s, 3))

    @property
    def pid(self) -> int | None:
        """The backend that holds the lock (None when not held)."""
        return self._pid

    def holder(self) -> dict[str, Any]:
        return _holder(self._conn, self._key)

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


@contextmanager
def locked_transaction(
    conn: psycopg.Connection[TupleRow],
    name: str,
    timeout: float,
    log: Logger,
    settings: sql.Composable,
    session_pid: int | None = None,
) -> Iterator[float]:
    """One transaction that holds the transaction-level advisory lock; yields the seconds
    waited for it. `settings` are `set_config(..., true)` calls, made in the same round trip:
    they end with the transaction, so nothing leaks into a pooled server connection.

    `session_pid`: the backend holding this run's session lock; a transaction that lands on
    another one (a pooler moved the session) fails at once instead of waiting for ourselves."""
    from psycopg import sql  # noqa: PLC0415 - psycopg is loaded already

    key = lock_key(name)
    query = sql.SQL("SELECT pg_try_advisory_xact_lock({}), pg_backend_pid(), {}").format(
        sql.Literal(key), settings
    )
    poller = _Poller(timeout, name, lambda: _holder(conn, key), log)
    while True:
        with conn.transaction():
            row = conn.execute(query).fetchone()
            assert row is not None
            if session_pid is not None and row[1] != session_pid:
                raise _pooler_error(session_pid, row[1])
            if row[0]:
                yield poller.waited()
                return
            # Not ours yet: end this transaction, so no snapshot is held while sleeping.
            raise psycopg.Rollback
        poller.pause()


class _Poller:
    """The waiting side of a poll loop: jittered, growing pauses, a report every few seconds
    naming the holder, and LockTimeoutError past the timeout."""

    def __init__(
        self, timeout: float, name: str, holder: Callable[[], dict[str, Any]], log: Logger
    ) -> None:
        self._timeout = timeout
        self._name = name
        self._holder = holder
        self._log = log
        self._started = time.monotonic()
        self._next_report = self._started
        self._delay = _POLL_MIN

    def waited(self) -> float:
        return time.monotonic() - self._started

    def pause(self) -> None:
        now = time.monotonic()
        waited = now - self._started
        if waited >= self._timeout:
            raise _timeout(self._name, self._timeout, waited, self._holder())
        if now >= self._next_report:
            self._log.info(
                "lock.waiting", lock=self._name, waited_s=round(waited, 3), **self._holder()
            )
            self._next_report = now + _REPORT_EVERY
        # Jitter keeps a crowd of init containers from polling in lockstep.
        jittered = self._delay * random.uniform(0.8, 1.2)  # noqa: S311
        time.sleep(min(jittered, max(0.0, self._timeout - waited)))
        self._delay = min(self._delay * 1.5, _POLL_MAX)


def _timeout(name: str, timeout: float, waited: float, holder: dict[str, Any]) -> LockTimeoutError:
    return LockTimeoutError(
        f"Another runner held the migration lock for longer than {timeout:g}s.",
        hint="Check the holder below (pg_stat_activity); if it is stuck, end it with "
        "pg_terminate_backend(pid). Raise AIM_LOCK_TIMEOUT for long migrations.",
        lock=name,
        waited_s=round(waited, 3),
        **holder,
    )


def _holder(conn: psycopg.Connection[TupleRow], key: int) -> dict[str, Any]:
    row = conn.execute(_HOLDER, _lock_parts(key)).fetchone()
    if row is None:
        return {"holder_pid": None}
    return {
        "holder_pid": row[0],
        "holder_application": row[1],
        "holder_client": row[2],
        "holder_state": row[3],
        "holder_connected_s": row[4],
    }


def _pooler_error(expected_pid: int | None, actual_pid: object) -> ConfigError:
    return ConfigError(
        "The advisory lock was not held by this session when expected (backend pid "
        f"{expected_pid} became {actual_pid}): the connection goes through a transaction-pooling "
        "proxy such as PgBouncer, where session locks do not work.",
        hint="Give the migration runner a direct or session-pooled connection (a separate "
        "migration DATABASE_URL is the usual answer).",
        event="lock.lost",
    )
