"""Executing a plan: each migration and its history row commit together, or not at all.

Every step is one transaction that first takes the transaction-level advisory lock, then
checks that the step is still to be done (another runner may have done it meanwhile), sets
the runner's settings with SET LOCAL, runs the SQL, puts the session back as it found it and
writes the history row. So a step is applied exactly once however many runners race, through
a transaction pooler too, and no migration's SET, SET ROLE or temporary table reaches the
next one.

The baseline, the history rows of everything it contains, and (on a fresh database) the
history table itself are one such step. Only a file marked `no-transaction` runs statement by
statement in autocommit (on a direct connection, under the session lock); it is recorded as
`started` first, so an interruption is visible, never silent.
"""

from __future__ import annotations

import contextlib
import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql

from aim_migrate import history, indexes
from aim_migrate.connect import apply_session_settings, local_settings_sql, reset_session
from aim_migrate.errors import ConnectError, MigrationError
from aim_migrate.history import Record, Table
from aim_migrate.lock import locked_transaction
from aim_migrate.plan import unfinished_error
from aim_migrate.sqltext import LineIndex, Statement

if TYPE_CHECKING:
    from psycopg.rows import TupleRow

    from aim_migrate.config import Config
    from aim_migrate.logs import Logger
    from aim_migrate.plan import Plan
    from aim_migrate.source import Migration, SqlFile

_PLPGSQL_LINE = re.compile(r"(?:inline_code_block|function \S+) line (\d+)")
_DOLLAR_OPEN = re.compile(r"\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$")


@dataclass(slots=True)
class Progress:
    applied: list[str] = field(default_factory=list)
    recorded: list[str] = field(default_factory=list)  # contained in the baseline, not run
    skipped: list[str] = field(default_factory=list)  # done by another runner meanwhile
    lock_wait_s: float = 0.0


class Executor:
    def __init__(
        self,
        conn: psycopg.Connection[TupleRow],
        config: Config,
        table: Table,
        statements: dict[str, list[Statement]],
        applied_by: str,
        log: Logger,
        *,
        session_pid: int | None,
    ) -> None:
        self._conn = conn
        self._config = config
        self._table = table
        self._statements = statements  # per file path, split and checked before any change
        self._by = applied_by
        self._log = log
        # The backend holding the run's session lock; None: no session lock (a pooler).
        self._session_pid = session_pid
        self.progress = Progress()

    def run(self, plan: Plan) -> Progress:
        history_ready = not plan.upgrade_history and not plan.adopt
        if plan.convert is not None:
            self._convert_history(plan)
            history_ready = True
        if plan.baseline is not None:
            self._apply_baseline(plan)
            history_ready = True
        elif not history_ready and plan.applied:
            # An existing history (possibly the original runner's): adopt it on its own.
            self._prepare_history(plan)
            history_ready = True
        for migration in plan.pending:
            if migration.transactional:
                self._apply_transactional(migration, prepare_history=not history_ready)
            else:
                if not history_ready:
                    self._prepare_history(plan)
                self._apply_autocommit(migration)
            history_ready = True
        return self.progress

    @contextlib.contextmanager
    def _step(self) -> Iterator[None]:
        """One locked transaction with the runner's settings (SET LOCAL)."""
        with locked_transaction(
            self._conn,
            self._config.lock_key_name,
            self._config.lock_timeout,
            self._log,
            local_settings_sql(self._config, self._conn),
            self._session_pid,
        ) as waited:
            self.progress.lock_wait_s += waited
            yield

    def _reset(self) -> None:
        reset_session(self._conn, session_lock=self._session_pid is not None)

    def _still_pending(self, migration: Migration) -> bool:
        """Under the step's lock: not recorded yet. Recorded by another runner: skip it."""
        status = history.statuses(self._conn, self._table, [migration.name]).get(migration.name)
        if status is None:
            return True
        if status != history.APPLIED:
            raise unfinished_error(migration.name, status)
        self._skipped(migration.name)
        return False

    def _skipped(self, name: str) -> None:
        self.progress.skipped.append(name)
        self._log.info(
            "migration.skipped", migration=name, reason="another runner applied it meanwhile"
        )

    def _write(self, records: list[Record]) -> None:
        try:
            history.write(self._conn, self._table, records, self._by)
        except history.DuplicateRecord as clash:
            raise MigrationError(
                f"The history already records {clash} as applied; this run's apply of it was "
                "rolled back.",
                hint="Another runner applied it without the migration lock (an older runner, "
                "or one pointed at another lock name); check AIM_LOCK_NAME and re-run.",
                event="history.duplicate",
                migrations=clash.versions,
            ) from None

    def _convert_history(self, plan: Plan) -> None:
        foreign = plan.convert
        assert foreign is not None
        records = [
            Record(r.version, r.version_number, r.description or "", history.LEGACY, r.checksum)
            for r in plan.applied
            if r.checksum is not None
        ]
        with self._step():
            converted = history.convert_golang_migrate(
                self._conn, self._table, foreign.version, records, self._by
            )
        if converted:
            self._log.info(
                "history.adopted",
                table=f"{self._table.schema}.{self._table.name}",
                source=foreign.kind,
                at_version=foreign.version,
                rows_completed=len(records),
            )

    def _prepare_history(self, plan: Plan) -> None:
        with self._step():
            added = history.upgrade(self._conn, self._table)
            history.adopt_legacy(self._conn, self._table, list(plan.adopt))
        if added or plan.adopt:
            self._log.info(
                "history.adopted",
                table=f"{self._table.schema}.{self._table.name}",
                added_columns=added,
                rows_completed=len(plan.adopt),
            )

    def _apply_baseline(self, plan: Plan) -> None:
        baseline = plan.baseline
        assert baseline is not None
        statements = self._statements[baseline.file.location]
        with self._guard(baseline.name, baseline.file), self._step():
            if not history.is_empty(self._conn, self._table):
                self._skipped(baseline.name)
                return
            self._log.info(
                "migration.started",
                migration=baseline.name,
                track="baseline",
                file=baseline.file.location,
                contains_through=baseline.version,
            )
            started = time.monotonic()
            history.ensure_schema(self._conn, self._table)
            self._execute_all(baseline.file, statements)
            duration_ms = _ms_since(started)
            self._reset()
            # After the baseline's SQL: it may have created the history table itself.
            history.upgrade(self._conn, self._table)
            records = [
                Record(
                    baseline.name,
                    baseline.version,
                    baseline.name.split("__", 1)[1],
                    history.BASELINE,
                    baseline.file.checksum,
                    duration_ms,
                )
            ] + [
                Record(m.name, m.number, m.description, history.CONTAINED, m.file.checksum)
                for m in plan.contained
            ]
            self._write(records)
        self.progress.applied.append(baseline.name)
        self.progress.recorded.extend(m.name for m in plan.contained)
        self._log.info(
            "migration.applied",
            migration=baseline.name,
            track="baseline",
            duration_ms=duration_ms,
            recorded=len(plan.contained),
        )

    def _apply_transactional(self, migration: Migration, *, prepare_history: bool) -> None:
        statements = self._statements[migration.file.location]
        attempt = 0
        while True:
            attempt += 1
            try:
                with self._guard(migration.name, migration.file), self._step():
                    if not self._still_pending(migration):
                        return
                    self._log.info(
                        "migration.started",
                        migration=migration.name,
                        track="incremental",
                        file=migration.file.location,
                        attempt=attempt,
                    )
                    started = time.monotonic()
                    if prepare_history:
                        history.ensure_schema(self._conn, self._table)
                    self._execute_all(migration.file, statements)
                    duration_ms = _ms_since(started)
                    self._reset()
                    if prepare_history:
                        history.upgrade(self._conn, self._table)
                    self._write([self._record(migration, duration_ms)])
            except _LockRetry as retry:
                if attempt > self._config.ddl_lock_retries:
                    raise retry.error from None
                self._back_off(migration.name, attempt, retry.error.message)
                continue
            break
        self.progress.applied.append(migration.name)
        self._log.info(
            "migration.applied",
            migration=migration.name,
            track="incremental",
            duration_ms=duration_ms,
        )

    def _back_off(self, name: str, attempt: int, cause: str) -> None:
        pause = min(30.0, 0.5 * 2 ** (attempt - 1)) * random.uniform(0.8, 1.2)  # noqa: S311
        self._log.warning(
            "migration.lock_retry",
            migration=name,
            attempt=attempt,
            retry_in_s=round(pause, 2),
            cause=cause,
        )
        time.sleep(pause)

    def _apply_autocommit(self, migration: Migration) -> None:
        statements = self._statements[migration.file.location]
        with self._step():
            if not self._still_pending(migration):
                return
            self._write([self._record(migration, None, status=history.STARTED)])
        self._log.info(
            "migration.started",
            migration=migration.name,
            track="incremental",
            file=migration.file.location,
            transaction=False,
        )
        started = time.monotonic()
        try:
            self._run_autocommit(migration.name, migration.file, statements)
        except MigrationError as exc:
            self._mark(migration.name, history.FAILED, exc.message)
            raise
        except KeyboardInterrupt:
            self._mark(migration.name, history.FAILED, "interrupted")
            raise
        duration_ms = _ms_since(started)
        with self._step():
            history.set_status(
                self._conn, self._table, migration.name, history.APPLIED, duration_ms
            )
        self.progress.applied.append(migration.name)
        self._log.info(
            "migration.applied",
            migration=migration.name,
            track="incremental",
            duration_ms=duration_ms,
            transaction=False,
        )

    def _run_autocommit(
        self, name: str, sql_file: SqlFile, statements: list[Statement], *, reverting: bool = False
    ) -> None:
        """Each statement on its own: a lock timeout retries that statement (nothing of it took
        effect); concurrent index builds run without lock_timeout, never over an INVALID
        leftover, and must all be valid at the end."""
        apply_session_settings(self._conn, self._config)
        builds: list[indexes.IndexBuild] = []
        try:
            for statement in statements:
                build = indexes.concurrent_build(statement)
                if build is not None:
                    builds.append(build)
                    dropped = indexes.drop_invalid_leftover(self._conn, build)
                    if dropped:
                        self._log.warning(
                            "migration.invalid_index_dropped",
                            migration=name,
                            index=dropped,
                            reason="left INVALID by an earlier attempt; rebuilt now",
                        )
                self._run_one(name, sql_file, statement, reverting=reverting)
            problem = self._invalid_after(name, builds)  # under the runner's search_path
            if problem is not None:
                raise problem
        finally:
            if not (self._conn.broken or self._conn.closed):
                with contextlib.suppress(psycopg.Error):
                    self._reset()

    def _run_one(
        self, name: str, sql_file: SqlFile, statement: Statement, *, reverting: bool
    ) -> None:
        concurrent = indexes.is_concurrent(statement)
        if concurrent:
            self._conn.execute("SET lock_timeout = 0")
        attempt = 0
        started = time.monotonic()
        try:
            while True:
                attempt += 1
                try:
                    with self._guard(name, sql_file, transactional=False, reverting=reverting):
                        self._execute_all(sql_file, [statement])
                    return
                except _LockRetry as retry:
                    if attempt > self._config.ddl_lock_retries:
                        raise retry.error from None
                    self._back_off(name, attempt, retry.error.message)
                except MigrationError as exc:
                    if concurrent:
                        raise self._name_waits(exc, started) from None
                    raise
        finally:
            if concurrent and not (self._conn.broken or self._conn.closed):
                ms = int(self._config.ddl_lock_timeout * 1000)
                with contextlib.suppress(psycopg.Error):
                    self._conn.execute(sql.SQL("SET lock_timeout = {}").format(sql.Literal(ms)))

    def _name_waits(self, error: MigrationError, started: float) -> MigrationError:
        """A concurrent build that failed (often: cancelled by statement_timeout while it
        waited for old transactions): say which transactions it was waiting for."""
        if self._conn.broken or self._conn.closed:
            return error
        try:
            blockers = indexes.waited_for(self._conn, time.monotonic() - started)
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

    def _invalid_after(self, name: str, builds: list[indexes.IndexBuild]) -> MigrationError | None:
        if not builds:
            return None
        invalid = indexes.invalid_indexes(self._conn, builds)
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

    def revert(self, migration: Migration, version: str) -> None:
        """Run a migration's down file and remove its history row. A transactional down file
        and the removal are one step; a no-transaction one is recorded as `reverting` first,
        so a failure halfway is visible (and blocks migrate) instead of silently lost."""
        down = migration.down
        assert down is not None
        statements = self._statements[down.location]
        self._log.info("migration.reverting", migration=migration.name, file=down.location)
        started = time.monotonic()
        if down.transactional:
            with self._guard(migration.name, down, reverting=True), self._step():
                self._check_still_applied(version)
                self._execute_all(down, statements)
                self._reset()
                history.remove(self._conn, self._table, version)
        else:
            with self._step():
                self._check_still_applied(version)
                history.set_status(self._conn, self._table, version, history.REVERTING)
            try:
                self._run_autocommit(migration.name, down, statements, reverting=True)
            except MigrationError as exc:
                self._mark(version, history.REVERTING, f"revert failed: {exc.message}")
                raise
            except KeyboardInterrupt:
                self._mark(version, history.REVERTING, "revert interrupted")
                raise
            with self._step():
                history.remove(self._conn, self._table, version)
        self.progress.applied.append(migration.name)
        self._log.info(
            "migration.reverted", migration=migration.name, duration_ms=_ms_since(started)
        )

    def _check_still_applied(self, version: str) -> None:
        status = history.statuses(self._conn, self._table, [version]).get(version)
        if status != history.APPLIED:
            raise MigrationError(
                f"Migration {version} is no longer recorded as applied; nothing was reverted.",
                hint="Another runner changed the history meanwhile; check 'aim-migrate history'.",
                event="rollback.refused",
                migration=version,
            )

    def _mark(self, version: str, status: str, reason: str) -> None:
        # If this fails too, the row still says `started`; the next run reports it either way.
        if self._conn.broken or self._conn.closed:
            return
        with contextlib.suppress(psycopg.Error):
            history.set_status(self._conn, self._table, version, status, reason=reason[:500])

    def _record(
        self, m: Migration, duration_ms: int | None, status: str = history.APPLIED
    ) -> Record:
        return Record(
            m.name,
            m.number,
            m.description,
            history.INCREMENTAL,
            m.file.checksum,
            duration_ms,
            status,
        )

    def _execute_all(self, sql_file: SqlFile, statements: list[Statement]) -> None:
        for statement in statements:
            try:
                # Sent as written: no parameters, so '%' and friends reach the server untouched.
                self._conn.execute(statement.text.encode("utf-8"))
            except psycopg.Error as exc:
                raise _StatementFailed(exc, sql_file, statement) from None

    def _guard(
        self, name: str, sql_file: SqlFile, transactional: bool = True, reverting: bool = False
    ) -> _Guard:
        return _Guard(self._conn, name, sql_file, transactional, reverting)


class _StatementFailed(Exception):
    def __init__(self, error: psycopg.Error, sql_file: SqlFile, statement: Statement) -> None:
        super().__init__(str(error))
        self.error = error
        self.sql_file = sql_file
        self.statement = statement


class _LockRetry(Exception):
    def __init__(self, error: MigrationError) -> None:
        super().__init__(error.message)
        self.error = error


class _Guard:
    """Turns a failed statement (raised inside the transaction) into the runner's error.

    Sits outside the step's transaction, so by the time it runs the transaction is rolled back.
    """

    def __init__(
        self,
        conn: psycopg.Connection[TupleRow],
        name: str,
        sql_file: SqlFile,
        transactional: bool,
        reverting: bool,
    ) -> None:
        self._conn = conn
        self._name = name
        self._file = sql_file
        self._transactional = transactional
        self._reverting = reverting

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, _StatementFailed):
            error = _describe(self._name, exc, self._transactional, self._reverting)
            if isinstance(exc.error, pg_errors.LockNotAvailable):
                raise _LockRetry(error) from None
            if self._conn.broken or self._conn.closed:
                raise ConnectError(
                    f"The database connection was lost while applying {self._name}: "
                    f"{error.fields.get('error')}",
                    hint="The server rolled back the unfinished migration; re-run to continue.",
                    event="db.connection_lost",
                    migration=self._name,
                    file=self._file.location,
                ) from None
            raise error from None
        if isinstance(exc, psycopg.OperationalError) and (self._conn.broken or self._conn.closed):
            raise ConnectError(
                f"The database connection was lost while applying {self._name}.",
                hint="The server rolled back the unfinished migration; re-run to continue.",
                event="db.connection_lost",
                migration=self._name,
            ) from None


def _describe(
    name: str, failure: _StatementFailed, transactional: bool, reverting: bool = False
) -> MigrationError:
    """file:line:column, SQLSTATE and the server's message, mapped onto the file."""
    diag = failure.error.diag
    statement, sql_file = failure.statement, failure.sql_file
    lines = LineIndex(sql_file.text)
    line, column = statement.line, None
    if diag.statement_position:
        line, column = lines.locate(statement.offset + int(diag.statement_position) - 1)
    elif diag.context:
        inner = _PLPGSQL_LINE.search(diag.context)
        body = _DOLLAR_OPEN.search(statement.text)
        if inner and body:
            line = lines.locate(statement.offset + body.end())[0] + int(inner.group(1)) - 1
    where = f"{sql_file.path.name}:{line}" + (f":{column}" if column else "")
    message = diag.message_primary or str(failure.error).strip()
    if diag.sqlstate == "42501":  # insufficient_privilege
        hint = (
            "The database user lacks a privilege this statement needs (it was rolled back). "
            "Run migrations as the role that owns the schema, or grant it what the README's "
            "'Privileges' section lists."
        )
    elif transactional:
        hint = (
            "Nothing of this migration was kept (it ran in a transaction); fix the cause (the "
            "error, and the server's hint if any) and re-run. Earlier migrations stay applied."
        )
    elif reverting:
        hint = (
            f"The down file ran outside a transaction: statements before line {statement.line} "
            "took effect, and the migration stays recorded as 'reverting', which stops migrate. "
            "Finish or undo the revert by hand, then clear the record with "
            "'aim-migrate repair --reason \"...\"': migrate then applies the forward migration "
            "again."
        )
    else:
        hint = (
            f"It ran outside a transaction: statements before line {statement.line} took "
            "effect. Check them (and any INVALID index it left), then run "
            "'aim-migrate repair --reason \"...\"' to clear the record and retry."
        )
    return MigrationError(
        f"{'Reverting' if reverting else 'Migration'} {name} failed at {where}: {message}",
        hint=hint,
        migration=name,
        file=sql_file.location,
        line=line,
        column=column,
        sqlstate=diag.sqlstate,
        error=message,
        detail=diag.message_detail,
        server_hint=diag.message_hint,
        context=diag.context,
    )


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
