"""The history table: its shape, its adoption from older runners, and the rows we write.

The table keeps the original runner's two columns (`version` = file name without `.sql`,
`applied_at`) so that a history written by it is adopted in place, and adds the rest.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from psycopg import sql

from aim_migrate.errors import ValidationError

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg.rows import TupleRow

# Column -> definition added to an older table. Every addition is metadata-only in PostgreSQL
# (no default, or a constant one), so adopting a large legacy table does not rewrite it.
COLUMNS: dict[str, str] = {
    "version": "varchar(255) PRIMARY KEY",
    "applied_at": "timestamptz NOT NULL DEFAULT now()",
    "version_number": "bigint",
    "description": "text",
    "track": "text",
    "checksum": "text",
    "status": "text NOT NULL DEFAULT 'applied'",
    "applied_by": "text",
    "duration_ms": "integer",
    "reason": "text",
    "phase": "text",  # pre-deploy or post-deploy (NULL: the baseline, older rows)
}

# Tracks: how a version came to be recorded.
BASELINE = "baseline"  # the consolidated baseline file itself
INCREMENTAL = "incremental"  # an incremental file whose SQL this runner executed
CONTAINED = "contained"  # an incremental the applied baseline already contains
MARKED = "marked"  # recorded by `aim-migrate baseline` without running SQL
LEGACY = "legacy"  # a row written by the original runner, adopted in place

# Statuses: only non-transactional migrations are ever recorded before they finish.
APPLIED = "applied"
STARTED = "started"
FAILED = "failed"
REVERTING = "reverting"  # a no-transaction down file is running (or was interrupted)


class HistoryRow(NamedTuple):
    version: str
    applied_at: datetime | None = None
    version_number: int | None = None
    description: str | None = None
    track: str | None = None
    checksum: str | None = None
    status: str = APPLIED
    applied_by: str | None = None
    duration_ms: int | None = None
    reason: str | None = None
    phase: str | None = None

    @property
    def name(self) -> str:
        """The migration this row stands for (the original runner kept `.up`)."""
        return self.version.removesuffix(".up")


class Record(NamedTuple):
    """A row to write: one migration that is now part of the database."""

    version: str
    version_number: int | None
    description: str
    track: str
    checksum: str
    duration_ms: int | None = None
    status: str = APPLIED
    phase: str | None = None


class Table(NamedTuple):
    schema: str
    name: str

    @property
    def ident(self) -> sql.Composable:
        return sql.Identifier(self.schema, self.name)


def select_rows_sql(table: Table, present: frozenset[str]) -> sql.Composed:
    """Read every row, with NULL for the columns an older table does not have yet."""
    fields: list[sql.Composable] = [
        sql.Identifier(column) if column in present else sql.SQL("NULL") for column in COLUMNS
    ]
    if "status" in present:
        fields[list(COLUMNS).index("status")] = sql.SQL("coalesce(status, {})").format(
            sql.Literal(APPLIED)
        )
    else:
        fields[list(COLUMNS).index("status")] = sql.Literal(APPLIED)
    return sql.SQL("SELECT {} FROM {} ORDER BY version").format(
        sql.SQL(", ").join(fields), table.ident
    )


def ensure_schema(conn: Connection[TupleRow], table: Table) -> None:
    """The target schema, created inside the first transaction so migrations land in it.

    Checked first: CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the
    schema exists, which a role that only owns its schema does not have.
    """
    exists = conn.execute(
        "SELECT 1 FROM pg_namespace WHERE nspname = %s", (table.schema,)
    ).fetchone()
    if exists is None:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(table.schema)))


def upgrade(conn: Connection[TupleRow], table: Table) -> list[str]:
    """Create the table, or bring an existing one (ours, older, or the baseline's) to shape.

    Returns the columns that were added. Runs inside the caller's transaction.
    """
    ensure_schema(conn, table)
    definition = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(d)) for c, d in COLUMNS.items()
    )
    conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(table.ident, definition))
    row = conn.execute(
        """
        SELECT array_agg(a.attname::text),
               EXISTS (SELECT 1 FROM pg_index i
                       WHERE i.indrelid = c.oid AND i.indisunique AND i.indnatts = 1
                         AND i.indkey[0] = (SELECT attnum FROM pg_attribute
                                            WHERE attrelid = c.oid AND attname = 'version'))
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE n.nspname = %s AND c.relname = %s
        GROUP BY c.oid
        """,
        (table.schema, table.name),
    ).fetchone()
    assert row is not None
    present = set(row[0])
    missing = [c for c in COLUMNS if c != "version" and c not in present]
    if missing:
        additions = sql.SQL(", ").join(
            sql.SQL("ADD COLUMN IF NOT EXISTS {} {}").format(sql.Identifier(c), sql.SQL(COLUMNS[c]))
            for c in missing
        )
        conn.execute(sql.SQL("ALTER TABLE {} {}").format(table.ident, additions))
    if not row[1]:
        # The ON CONFLICT upserts below need a unique index on version.
        conn.execute(
            sql.SQL("CREATE UNIQUE INDEX IF NOT EXISTS {} ON {} (version)").format(
                sql.Identifier(f"{table.name}_version_key"), table.ident
            )
        )
    return missing


def write(conn: Connection[TupleRow], table: Table, records: list[Record], by: str) -> None:
    """Insert rows in one statement (a baseline records dozens at once), or complete the
    unfinished row of a no-transaction migration.

    A row that already says `applied` is never overwritten: that would hide a second apply.
    Such a conflict raises, and the caller's transaction (the migration with it) rolls back.
    Rows without a checksum (written by a baseline's own SQL or an older runner) are completed.
    """
    if not records:
        return
    cursor = conn.execute(
        sql.SQL(
            """
            INSERT INTO {} AS h
                (version, version_number, description, track, checksum, status,
                 duration_ms, phase, applied_by, applied_at)
            SELECT v, n, d, t, c, s, ms, p, current_user || '@' || %s, now()
            FROM unnest(%s::text[], %s::bigint[], %s::text[], %s::text[], %s::text[],
                        %s::text[], %s::int[], %s::text[]) AS r(v, n, d, t, c, s, ms, p)
            ON CONFLICT (version) DO UPDATE SET
                phase = EXCLUDED.phase,
                version_number = EXCLUDED.version_number,
                description = EXCLUDED.description,
                track = EXCLUDED.track,
                checksum = EXCLUDED.checksum,
                status = EXCLUDED.status,
                duration_ms = EXCLUDED.duration_ms,
                applied_by = EXCLUDED.applied_by,
                applied_at = CASE WHEN h.status = 'applied' THEN h.applied_at
                                  ELSE EXCLUDED.applied_at END
            WHERE h.status IS DISTINCT FROM 'applied' OR h.checksum IS NULL
            RETURNING h.version
            """
        ).format(table.ident),
        (
            by,
            [r.version for r in records],
            [r.version_number for r in records],
            [r.description for r in records],
            [r.track for r in records],
            [r.checksum for r in records],
            [r.status for r in records],
            [r.duration_ms for r in records],
            [r.phase for r in records],
        ),
    )
    written = {row[0] for row in cursor}
    clash = [r.version for r in records if r.version not in written]
    if clash:
        raise DuplicateRecord(clash)


class DuplicateRecord(Exception):
    """The history already records these versions as applied (never absorbed silently)."""

    def __init__(self, versions: list[str]) -> None:
        super().__init__(", ".join(versions))
        self.versions = versions


def exists(conn: Connection[TupleRow], table: Table) -> bool:
    return _shape(conn, table)[0]


def _shape(conn: Connection[TupleRow], table: Table) -> tuple[bool, bool]:
    """(the table exists, it has a status column)."""
    row = conn.execute(
        """
        SELECT to_regclass(%(t)s) IS NOT NULL,
               EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(%(t)s)
                         AND attname = 'status' AND NOT attisdropped)
        """,
        {"t": table.ident.as_string(conn)},
    ).fetchone()
    assert row is not None
    return bool(row[0]), bool(row[1])


def statuses(conn: Connection[TupleRow], table: Table, names: list[str]) -> dict[str, str]:
    """name -> status of the rows recorded for these migrations (the original runner's `.up`
    rows count as theirs). Empty when there is no history table yet."""
    present, has_status = _shape(conn, table)
    if not present:
        return {}
    status = sql.SQL("coalesce(status, 'applied')" if has_status else "'applied'")
    rows = conn.execute(
        sql.SQL("SELECT version::text, {} FROM {} WHERE version::text = ANY(%s)").format(
            status, table.ident
        ),
        (names + [f"{name}.up" for name in names],),
    ).fetchall()
    return {str(version).removesuffix(".up"): str(state) for version, state in rows}


def is_empty(conn: Connection[TupleRow], table: Table) -> bool:
    """No history table, or one without rows: the database is still fresh."""
    if not exists(conn, table):
        return True
    row = conn.execute(
        sql.SQL("SELECT NOT EXISTS (SELECT 1 FROM {})").format(table.ident)
    ).fetchone()
    return bool(row and row[0])


def convert_golang_migrate(
    conn: Connection[TupleRow],
    table: Table,
    at_version: int | None,
    records: list[Record],
    by: str,
) -> bool:
    """Turn golang-migrate's one-row table (version bigint, dirty boolean) into ours, in
    place, with a row for every migration file up to its version. False if it is no longer
    that table (another runner converted it first). Runs inside the caller's transaction."""
    row = conn.execute(
        """
        SELECT format_type(a.atttypid, a.atttypmod)
          FROM pg_attribute a
         WHERE a.attrelid = to_regclass(%s) AND a.attname = 'version' AND NOT a.attisdropped
        """,
        (table.ident.as_string(conn),),
    ).fetchone()
    if row is None or row[0] not in INTEGER_TYPES:
        return False
    conn.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(table.ident))
    now = conn.execute(sql.SQL("SELECT version, dirty FROM {}").format(table.ident)).fetchall()
    if now != ([] if at_version is None else [(at_version, False)]):
        raise ValidationError(
            f"The golang-migrate history in {table.schema}.{table.name} changed while it was "
            "being adopted.",
            hint="Make sure no golang-migrate runner works on this database, then re-run.",
            event="history.foreign",
        )
    conn.execute(sql.SQL("DELETE FROM {}").format(table.ident))
    conn.execute(
        sql.SQL(
            "ALTER TABLE {} DROP COLUMN dirty, ALTER COLUMN version TYPE varchar(255) "
            "USING version::text"
        ).format(table.ident)
    )
    upgrade(conn, table)
    write(conn, table, records, by)
    conn.execute(
        sql.SQL("UPDATE {} SET reason = %s, applied_at = now() WHERE version = ANY(%s)").format(
            table.ident
        ),
        (f"adopted from golang-migrate (version {at_version})", [r.version for r in records]),
    )
    return True


INTEGER_TYPES = frozenset({"bigint", "integer", "smallint", "numeric"})


def adopt_legacy(conn: Connection[TupleRow], table: Table, matches: list[Record]) -> None:
    """Fill our columns on rows the original runner wrote, keeping its version and applied_at.

    Checksums are taken from the files as they are now: from here on, an edit is caught.
    """
    conn.execute(
        sql.SQL(
            """
            UPDATE {} AS h SET
                version_number = r.n, description = r.d, checksum = r.c, track = %s
            FROM unnest(%s::text[], %s::bigint[], %s::text[], %s::text[]) AS r(v, n, d, c)
            WHERE h.version = r.v AND h.checksum IS NULL
            """
        ).format(table.ident),
        (
            LEGACY,
            [r.version for r in matches],
            [r.version_number for r in matches],
            [r.description for r in matches],
            [r.checksum for r in matches],
        ),
    )
    conn.execute(
        sql.SQL("UPDATE {} SET track = %s WHERE track IS NULL").format(table.ident), (LEGACY,)
    )


def set_status(
    conn: Connection[TupleRow],
    table: Table,
    version: str,
    status: str,
    duration_ms: int | None = None,
    reason: str | None = None,
) -> None:
    conn.execute(
        sql.SQL(
            "UPDATE {} SET status = %s, duration_ms = %s, reason = coalesce(%s, reason) "
            "WHERE version = %s"
        ).format(table.ident),
        (status, duration_ms, reason, version),
    )


def forget(conn: Connection[TupleRow], table: Table, version: str) -> None:
    """Remove an unfinished record so the migration is retried (`aim-migrate repair`)."""
    conn.execute(
        sql.SQL("DELETE FROM {} WHERE version = %s AND status <> %s").format(table.ident),
        (version, APPLIED),
    )


def rechecksum(
    conn: Connection[TupleRow], table: Table, version: str, checksum: str, reason: str
) -> None:
    """Accept a reviewed edit of an applied migration (`aim-migrate repair`)."""
    conn.execute(
        sql.SQL("UPDATE {} SET checksum = %s, reason = %s WHERE version = %s").format(table.ident),
        (checksum, reason, version),
    )


def remove(conn: Connection[TupleRow], table: Table, version: str) -> None:
    """Forget a reverted migration (in the transaction of its down file)."""
    conn.execute(sql.SQL("DELETE FROM {} WHERE version = %s").format(table.ident), (version,))
