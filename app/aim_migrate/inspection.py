"""What the database holds: the target schema, the history table and the sentinel table.

Reads the catalog of the configured schema (never a hard-coded `public`), in two round trips
at most: one catalog probe, then the history rows if there is a history table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from psycopg import sql

from aim_migrate.errors import ValidationError
from aim_migrate.history import COLUMNS, INTEGER_TYPES, HistoryRow, Table, select_rows_sql

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg.rows import TupleRow

_PROBE = """
SELECT (SELECT array_agg(a.attname::text)
          FROM pg_class c
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE c.relnamespace = n.oid AND c.relname = %(history)s AND c.relkind IN ('r', 'p')),
       (SELECT format_type(a.atttypid, a.atttypmod)
          FROM pg_class c
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'version'
                             AND NOT a.attisdropped
         WHERE c.relnamespace = n.oid AND c.relname = %(history)s AND c.relkind IN ('r', 'p')),
       EXISTS (SELECT 1 FROM pg_class c
                WHERE c.relnamespace = n.oid AND c.relname = %(sentinel)s
                  AND c.relkind IN ('r', 'p', 'v', 'm', 'f'))
  FROM (SELECT %(schema)s::name AS nspname) AS wanted
  LEFT JOIN pg_namespace n ON n.nspname = wanted.nspname
"""


_TEXT_TYPES = ("character varying", "text", "character", "name")
GOLANG_MIGRATE = "golang-migrate"


class ForeignHistory(NamedTuple):
    """Another tool's history table under our name, which we know how to adopt."""

    kind: str  # GOLANG_MIGRATE
    version: int | None  # the version it records (None: no row yet)
    dirty: bool


class DatabaseState(NamedTuple):
    history_columns: frozenset[str] | None  # None: there is no history table
    sentinel_exists: bool
    rows: tuple[HistoryRow, ...]
    foreign: ForeignHistory | None = None  # set instead of rows for another tool's table

    @property
    def has_history(self) -> bool:
        return bool(self.rows)

    @property
    def history_needs_upgrade(self) -> bool:
        """The table is missing, or is an older shape (the original runner's)."""
        return self.history_columns is None or not self.history_columns.issuperset(COLUMNS)


def inspect(conn: Connection[TupleRow], table: Table, sentinel: str) -> DatabaseState:
    probe = conn.execute(
        _PROBE, {"schema": table.schema, "history": table.name, "sentinel": sentinel}
    ).fetchone()
    assert probe is not None
    columns, version_type, sentinel_exists = probe
    rows: tuple[HistoryRow, ...] = ()
    foreign = None
    present = None if columns is None else frozenset(columns)
    if present is not None:
        foreign = _recognise(table, present, str(version_type or ""))
        if foreign is None:
            cursor = conn.execute(select_rows_sql(table, present))
            rows = tuple(HistoryRow(*row) for row in cursor)
        else:
            found = conn.execute(
                sql.SQL("SELECT version, dirty FROM {} ORDER BY version DESC").format(table.ident)
            ).fetchall()
            if len(found) > 1:
                raise _not_ours(table, present, "golang-migrate keeps exactly one row")
            if found:
                foreign = foreign._replace(version=int(found[0][0]), dirty=bool(found[0][1]))
    return DatabaseState(
        history_columns=present,
        sentinel_exists=bool(sentinel_exists),
        rows=rows,
        foreign=foreign,
    )


def _recognise(table: Table, columns: frozenset[str], version_type: str) -> ForeignHistory | None:
    """None for our table (or the original runner's older shape of it); a ForeignHistory for
    a table we can adopt; a refusal for anything else (an application table of that name)."""
    if "version" not in columns:
        raise _not_ours(table, columns, "it has no 'version' column")
    if version_type.startswith(_TEXT_TYPES):
        unknown = sorted(columns - set(COLUMNS))
        if unknown:
            raise _not_ours(table, columns, f"it has columns this tool never writes: {unknown}")
        return None
    if version_type in INTEGER_TYPES and columns == {"version", "dirty"}:
        return ForeignHistory(GOLANG_MIGRATE, None, False)
    raise _not_ours(table, columns, f"its version column is {version_type}")


def _not_ours(table: Table, columns: frozenset[str], why: str) -> ValidationError:
    return ValidationError(
        f"Table {table.schema}.{table.name} exists but is not a migration history this tool "
        f"can read or adopt: {why}.",
        hint="If it is an application table, point AIM_HISTORY_TABLE at another name (and "
        "AIM_LOCK_NAME stays per database); if it is another tool's history, adopt it with "
        "'aim-migrate baseline --version N' under a new AIM_HISTORY_TABLE.",
        event="history.unrecognised",
        table=f"{table.schema}.{table.name}",
        columns=sorted(columns),
    )


_UP_TO_DATE = """
WITH files AS (
    -- Two newline-joined strings: far cheaper to send than two arrays of thousands of items.
    SELECT * FROM unnest(string_to_array(%(names)s, E'\\n'), string_to_array(%(checksums)s, E'\\n'))
                  AS f(name, checksum)
), h AS (
    -- Every column is named so that an older table shape fails here and takes the full path.
    SELECT CASE WHEN version LIKE '%%.up' THEN left(version, -3) ELSE version END AS name,
           checksum, status, track, version_number, description, applied_by, duration_ms,
           reason, applied_at, phase
      FROM {table}
)
-- One pass (a hash full join) over files and history.
SELECT count(h.name) = 0
    OR count(*) FILTER (WHERE h.name IS NULL) > 0
    OR count(*) FILTER (WHERE f.name IS NOT NULL AND h.checksum IS DISTINCT FROM f.checksum) > 0
    OR count(*) FILTER (WHERE h.status <> 'applied' OR (h.name IS NOT NULL AND h.track IS NULL)) > 0
    OR count(*) FILTER (WHERE f.name IS NULL AND h.track <> 'baseline'
                          AND h.name !~ '^V[0-9]+__') > 0,
       max(h.version_number) FILTER (WHERE h.track <> 'baseline')
  FROM files f FULL JOIN h ON h.name = f.name
"""


def up_to_date(
    conn: Connection[TupleRow], table: Table, names: list[str], checksums: list[str]
) -> tuple[bool, int | None]:
    """The every-pod-start question in one round trip: does the history hold exactly these
    migrations with these checksums, and nothing unfinished, unknown or to adopt?

    (True, version) only when the full inspection and plan would also find nothing to do;
    (False, None) whenever anything needs a closer look, including a missing or older table.
    """
    from psycopg import errors, sql  # noqa: PLC0415 - psycopg is loaded already

    query = sql.SQL(_UP_TO_DATE).format(table=table.ident)
    try:
        row = conn.execute(
            query, {"names": "\n".join(names), "checksums": "\n".join(checksums)}
        ).fetchone()
    except (
        errors.UndefinedTable,
        errors.UndefinedColumn,
        errors.InvalidSchemaName,
        errors.UndefinedFunction,  # another tool's table, e.g. a bigint version: the full path
    ):
        return False, None
    assert row is not None
    needs_look, version = row
    return (False, None) if needs_look else (True, version)
