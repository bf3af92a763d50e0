"""How a failed statement becomes the runner's error: `file:line:column`, the SQLSTATE, the
server's message mapped onto the file (inside DO blocks too), and a hint that depends on what
was kept (a transaction rolled back, or autocommit statements that took effect)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import psycopg
from psycopg import errors as pg_errors

from aim_migrate.errors import ConnectError, MigrationError
from aim_migrate.sqltext import LineIndex

if TYPE_CHECKING:
    from psycopg.rows import TupleRow

    from aim_migrate.source import SqlFile
    from aim_migrate.sqltext import Statement

_PLPGSQL_LINE = re.compile(r"(?:inline_code_block|function \S+) line (\d+)")
_DOLLAR_OPEN = re.compile(r"\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$")


class StatementFailed(Exception):
    def __init__(self, error: psycopg.Error, sql_file: SqlFile, statement: Statement) -> None:
        super().__init__(str(error))
        self.error = error
        self.sql_file = sql_file
        self.statement = statement


class LockRetry(Exception):
    def __init__(self, error: MigrationError) -> None:
        super().__init__(error.message)
        self.error = error


class Guard:
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
        batched: bool = False,
    ) -> None:
        self._batched = batched
        self._conn = conn
        self._name = name
        self._file = sql_file
        self._transactional = transactional
        self._reverting = reverting

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, StatementFailed):
            error = describe(self._name, exc, self._transactional, self._reverting, self._batched)
            if isinstance(exc.error, pg_errors.LockNotAvailable):
                raise LockRetry(error) from None
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


def describe(
    name: str,
    failure: StatementFailed,
    transactional: bool,
    reverting: bool = False,
    batched: bool = False,
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
    elif batched:
        hint = (
            "This batch was rolled back; earlier batches stay committed, and the migration "
            "stays recorded as failed. Fix the cause and re-run: it resumes with the rows still "
            "to do (its statement selects only those)."
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
