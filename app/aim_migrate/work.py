"""What executing a plan (or a rollback) works with: one connection, the target, the split
statements, and the step: one transaction under the transaction-level advisory lock.

Every step first takes the lock, with the runner's settings as SET LOCAL in the same round
trip, so they end with it; the work inside checks that it is still to be done, runs its SQL,
resets the session (`reset()`) and writes the history. So a step is applied exactly once
however many runners race, through a transaction pooler too, and no migration's SET, SET
ROLE or temporary table reaches the next one.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import psycopg

from aim_migrate import history
from aim_migrate.connect import local_settings_sql, reset_session
from aim_migrate.errors import MigrationError
from aim_migrate.failure import Guard, StatementFailed
from aim_migrate.lock import locked_transaction
from aim_migrate.plan import unfinished_error

if TYPE_CHECKING:
    from psycopg.rows import TupleRow

    from aim_migrate.config import Config
    from aim_migrate.history import Record
    from aim_migrate.logs import Logger
    from aim_migrate.source import SqlFile, Statements
    from aim_migrate.sqltext import Statement
    from aim_migrate.target import Target


@dataclass(slots=True)
class Progress:
    applied: list[str] = field(default_factory=list)
    recorded: list[str] = field(default_factory=list)  # contained in the baseline, not run
    skipped: list[str] = field(default_factory=list)  # done by another runner meanwhile
    lock_wait_s: float = 0.0
    batched_rows: int = 0  # rows changed by batched migrations


class Work:
    def __init__(
        self,
        conn: psycopg.Connection[TupleRow],
        config: Config,
        target: Target,
        statements: Statements,
        applied_by: str,
        log: Logger,
        *,
        session_pid: int | None,
    ) -> None:
        self.conn = conn
        self.config = config
        self.target = target
        self.table = target.table
        self.statements = statements  # split and checked before any change
        self.applied_by = applied_by
        self.log = log
        # The backend holding the run's session lock; None: no session lock (a pooler).
        self.session_pid = session_pid
        self.progress = Progress()

    @contextlib.contextmanager
    def step(self) -> Iterator[None]:
        """One locked transaction with the runner's settings (SET LOCAL)."""
        with locked_transaction(
            self.conn,
            self.target.lock_name,
            self.config.lock_timeout,
            self.log,
            local_settings_sql(self.config, self.conn),
            self.session_pid,
        ) as waited:
            self.progress.lock_wait_s += waited
            yield

    def reset(self) -> None:
        reset_session(self.conn, session_lock=self.session_pid is not None)

    def still_pending(
        self, name: str, status: str | None = None, *, resumable: bool = False
    ) -> bool:
        """Under the step's lock: not recorded yet (or, `resumable`, recorded as unfinished).
        Recorded as applied by another runner: skip it. `status`: already read by the caller."""
        if status is None:
            status = history.statuses(self.conn, self.table, [name]).get(name)
        if status is None or (resumable and status in (history.STARTED, history.FAILED)):
            return True
        if status != history.APPLIED:
            raise unfinished_error(name, status)
        self.skipped(name)
        return False

    def skipped(self, name: str) -> None:
        self.progress.skipped.append(name)
        self.log.info(
            "migration.skipped", migration=name, reason="another runner applied it meanwhile"
        )

    def write(self, records: list[Record]) -> None:
        try:
            history.write(self.conn, self.table, records, self.applied_by)
        except history.DuplicateRecord as clash:
            raise MigrationError(
                f"The history already records {clash} as applied; this run's apply of it was "
                "rolled back.",
                hint="Another runner applied it without the migration lock (an older runner, "
                "or one pointed at another lock name); check AIM_LOCK_NAME and re-run.",
                event="history.duplicate",
                migrations=clash.versions,
            ) from None

    def mark(self, version: str, status: str, reason: str) -> None:
        """Best effort: if this fails too, the row keeps its unfinished status either way."""
        if self.conn.broken or self.conn.closed:
            return
        with contextlib.suppress(psycopg.Error):
            history.set_status(self.conn, self.table, version, status, reason=reason[:500])

    def execute(self, sql_file: SqlFile, statements: list[Statement]) -> None:
        for statement in statements:
            # Sent as written: no parameters, so '%' and friends reach the server untouched.
            self.execute_one(sql_file, statement)

    def execute_one(self, sql_file: SqlFile, statement: Statement) -> psycopg.Cursor[TupleRow]:
        """One statement, as written; its cursor (rowcount) for the caller."""
        try:
            return self.conn.execute(statement.text.encode("utf-8"))
        except psycopg.Error as exc:
            raise StatementFailed(exc, sql_file, statement) from None

    def guard(
        self,
        name: str,
        sql_file: SqlFile,
        transactional: bool = True,
        reverting: bool = False,
        batched: bool = False,
    ) -> Guard:
        return Guard(self.conn, name, sql_file, transactional, reverting, batched)

    @property
    def usable(self) -> bool:
        return not (self.conn.broken or self.conn.closed)


def ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
