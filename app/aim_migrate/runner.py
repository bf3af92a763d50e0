"""The whole flow of a run, in order:

    config -> source (files) -> inspect (database) -> plan (pure) -> lock -> execute

The first inspection happens without the lock: when nothing is pending (every pod start
after the first), the run ends there, and a crowd of init containers never queues on the
lock. Otherwise the runner takes the lock (locking.py), inspects again (another runner may
have done the work meanwhile), plans again, and executes the plan's steps (execute.py), each
in one transaction that re-checks, under the lock, that it is still to be done.

State is passed, never global: a Target names the database, a Logger carries its fields, and
every function returns what it did as data (an Outcome; a failure carries the Outcome so far).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING

from aim_migrate import source as files
from aim_migrate.connect import connect
from aim_migrate.inspection import inspect, up_to_date
from aim_migrate.plan import Plan, PlanOptions, plan

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import TupleRow

    from aim_migrate.config import Config
    from aim_migrate.logs import Logger
    from aim_migrate.target import Target


class Outcome:
    """What a run did (a plain class: imported on every pod start)."""

    __slots__ = (
        "applied",
        "batched_rows",
        "current_version",
        "deferred",
        "lock_wait_s",
        "pending",
        "recorded",
        "track",
    )

    def __init__(
        self,
        track: str | None = None,
        recorded: list[str] | None = None,
        current_version: int | None = None,
    ) -> None:
        self.track = track
        self.applied: list[str] = []
        self.recorded: list[str] = recorded or []
        self.pending = 0
        self.current_version = current_version
        self.lock_wait_s = 0.0
        self.batched_rows = 0
        self.deferred = 0  # post-deploy migrations a pre-deploy run left for later


def load_source(config: Config) -> files.MigrationSet:
    return files.load(
        config.migrations_dir, baseline_override=config.baseline_version, strict=config.strict
    )


@contextmanager
def session(target: Target, config: Config, log: Logger) -> Iterator[psycopg.Connection[TupleRow]]:
    conn = connect(target.conninfo, config, log)
    scope = target.cancel_scope
    if scope is not None:
        scope.add(conn)
    try:
        yield conn
    finally:
        if scope is not None:
            scope.discard(conn)
        conn.close()


def migrate(
    config: Config,
    target: Target,
    log: Logger,
    options: PlanOptions,
    source: files.MigrationSet | None = None,
) -> Outcome:
    """Apply what is pending (`source` replaces the migrations directory: verify uses it).

    On failure the exception carries what was done before it as `exc.outcome`."""
    outcome = Outcome()
    try:
        _migrate(config, target, log, options, source or load_source(config), outcome)
    except BaseException as exc:
        with suppress(AttributeError):  # an exception type without a __dict__
            exc.outcome = outcome  # type: ignore[attr-defined]
        raise
    return outcome


def _migrate(
    config: Config,
    target: Target,
    log: Logger,
    options: PlanOptions,
    source: files.MigrationSet,
    outcome: Outcome,
) -> None:
    with session(target, config, log) as conn:
        if options.target is None and source.migrations:
            done, version = up_to_date(
                conn,
                target.table,
                [m.name for m in source.migrations],
                [m.file.checksum for m in source.migrations],
            )
            if done:  # the common case: every pod start after the first
                _report(source.notices, log)
                outcome.track, outcome.pending, outcome.current_version = "incremental", 0, version
                log.info("db.detected", track="incremental", pending=0, current_version=version)
                return
        first = plan(source, inspect(conn, target.table, target.sentinel), options, locked=False)
        _fill(outcome, first)
        if first.is_noop:
            _report(first.notices, log)
            log.info(
                "db.detected",
                track=first.track,
                pending=0,
                current_version=outcome.current_version,
                **({"deferred": [m.name for m in first.deferred]} if first.deferred else {}),
            )
            return
        statements = preflight(first)  # bad files fail here, before the lock and any change
        # Not needed when nothing is pending:
        from aim_migrate import locking  # noqa: PLC0415
        from aim_migrate.connect import runner_identity  # noqa: PLC0415
        from aim_migrate.execute import execute  # noqa: PLC0415
        from aim_migrate.work import Work  # noqa: PLC0415

        with locking.run_lock(conn, config, target, log, first) as lock:
            outcome.lock_wait_s = lock.waited_s if lock else 0.0
            state = inspect(conn, target.table, target.sentinel)
            final = plan(source, state, options, locked=lock is not None)
            _fill(outcome, final)
            _report(final.notices, log)
            log.info(
                "db.detected",
                track=final.track,
                pending=len(final.pending),
                baseline=final.baseline.name if final.baseline else None,
                current_version=outcome.current_version,
                **({"deferred": [m.name for m in final.deferred]} if final.deferred else {}),
            )
            statements = preflight(final, statements)
            if lock is None:  # changed meanwhile: now needs the session lock it lacks
                locking.refuse_autocommit_through_pooler(final)
            work = Work(
                conn,
                config,
                target,
                statements,
                runner_identity(),
                log,
                session_pid=lock.pid if lock else None,
            )
            try:
                execute(work, final)
            finally:
                outcome.applied = work.progress.applied
                outcome.recorded = work.progress.recorded
                outcome.lock_wait_s += work.progress.lock_wait_s
                outcome.batched_rows = work.progress.batched_rows
                finished = set(outcome.applied) | set(work.progress.skipped)
                outcome.pending = len({m.name for m in final.pending} - finished)
            outcome.current_version = final.version_after


def inspect_plan(
    config: Config,
    target: Target,
    log: Logger,
    options: PlanOptions,
    source: files.MigrationSet | None = None,
) -> Plan:
    """What migrate would do now: read-only, no lock."""
    source = source or load_source(config)
    with session(target, config, log) as conn:
        state = inspect(conn, target.table, target.sentinel)
    result = plan(source, state, options, locked=False)
    _report(result.notices, log)
    return result


def preflight(p: Plan, done: files.Statements | None = None) -> files.Statements:
    """Split and check every file the plan will run (those not in `done` already)."""
    run = ([p.baseline.file] if p.baseline is not None else []) + [m.file for m in p.pending]
    return files.preflight(run, done)


def _fill(outcome: Outcome, p: Plan) -> None:
    outcome.track = p.track
    outcome.pending = len(p.pending)
    outcome.deferred = len(p.deferred)
    outcome.current_version = p.version_now


def _report(notices: tuple[files.Notice, ...], log: Logger) -> None:
    for notice in notices:
        log.warning(notice.code, message=notice.message, **notice.fields)
