"""How a run holds the migration lock, decided by what lies between it and the database.

* On a direct connection: the session-level lock for the whole run (lock.py), plus the
  transaction-level lock of every step, which the session then holds already.
* Behind a transaction pooler: no session lock (it would stay on a pooled server connection);
  every step's transaction-level lock is all there is, and all a transactional migration
  needs. What needs one session across transactions (a `no-transaction` migration, `down`)
  is refused before anything changes.
* Behind another proxy (a cloud SQL proxy, session pooling): step locks only, unless a
  no-transaction migration needs the session lock; then every step also checks that its
  server session did not change.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import psycopg

from aim_migrate.errors import ConfigError

if TYPE_CHECKING:
    from psycopg.rows import TupleRow

    from aim_migrate.config import Config
    from aim_migrate.lock import AdvisoryLock
    from aim_migrate.logs import Logger
    from aim_migrate.plan import Plan
    from aim_migrate.target import Target


@contextmanager
def session_lock(
    conn: psycopg.Connection[TupleRow], config: Config, target: Target, log: Logger
) -> Iterator[AdvisoryLock]:
    """Hold the session-level lock for the block; on failure free it if the session still can."""
    from aim_migrate.connect import keep_alive  # noqa: PLC0415
    from aim_migrate.lock import AdvisoryLock  # noqa: PLC0415

    keep_alive(conn)  # the server notices quickly that a killed holder is gone
    lock = AdvisoryLock(conn, target.lock_name, log)
    lock.acquire(config.lock_timeout)
    try:
        lock.verify_held()
        yield lock
    except BaseException:
        _release_quietly(lock, conn, log)
        raise
    lock.release()


@contextmanager
def locked_step(
    conn: psycopg.Connection[TupleRow], config: Config, target: Target, log: Logger
) -> Iterator[None]:
    """One transaction under the transaction-level lock: safe on any connection, pooled too."""
    from aim_migrate.connect import local_settings_sql  # noqa: PLC0415
    from aim_migrate.lock import locked_transaction  # noqa: PLC0415

    with locked_transaction(
        conn, target.lock_name, config.lock_timeout, log, local_settings_sql(config, conn)
    ):
        yield


@contextmanager
def run_lock(
    conn: psycopg.Connection[TupleRow],
    config: Config,
    target: Target,
    log: Logger,
    first: Plan,
) -> Iterator[AdvisoryLock | None]:
    """The lock a `migrate` run holds for executing `first` (and its re-plan)."""
    from aim_migrate.connect import DIRECT, TRANSACTION_POOLER  # noqa: PLC0415

    found = route(conn, config, target, log)
    if found == TRANSACTION_POOLER:
        refuse_autocommit_through_pooler(first)
        yield None
    elif found == DIRECT or needs_session(first):
        with session_lock(conn, config, target, log) as lock:
            yield lock
    else:
        yield None


def needs_session(p: Plan) -> bool:
    return any(not m.transactional for m in p.pending)


def route(conn: psycopg.Connection[TupleRow], config: Config, target: Target, log: Logger) -> str:
    """DIRECT, PROXY or TRANSACTION_POOLER (see connect.route)."""
    from aim_migrate.connect import TRANSACTION_POOLER  # noqa: PLC0415
    from aim_migrate.connect import route as probe  # noqa: PLC0415

    try:
        found = probe(conn, target.conninfo, config)
    except psycopg.OperationalError as exc:
        if conn.broken or conn.closed:
            raise
        # Cannot tell (e.g. the role's CONNECTION LIMIT): assume the pooler, which is safe for
        # every transactional migration and refuses only no-transaction ones.
        log.warning(
            "db.pooler_probe_failed",
            cause=str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
            message="A second connection to tell a transaction pooler from a proxy failed; "
            "running as if through a transaction pooler.",
        )
        found = TRANSACTION_POOLER
    if found == TRANSACTION_POOLER:
        log.info(
            "db.pooler_detected",
            mode="transaction",
            message="The connection goes through a transaction pooler: no session lock is "
            "taken; each migration runs in one transaction under a transaction-level lock.",
        )
    else:
        log.debug("db.route", route=found)
    return found


def refuse_autocommit_through_pooler(p: Plan) -> None:
    unsafe = [m.name for m in p.pending if not m.transactional]
    if unsafe:
        raise ConfigError(
            f"Migration(s) {', '.join(unsafe)} are marked no-transaction, which cannot run "
            "safely through a transaction pooler: their statements commit one by one, and "
            "nothing can keep another runner from running them at the same time. Nothing was "
            "changed.",
            hint="Run aim-migrate over a direct (or session-pooled) connection: give the "
            "migration Job its own DATABASE_URL that bypasses PgBouncer's transaction pool.",
            event="pooler.refused",
            migrations=unsafe,
        )


def refuse_pooler(
    conn: psycopg.Connection[TupleRow], config: Config, target: Target, log: Logger, what: str
) -> None:
    """For commands that hold the session lock across transactions (`down`)."""
    from aim_migrate.connect import TRANSACTION_POOLER  # noqa: PLC0415

    if route(conn, config, target, log) == TRANSACTION_POOLER:
        raise ConfigError(
            f"{what} does not run through a transaction pooler: it holds the migration lock "
            "for several transactions, which such a pooler cannot keep. Nothing was changed.",
            hint="Run it over a direct (or session-pooled) connection to the database.",
            event="pooler.refused",
        )


def _release_quietly(lock: AdvisoryLock, conn: psycopg.Connection[TupleRow], log: Logger) -> None:
    """On the way out after a failure: free the lock if the session still can."""
    if conn.broken or conn.closed:
        return  # the server ended the session, and with it the lock
    try:
        lock.release()
    except Exception as exc:  # noqa: BLE001 - the original failure matters more
        log.warning("lock.release_failed", cause=str(exc).splitlines()[0] if str(exc) else "")
