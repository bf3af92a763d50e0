"""Concurrent index builds in `no-transaction` migrations: never recorded while INVALID.

A `CREATE INDEX CONCURRENTLY` that fails or is cancelled leaves an INVALID index behind: it
is maintained on every write and used by no query, and `IF NOT EXISTS` makes a retry skip it
and "succeed". So, for every such statement:

* before it runs, an INVALID index of the same name (the leftover of an earlier attempt of
  this migration) is dropped with `DROP INDEX CONCURRENTLY`, so the retry really builds it;
* after the migration, every index it built must be valid, or the migration fails (and stays
  recorded as failed) instead of being recorded as applied.

`lock_timeout` does not apply to statements with CONCURRENTLY: they take SHARE UPDATE
EXCLUSIVE, which no application read or write waits for, and they wait for older
transactions to end, which a lock timeout would only turn into an INVALID index. They are
bounded by AIM_STATEMENT_TIMEOUT, and a failed or cancelled build names the transactions it
was waiting for.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg.rows import TupleRow

    from aim_migrate.sqltext import Statement

# The head of CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] [name] ON [ONLY] table:
# names are plain or double-quoted identifiers, the table optionally schema-qualified.
_IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_$\x80-\U0010ffff]*)'
_CREATE_CONCURRENTLY = re.compile(
    rf"""CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+
        (?:IF\s+NOT\s+EXISTS\s+)?
        (?:(?P<index>{_IDENT})\s+)?
        ON\s+(?:ONLY\s+)?
        (?P<table>{_IDENT}(?:\s*\.\s*{_IDENT})?)""",
    re.IGNORECASE | re.VERBOSE,
)
_SPLIT_QUALIFIED = re.compile(rf"({_IDENT})\s*\.\s*({_IDENT})")


class IndexBuild(NamedTuple):
    name: str | None  # as regclass text (schema-qualified when the table is), None: unnamed
    table: str  # as written, for to_regclass()


def concurrent_build(statement: Statement) -> IndexBuild | None:
    """The index a CREATE INDEX CONCURRENTLY statement builds, or None for other statements."""
    if statement.words[:1] != ("CREATE",) or "CONCURRENTLY" not in statement.words:
        return None
    match = _CREATE_CONCURRENTLY.match(statement.text)
    if match is None:
        return None
    table = re.sub(r"\s*\.\s*", ".", match.group("table"))
    index = match.group("index")
    if index is not None and index.upper() in {"IF", "ON"}:
        index = None
    if index is not None:
        qualified = _SPLIT_QUALIFIED.fullmatch(table)
        if qualified:  # the index lives in its table's schema
            index = f"{qualified.group(1)}.{index}"
    return IndexBuild(index, table)


def is_concurrent(statement: Statement) -> bool:
    return "CONCURRENTLY" in statement.words[:5]


def drop_invalid_leftover(conn: Connection[TupleRow], build: IndexBuild) -> str | None:
    """Drop an INVALID index of this name left by an earlier attempt; its name, if dropped."""
    if build.name is None:
        return None
    row = conn.execute(
        "SELECT i.indexrelid::regclass::text FROM pg_index i "
        "WHERE i.indexrelid = to_regclass(%s) AND NOT i.indisvalid",
        (build.name,),
    ).fetchone()
    if row is None:
        return None
    from psycopg import sql  # noqa: PLC0415 - psycopg is loaded already

    conn.execute(sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(sql.SQL(row[0])))
    return str(row[0])


def invalid_indexes(conn: Connection[TupleRow], builds: list[IndexBuild]) -> list[str]:
    """INVALID indexes by name, or on the tables of unnamed builds, after a migration ran."""
    names = [b.name for b in builds if b.name is not None]
    tables = [b.table for b in builds if b.name is None]
    rows = conn.execute(
        """
        SELECT i.indexrelid::regclass::text
          FROM pg_index i
         WHERE NOT i.indisvalid
           AND (i.indexrelid = ANY (SELECT to_regclass(n) FROM unnest(%s::text[]) AS n)
                OR i.indrelid = ANY (SELECT to_regclass(t) FROM unnest(%s::text[]) AS t))
         ORDER BY 1
        """,
        (names, tables),
    ).fetchall()
    return [str(r[0]) for r in rows]


def waited_for(conn: Connection[TupleRow], seconds: float) -> list[dict[str, Any]]:
    """Transactions older than a statement that ran `seconds`: what a concurrent index build
    waits for (it cannot finish while a transaction that could see the table is open)."""
    rows = conn.execute(
        """
        SELECT pid, state, application_name, client_addr::text,
               extract(epoch FROM clock_timestamp() - xact_start)::int, left(query, 200)
          FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()
           AND xact_start < clock_timestamp() - make_interval(secs => %s)
           AND (backend_xmin IS NOT NULL OR backend_xid IS NOT NULL)
         ORDER BY xact_start
         LIMIT 5
        """,
        (seconds,),
    ).fetchall()
    return [
        {
            "pid": r[0],
            "state": r[1],
            "application": r[2],
            "client": r[3],
            "transaction_s": r[4],
            "query": r[5],
        }
        for r in rows
    ]
