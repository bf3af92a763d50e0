"""Executing a plan: each migration and its history row commit together, or not at all.

The baseline, the history rows of everything it contains, and (on a fresh database) the
history table itself are one transaction. Each incremental migration is one transaction with
its history row. Only a file marked `no-transaction` runs statement by statement in
autocommit; it is recorded as `started` first, so an interruption is visible, never silent.
"""

from __future__ import annotations

import contextlib
import random
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import psycopg
from psycopg import errors as pg_errors

from app import history
from app.connect import apply_session_settings
from app.errors import ConnectError, MigrationError
from app.history import Record, Table
from app.sqltext import LineIndex, Statement

if TYPE_CHECKING:
    from psycopg.rows import TupleRow

    from app.config import Config
    from app.logs import Logger
    from app.plan import Plan
    from app.source import Migration, SqlFile

_PLPGSQL_LINE = re.compile(r"(?:inline_code_block|function \S+) line (\d+)")
_DOLLAR_OPEN = re.compile(r"\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$")


@dataclass(slots=True)
class Progress:
    applied: list[str] = field(default_factory=list)
    recorded: list[str] = field(default_factory=list)  # contained in the baseline, not run


class Executor:
    def __init__(
        self,
        conn: psycopg.Connection[TupleRow],
        config: Config,
        table: Table,
        statements: dict[str, list[Statement]],
        applied_by: str,
        log: Logger,
    ) -> None:
        self._conn = conn
        self._config = config
        self._table = table
        self._statements = statements  # per file path, split and checked before any change
        self._by = applied_by
        self._log = log
        self.progress = Progress()

    def run(self, plan: Plan) -> Progress:
        history_ready = not plan.upgrade_history and not plan.adopt
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

    def _prepare_history(self, plan: Plan) -> None:
        with self._conn.transaction():
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
        self._log.info(
            "migration.started",
            migration=baseline.name,
            track="baseline",
            file=baseline.file.location,
            contains_through=baseline.version,
        )
        started = time.monotonic()
        statements = self._statements[baseline.file.location]
        with self._guard(baseline.name, baseline.file), self._conn.transaction():
            history.ensure_schema(self._conn, self._table)
            self._execute_all(baseline.file, statements)
            duration_ms = _ms_since(started)
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
            history.write(self._conn, self._table, records, self._by)
        self._after(statements)
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
            self._log.info(
                "migration.started",
                migration=migration.name,
                track="incremental",
                file=migration.file.location,
                attempt=attempt,
            )
            started = time.monotonic()
            try:
                with self._guard(migration.name, migration.file), self._conn.transaction():
                    if prepare_history:
                        history.ensure_schema(self._conn, self._table)
                    self._execute_all(migration.file, statements)
                    duration_ms = _ms_since(started)
                    if prepare_history:
                        history.upgrade(self._conn, self._table)
                    history.write(
                        self._conn, self._table, [self._record(migration, duration_ms)], self._by
                    )
            except _LockRetry as retry:
                if attempt > self._config.ddl_lock_retries:
                    raise retry.error from None
                pause = min(30.0, 0.5 * 2 ** (attempt - 1)) * random.uniform(0.8, 1.2)  # noqa: S311
                self._log.warning(
                    "migration.lock_retry",
                    migration=migration.name,
                    attempt=attempt,
                    retry_in_s=round(pause, 2),
                    cause=retry.error.message,
                )
                time.sleep(pause)
                continue
            break
        self._after(statements)
        self.progress.applied.append(migration.name)
        self._log.info(
            "migration.applied",
            migration=migration.name,
            track="incremental",
            duration_ms=duration_ms,
        )

    def _apply_autocommit(self, migration: Migration) -> None:
        statements = self._statements[migration.file.location]
        self._log.info(
            "migration.started",
            migration=migration.name,
            track="incremental",
            file=migration.file.location,
            transaction=False,
        )
        started = time.monotonic()
        history.write(
            self._conn,
            self._table,
            [self._record(migration, None, status=history.STARTED)],
            self._by,
        )
        try:
            with self._guard(migration.name, migration.file, transactional=False):
                self._execute_all(migration.file, statements)
        except _LockRetry as retry:
            self._mark_failed(migration, retry.error.message)
            raise retry.error from None
        except MigrationError as exc:
            self._mark_failed(migration, exc.message)
            raise
        except KeyboardInterrupt:
            self._mark_failed(migration, "interrupted")
            raise
        duration_ms = _ms_since(started)
        history.set_status(self._conn, self._table, migration.name, history.APPLIED, duration_ms)
        self._after(statements)
        self.progress.applied.append(migration.name)
        self._log.info(
            "migration.applied",
            migration=migration.name,
            track="incremental",
            duration_ms=duration_ms,
            transaction=False,
        )

    def revert(self, migration: Migration, version: str) -> None:
        """Run a migration's down file and remove its history row, in one transaction."""
        down = migration.down
        assert down is not None
        statements = self._statements[down.location]
        transactional = down.transactional
        self._log.info("migration.reverting", migration=migration.name, file=down.location)
        started = time.monotonic()
        with (
            self._guard(migration.name, down, transactional),
            self._conn.transaction() if transactional else contextlib.nullcontext(),
        ):
            self._execute_all(down, statements)
            history.remove(self._conn, self._table, version)
        self._after(statements)
        self.progress.applied.append(migration.name)
        self._log.info(
            "migration.reverted", migration=migration.name, duration_ms=_ms_since(started)
        )

    def _mark_failed(self, migration: Migration, reason: str) -> None:
        # If this fails too, the row still says `started`; the next run reports it either way.
        with contextlib.suppress(psycopg.Error):
            history.set_status(
                self._conn, self._table, migration.name, history.FAILED, reason=reason[:500]
            )

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

    def _after(self, statements: list[Statement]) -> None:
        if any(s.changes_session for s in statements):
            apply_session_settings(self._conn, self._config)

    def _guard(self, name: str, sql_file: SqlFile, transactional: bool = True) -> _Guard:
        return _Guard(self._conn, name, sql_file, transactional)


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

    Sits outside `conn.transaction()`, so by the time it runs the transaction is rolled back.
    """

    def __init__(
        self, conn: psycopg.Connection[TupleRow], name: str, sql_file: SqlFile, transactional: bool
    ) -> None:
        self._conn = conn
        self._name = name
        self._file = sql_file
        self._transactional = transactional

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, _StatementFailed):
            error = _describe(self._name, exc, self._transactional)
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


def _describe(name: str, failure: _StatementFailed, transactional: bool) -> MigrationError:
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
    else:
        hint = (
            f"It ran outside a transaction: statements before line {statement.line} took "
            "effect. Check them (and any INVALID index it left), then run "
            "'aim-migrate repair --reason \"...\"' to clear the record and retry."
        )
    return MigrationError(
        f"Migration {name} failed at {where}: {message}",
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
