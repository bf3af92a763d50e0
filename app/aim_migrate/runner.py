"""The whole flow of a run, in order:

    config -> source (files) -> inspect (database) -> plan (pure) -> lock -> execute

The first inspection happens without the lock: when nothing is pending (every pod start
after the first), the run ends there, and a crowd of init containers never queues on the
lock. Otherwise the runner takes the advisory lock, inspects again (another runner may have
done the work meanwhile), plans again, and executes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import psycopg

from aim_migrate import history
from aim_migrate import source as files
from aim_migrate.connect import connect, runner_identity, target_fields
from aim_migrate.errors import ConfigError, ValidationError
from aim_migrate.history import Record, Table
from aim_migrate.inspection import inspect, up_to_date
from aim_migrate.logs import bind
from aim_migrate.plan import Plan, PlanOptions, plan

if TYPE_CHECKING:
    from psycopg.rows import TupleRow

    from aim_migrate.config import Config
    from aim_migrate.lock import AdvisoryLock
    from aim_migrate.logs import Logger
    from aim_migrate.rollback import Revert
    from aim_migrate.sqltext import Statement


class Outcome:
    """What a run did, filled in as it goes (a plain class: imported on every pod start)."""

    __slots__ = ("applied", "current_version", "lock_wait_s", "pending", "recorded", "track")

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


def load_source(config: Config) -> files.MigrationSet:
    return files.load(
        config.migrations_dir, baseline_override=config.baseline_version, strict=config.strict
    )


@contextmanager
def session(conninfo: str, config: Config, log: Logger) -> Iterator[psycopg.Connection[TupleRow]]:
    """A connection; every later log line carries the database identity (never the password)."""
    bind(**target_fields(conninfo))  # verify's scratch databases rebind it
    conn = connect(conninfo, config, log)
    try:
        yield conn
    finally:
        conn.close()


@contextmanager
def locked(
    conn: psycopg.Connection[TupleRow], config: Config, log: Logger
) -> Iterator[AdvisoryLock]:
    """Hold the advisory lock for the block; on failure free it if the session still can."""
    from aim_migrate.lock import AdvisoryLock  # noqa: PLC0415 - not needed when nothing is pending

    lock = AdvisoryLock(conn, config.lock_key_name, log)
    lock.acquire(config.lock_timeout)
    try:
        lock.verify_held()
        yield lock
    except BaseException:
        _release_quietly(lock, conn, log)
        raise
    lock.release()


@contextmanager
def locked_step(conn: psycopg.Connection[TupleRow], config: Config, log: Logger) -> Iterator[None]:
    """One transaction under the transaction-level lock: safe on any connection, pooled too."""
    from aim_migrate.connect import local_settings_sql  # noqa: PLC0415
    from aim_migrate.lock import locked_transaction  # noqa: PLC0415

    with locked_transaction(
        conn, config.lock_key_name, config.lock_timeout, log, local_settings_sql(config, conn)
    ):
        yield


@contextmanager
def _run_lock(
    conn: psycopg.Connection[TupleRow], config: Config, log: Logger, session_lock: bool
) -> Iterator[AdvisoryLock | None]:
    """The session lock for the run, or none: then each step's transaction-level lock is all
    there is, and all a transactional migration needs."""
    if not session_lock:
        yield None
        return
    from aim_migrate.connect import keep_alive  # noqa: PLC0415

    keep_alive(conn)
    with locked(conn, config, log) as lock:
        yield lock


def _route(conn: psycopg.Connection[TupleRow], conninfo: str, config: Config, log: Logger) -> str:
    """DIRECT, PROXY or TRANSACTION_POOLER (see connect.route)."""
    from aim_migrate.connect import TRANSACTION_POOLER, route  # noqa: PLC0415

    try:
        found = route(conn, conninfo, config)
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
    elif found != "direct":
        log.debug("db.route", route=found)
    return found


def _needs_session(p: Plan) -> bool:
    return any(not m.transactional for m in p.pending)


def _refuse_autocommit_through_pooler(p: Plan) -> None:
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


def migrate(
    config: Config,
    conninfo: str,
    log: Logger,
    options: PlanOptions,
    source: files.MigrationSet | None = None,
    outcome: Outcome | None = None,
) -> Outcome:
    """Apply what is pending. `source` replaces the migrations directory (verify uses it);
    `outcome` is filled in as the run goes, so a caller still has it after a failure."""
    source = source or load_source(config)
    table = Table(config.schema, config.history_table)
    outcome = outcome if outcome is not None else Outcome()
    with session(conninfo, config, log) as conn:
        if options.target is None and source.migrations:
            done, version = up_to_date(
                conn,
                table,
                [m.name for m in source.migrations],
                [m.file.checksum for m in source.migrations],
            )
            if done:  # the common case: every pod start after the first
                _report(source.notices, log)
                outcome.track, outcome.pending, outcome.current_version = "incremental", 0, version
                log.info("db.detected", track="incremental", pending=0, current_version=version)
                return outcome
        first = plan(source, inspect(conn, table, config.sentinel_table), options, locked=False)
        _fill(outcome, first)
        if first.is_noop:
            _report(first.notices, log)
            log.info(
                "db.detected", track=first.track, pending=0, current_version=outcome.current_version
            )
            return outcome
        statements = preflight(first)  # bad files fail here, before the lock and any change
        from aim_migrate.connect import DIRECT, TRANSACTION_POOLER  # noqa: PLC0415
        from aim_migrate.execute import Executor  # noqa: PLC0415 - not needed when nothing is pending

        route = _route(conn, conninfo, config, log)
        pooled = route == TRANSACTION_POOLER
        if pooled:
            _refuse_autocommit_through_pooler(first)
        # A session lock on a direct connection; behind a proxy only where a no-transaction
        # migration needs one (and then every step checks that its session did not change).
        session_lock = route == DIRECT or (not pooled and _needs_session(first))
        with _run_lock(conn, config, log, session_lock) as lock:
            outcome.lock_wait_s = lock.waited_s if lock else 0.0
            final = plan(
                source,
                inspect(conn, table, config.sentinel_table),
                options,
                locked=lock is not None,
            )
            _fill(outcome, final)
            _report(final.notices, log)
            log.info(
                "db.detected",
                track=final.track,
                pending=len(final.pending),
                baseline=final.baseline.name if final.baseline else None,
                current_version=outcome.current_version,
            )
            statements = preflight(final, statements)
            if pooled:
                _refuse_autocommit_through_pooler(final)
            elif lock is None and _needs_session(final):
                raise _changed_meanwhile()
            executor = Executor(
                conn,
                config,
                table,
                statements,
                runner_identity(),
                log,
                session_pid=lock.pid if lock else None,
            )
            try:
                executor.run(final)
            finally:
                outcome.applied = executor.progress.applied
                outcome.recorded = executor.progress.recorded
                outcome.lock_wait_s += executor.progress.lock_wait_s
                finished = set(outcome.applied) | set(executor.progress.skipped)
                outcome.pending = len({m.name for m in final.pending} - finished)
            outcome.current_version = final.version_after
    return outcome


def mark_baseline(config: Config, conninfo: str, log: Logger, version: int) -> Outcome:
    """`aim-migrate baseline --version N`: record N and below as present, running no SQL."""
    source = load_source(config)
    if version != 0 and not any(m.number == version for m in source.migrations):
        raise ValidationError(
            f"No migration file has version {version}.",
            hint="Give the version of an existing migration file.",
            at_version=version,
        )
    table = Table(config.schema, config.history_table)
    with session(conninfo, config, log) as conn, locked_step(conn, config, log):
        state = inspect(conn, table, config.sentinel_table)
        present = {row.name for row in state.rows}
        records = [
            Record(m.name, m.number, m.description, history.MARKED, m.file.checksum)
            for m in source.migrations
            if m.number <= version and m.name not in present
        ]
        history.upgrade(conn, table)
        history.write(conn, table, records, runner_identity())
    log.info("history.marked", at_version=version, recorded=[r.version for r in records])
    return Outcome(track="marked", recorded=[r.version for r in records], current_version=version)


def inspect_plan(
    config: Config,
    conninfo: str,
    log: Logger,
    options: PlanOptions,
    source: files.MigrationSet | None = None,
) -> Plan:
    """What migrate would do now: read-only, no lock."""
    source = source or load_source(config)
    table = Table(config.schema, config.history_table)
    with session(conninfo, config, log) as conn:
        result = plan(source, inspect(conn, table, config.sentinel_table), options, locked=False)
    _report(result.notices, log)
    return result


def preflight(
    p: Plan, done: dict[str, list[Statement]] | None = None
) -> dict[str, list[Statement]]:
    """Split and check every file the plan will run (those not in `done` already)."""
    checked: dict[str, list[Statement]] = dict(done or {})
    if p.baseline is not None and p.baseline.file.location not in checked:
        checked[p.baseline.file.location] = files.statements(p.baseline.file, transactional=True)
    for m in p.pending:
        if m.file.location not in checked:
            checked[m.file.location] = files.statements(m.file, transactional=m.transactional)
    return checked


def _fill(outcome: Outcome, p: Plan) -> None:
    outcome.track = p.track
    outcome.pending = len(p.pending)
    outcome.current_version = p.version_now


def _report(notices: tuple[files.Notice, ...], log: Logger) -> None:
    for notice in notices:
        log.warning(notice.code, message=notice.message, **notice.fields)


def _release_quietly(lock: AdvisoryLock, conn: psycopg.Connection[TupleRow], log: Logger) -> None:
    """On the way out after a failure: free the lock if the session still can."""
    if conn.broken or conn.closed:
        return  # the server ended the session, and with it the lock
    try:
        lock.release()
    except Exception as exc:  # noqa: BLE001 - the original failure matters more
        log.warning("lock.release_failed", cause=str(exc).splitlines()[0] if str(exc) else "")


def _changed_meanwhile() -> ValidationError:
    return ValidationError(
        "A no-transaction migration became pending while this run was deciding how to lock.",
        hint="Another runner changed the history meanwhile; re-run.",
        event="plan.changed",
    )


def repair(
    config: Config, conninfo: str, log: Logger, reason: str, only: str | None
) -> dict[str, list[str]]:
    """Clear unfinished non-transactional records and accept reviewed checksum changes."""
    source = load_source(config)
    files_by_name = source.by_name()
    table = Table(config.schema, config.history_table)
    cleared: list[str] = []
    rechecked: list[str] = []
    with session(conninfo, config, log) as conn, locked_step(conn, config, log):
        state = inspect(conn, table, config.sentinel_table)
        for row in state.rows:
            if only is not None and row.version != only:
                continue
            if row.status != history.APPLIED:
                history.forget(conn, table, row.version)
                cleared.append(row.version)
                log.warning(
                    "repair.cleared",
                    migration=row.version,
                    status=row.status,
                    reason=reason,
                )
                continue
            file = files_by_name.get(row.name)
            if (
                file is None
                or row.track == history.BASELINE
                or row.checksum is None
                or row.checksum == file.file.checksum
            ):
                continue
            history.rechecksum(conn, table, row.version, file.file.checksum, reason)
            rechecked.append(row.version)
            log.warning(
                "repair.checksum_updated",
                migration=row.version,
                recorded_checksum=row.checksum,
                checksum=file.file.checksum,
                reason=reason,
            )
    if not cleared and not rechecked:
        log.info("repair.nothing", message="No unfinished records and no changed checksums.")
    return {"cleared": cleared, "checksums_updated": rechecked}


def down(
    config: Config,
    conninfo: str,
    log: Logger,
    *,
    steps: int | None,
    to: int | None,
    allow_data_loss: bool,
    dry_run: bool,
) -> list[str]:
    """`aim-migrate down`: revert the newest applied migrations with their .down.sql files."""
    from aim_migrate.execute import Executor  # noqa: PLC0415
    from aim_migrate.rollback import plan_down  # noqa: PLC0415

    source = load_source(config)
    table = Table(config.schema, config.history_table)

    def decide(conn: psycopg.Connection[TupleRow]) -> list[Revert]:
        state = inspect(conn, table, config.sentinel_table)
        plan(source, state, PlanOptions(out_of_order=True))  # files match what was applied
        # A dry run shows data-losing steps (marked) instead of refusing them.
        permitted = allow_data_loss or dry_run
        return plan_down(source, state, steps=steps, to=to, allow_data_loss=permitted)

    with session(conninfo, config, log) as conn:
        if dry_run:
            reverts = decide(conn)
            for rv in reverts:
                loss = "  [data loss]" if rv.data_loss else ""
                down_file = rv.migration.down.path.name if rv.migration.down else "?"
                print(f"would revert {rv.migration.name} with {down_file}{loss}")
            if not reverts:
                print("nothing to revert")
            return []
        from aim_migrate.connect import TRANSACTION_POOLER  # noqa: PLC0415

        if _route(conn, conninfo, config, log) == TRANSACTION_POOLER:
            raise ConfigError(
                "down does not run through a transaction pooler: it holds the migration lock "
                "for the whole rollback, which such a pooler cannot keep. Nothing was changed.",
                hint="Run it over a direct (or session-pooled) connection to the database.",
                event="pooler.refused",
            )
        with _run_lock(conn, config, log, session_lock=True) as lock:
            reverts = decide(conn)
            statements = {
                rv.migration.down.location: files.statements(
                    rv.migration.down, transactional=rv.migration.down.transactional
                )
                for rv in reverts
                if rv.migration.down is not None
            }
            assert lock is not None
            executor = Executor(
                conn, config, table, statements, runner_identity(), log, session_pid=lock.pid
            )
            for rv in reverts:
                executor.revert(rv.migration, rv.row.version)
    return [rv.migration.name for rv in reverts]


def history_rows(config: Config, conninfo: str, log: Logger) -> tuple[history.HistoryRow, ...]:
    """`aim-migrate history`: the audit trail, read-only."""
    table = Table(config.schema, config.history_table)
    with session(conninfo, config, log) as conn:
        state = inspect(conn, table, config.sentinel_table)
    if state.foreign is not None:
        log.warning(
            "history.foreign",
            kind=state.foreign.kind,
            at_version=state.foreign.version,
            message=f"The history table is {state.foreign.kind}'s (version "
            f"{state.foreign.version}); the next migrate adopts it, with a row per migration.",
        )
    return state.rows
