"""The every-pod-start fast path (`inspection.up_to_date`, one SQL query) must agree with the
planner: it answers "up to date" exactly when the full inspection and plan find nothing to do
and nothing to warn about (so an orphan row's warning is still logged on every run).

The query re-states in SQL the planner's rules for `.up` names, the baseline row, orphan rows,
unfinished records and checksums, so the two are compared over generated file sets and
histories, against a real PostgreSQL.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from aim_migrate import history
from aim_migrate.errors import AimError
from aim_migrate.history import Table
from aim_migrate.inspection import inspect, up_to_date
from aim_migrate.plan import PlanOptions, plan
from aim_migrate.source import Baseline, Migration, MigrationSet, SqlFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

TABLE = Table("public", "schema_migrations")
NUMBERS = range(1, 7)


def _file(name: str, text: str) -> SqlFile:
    return SqlFile(f"/m/{name}.sql", text, hashlib.sha256(text.encode()).hexdigest(), {})


def _migration(number: int) -> Migration:
    name = f"{number:03d}_m{number}"
    return Migration(number, name, f"m{number}", _file(name, f"SELECT {number};"))


# At least one file: with none, migrate never asks the fast path (runner._migrate).
files = st.lists(st.sampled_from(NUMBERS), unique=True, min_size=1).map(
    lambda numbers: tuple(_migration(n) for n in sorted(numbers))
)
row_kinds = st.sampled_from(
    [
        "applied",
        "applied-up-name",
        "changed-checksum",
        "started",
        "failed",
        "legacy-unadopted",  # the original runner's row: no track, no checksum yet
        "no-track",  # a track-less row with a checksum: no runner writes one (hand-edited)
    ]
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[MigrationSet, list[history.HistoryRow]]:
    migrations = draw(files)
    with_baseline = draw(st.booleans())
    baseline = None
    if with_baseline and migrations:
        version = draw(st.sampled_from([m.number for m in migrations]))
        baseline = Baseline("V1__base", _file("V1__base", "SELECT 0;"), version, "declared")
    source = MigrationSet(Path("/m"), baseline, migrations, ())
    rows: list[history.HistoryRow] = []
    for m in migrations:
        if not draw(st.booleans()):
            continue  # not recorded: pending
        kind = draw(row_kinds)
        track = draw(st.sampled_from([history.INCREMENTAL, history.CONTAINED, history.LEGACY]))
        rows.append(
            history.HistoryRow(
                version=m.name + (".up" if kind == "applied-up-name" else ""),
                version_number=m.number,
                description=m.description,
                track=None if kind in ("no-track", "legacy-unadopted") else track,
                checksum=(
                    "0" * 64
                    if kind == "changed-checksum"
                    else None
                    if kind == "legacy-unadopted"
                    else m.file.checksum
                ),
                status=kind if kind in ("started", "failed") else history.APPLIED,
            )
        )
    if draw(st.booleans()):  # the baseline's own row
        rows.append(
            history.HistoryRow(
                version="V1__base",
                version_number=baseline.version if baseline else 1,
                track=history.BASELINE,
                checksum="1" * 64,
            )
        )
    for number in draw(st.lists(st.sampled_from([90, 91]), unique=True)):  # orphans
        rows.append(
            history.HistoryRow(
                version=f"{number}_gone",
                version_number=number,
                track=draw(st.sampled_from([history.INCREMENTAL, history.LEGACY])),
                checksum="2" * 64,
            )
        )
    return source, rows


@pytest.fixture(scope="module")
def conn(admin_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """One scratch database for every example (the table is recreated each time)."""
    name = "aimtest_fastpath"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    from psycopg import conninfo

    url = conninfo.make_conninfo(admin_url, dbname=name)
    try:
        with psycopg.connect(url, autocommit=True) as connection:
            yield connection
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _store(conn: psycopg.Connection[tuple[object, ...]], rows: list[history.HistoryRow]) -> None:
    conn.execute("DROP TABLE IF EXISTS schema_migrations")
    with conn.transaction():
        history.upgrade(conn, TABLE)
        for r in rows:
            conn.execute(
                "INSERT INTO schema_migrations (version, version_number, description, track, "
                "checksum, status) VALUES (%s, %s, %s, %s, %s, %s)",
                (r.version, r.version_number, r.description, r.track, r.checksum, r.status),
            )


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(case=cases())
def test_up_to_date_exactly_when_the_plan_is_a_no_op(
    conn: psycopg.Connection[tuple[object, ...]],
    case: tuple[MigrationSet, list[history.HistoryRow]],
) -> None:
    source, rows = case
    _store(conn, rows)
    done, version = up_to_date(
        conn,
        TABLE,
        [m.name for m in source.migrations],
        [m.file.checksum for m in source.migrations],
    )
    try:
        result = plan(source, inspect(conn, TABLE, "organizations"), PlanOptions(), locked=False)
    except AimError:
        assert not done, "the fast path skipped a database the planner refuses"
        return
    if done:  # safe, always: the fast path never skips work or a refusal
        assert result.is_noop, (rows, result)
    if all(r.track is not None or r.checksum is None for r in rows):  # states runners write
        # A no-op the planner has something to say about (an orphan row's warning) takes the
        # full path on purpose, so that the warning is logged; any other no-op the fast one.
        silent_noop = result.is_noop and result.notices == source.notices
        assert done == silent_noop, (rows, result)
    if done:
        assert version == result.version_now


def test_an_older_table_shape_always_takes_the_full_path(
    conn: psycopg.Connection[tuple[object, ...]],
) -> None:
    conn.execute("DROP TABLE IF EXISTS schema_migrations")
    conn.execute(
        "CREATE TABLE schema_migrations (version varchar(255) PRIMARY KEY, applied_at timestamptz)"
    )
    m = _migration(1)
    conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (m.name,))
    assert up_to_date(conn, TABLE, [m.name], [m.file.checksum]) == (False, None)
    result = plan(
        MigrationSet(Path("/m"), None, (m,), ()),
        inspect(conn, TABLE, "organizations"),
        PlanOptions(),
        locked=False,
    )
    assert not result.is_noop  # the history needs its columns: not a no-op either
