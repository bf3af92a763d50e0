"""Running a `no-transaction` file (a migration or a down file): statement by statement in
autocommit, on a direct connection under the session lock.

A statement that hits `lock_timeout` is retried on its own (nothing of it took effect).
Statements with CONCURRENTLY run without `lock_timeout` (see indexes.py), never over an
INVALID leftover of an earlier attempt, and every index the file built must be valid at the
end, or the file failed. A failed CONCURRENTLY statement names the transactions it waited for.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql

from aim_migrate import indexes
from aim_migrate.connect import apply_session_settings
from aim_migrate.errors import MigrationError
from aim_migrate.retry import retrying

if TYPE_CHECKING:
    from aim_migrate.source import SqlFile
    from aim_migrate.sqltext import Statement
    from aim_migrate.work import Work


def run(
    work: Work, name: str, sql_file: SqlFile, statements: list[Statement], *, reverting: bool
) -> None:
    apply_session_settings(work.conn, work.config)
    builds: list[indexes.IndexBuild] = []
    try:
        for statement in statements:
            build = indexes.concurrent_build(statement)
            if build is not None:
                builds.append(build)
                dropped = indexes.drop_invalid_leftover(work.conn, build)
                if dropped:
                    work.log.warning(
                        "migration.invalid_index_dropped",
                        migration=name,
                        index=dropped,
                        reason="left INVALID by an earlier attempt; rebuilt now",
                    )
            _run_one(work, name, sql_file, statement, reverting=reverting)
        problem = _invalid_after(work, name, builds)  # under the runner's search_path
        if problem is not None:
            raise problem
    finally:
        if work.usable:
            with contextlib.suppress(psycopg.Error):
                work.reset()


def _run_one(
    work: Work, name: str, sql_file: SqlFile, statement: Statement, *, reverting: bool
) -> None:
    concurrent = indexes.is_concurrent(statement)
    if concurrent:
        work.conn.execute("SET lock_timeout = 0")
    started = time.monotonic()

    def attempt(_: int) -> None:
        with work.guard(name, sql_file, transactional=False, reverting=reverting):
            work.execute(sql_file, [statement])

    try:
        retrying(work.log, name, work.config.ddl_lock_retries, attempt)
    except MigrationError as exc:
        if concurrent:
            raise _name_waits(work, exc, started) from None
        raise
    finally:
        if concurrent and work.usable:
            ms = int(work.config.ddl_lock_timeout * 1000)
            with contextlib.suppress(psycopg.Error):
                work.conn.execute(sql.SQL("SET lock_timeout = {}").format(sql.Literal(ms)))


def _name_waits(work: Work, error: MigrationError, started: float) -> MigrationError:
    """A concurrent build that failed (often: cancelled by statement_timeout while it waited
    for old transactions): say which transactions it was waiting for."""
    if not work.usable:
        return error
    try:
        blockers = indexes.waited_for(work.conn, time.monotonic() - started)
    except psycopg.Error:
        return error
    if not blockers:
        return error
    pids = ", ".join(
        f"pid {b['pid']} ({b['state']}, {b['application'] or 'no application_name'}, "
        f"transaction open {b['transaction_s']} s)"
        for b in blockers
    )
    return MigrationError(
        f"{error.message} It was waiting for older transactions to end: {pids}.",
        hint="A concurrent index build waits for every transaction that was open when it "
        "started. End or wait out those transactions (pg_terminate_backend(pid) for an "
        "abandoned one), then repair and re-run: the INVALID index is dropped and rebuilt.",
        event=error.event,
        **error.fields,
        blocking_pids=[b["pid"] for b in blockers],
        blocking=blockers,
    )


def _invalid_after(
    work: Work, name: str, builds: list[indexes.IndexBuild]
) -> MigrationError | None:
    if not builds:
        return None
    invalid = indexes.invalid_indexes(work.conn, builds)
    if not invalid:
        return None
    return MigrationError(
        f"Migration {name} left INVALID index(es) {', '.join(invalid)}: it is not recorded "
        "as applied.",
        hint="An INVALID index is maintained on every write and used by no query. Check "
        "why the build failed (a unique violation, a cancelled build); fix the cause, then "
        "run 'aim-migrate repair --reason \"...\"' and migrate again: the INVALID index is "
        "dropped and rebuilt.",
        event="migration.invalid_index",
        migration=name,
        indexes=invalid,
    )
