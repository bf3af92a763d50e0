"""Runners behind a real PgBouncer (issue 11, case 3): exactly once, no lock or setting left.

Through a transaction pooler every statement may land on another server connection, so a
session advisory lock, a session `SET` or a server-side prepared statement cannot be trusted.
The runner must make each migration one transaction that takes a transaction-level advisory
lock, re-checks that the migration is still pending, uses `SET LOCAL` and writes its history
row; refuse what cannot be made safe there (no-transaction migrations, `down`); and keep the
session lock for direct and session-pooled connections. Every check reads the database
directly on the server, never through the bouncer.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Database, Run, finish, run_cli, start_cli, write_migrations
from tests.pgbouncer import PgBouncer, session_bouncer, transaction_bouncer

__all__ = ["session_bouncer", "transaction_bouncer"]  # the fixtures, used by name below

RUNNERS = 8
INCREMENTS = 30
# Bounded waits: a runner stuck behind a lock left on a pooled server connection gives up
# (exit 5) instead of hanging the suite; a migration setting that leaked is easy to spot.
LOCK_TIMEOUT, STATEMENT_TIMEOUT = "20s", "55s"
Files = dict[str, str | bytes]
SETTINGS = (
    "lock_timeout",
    "statement_timeout",
    "search_path",
    "idle_in_transaction_session_timeout",
)


def counter_chain() -> Files:
    """001 creates `counter` (n = 0, not counted); 002..031 each add one: 30 increments."""
    files: Files = {
        "001_counter.sql": "CREATE TABLE counter (n int NOT NULL);\nINSERT INTO counter VALUES (0);"
    }
    for number in range(2, INCREMENTS + 2):
        files[f"{number:03d}_increment.sql"] = "UPDATE counter SET n = n + 1;\n"
    return files


def versions_of(files: Files) -> list[str]:
    return sorted(name.removesuffix(".sql") for name in files if not name.endswith(".down.sql"))


def run_together(bouncer: PgBouncer, database: Database, migrations: Path, count: int) -> list[Run]:
    """Start `count` runners at once through the bouncer; wait for them and for its pool."""
    url = bouncer.url(database.name)
    processes = [
        start_cli(
            ["migrate"],
            url,
            migrations,
            AIM_LOCK_TIMEOUT=LOCK_TIMEOUT,
            AIM_STATEMENT_TIMEOUT=STATEMENT_TIMEOUT,
        )
        for _ in range(count)
    ]
    runs = [finish(p, timeout=90) for p in processes]
    bouncer.wait_idle(database.name)
    return runs


def outputs(runs: list[Run]) -> str:
    return "\n".join(f"--- exit {r.code}\n{r.stdout}{r.stderr}" for r in runs)


def assert_all_applied_once(database: Database, runs: list[Run], versions: list[str]) -> None:
    assert [r.code for r in runs] == [0] * len(runs), outputs(runs)
    history = database.history()
    assert [row[0] for row in history] == versions, history
    assert {row[2] for row in history} == {"applied"}, history
    applied = [e["migration"] for r in runs for e in r.events if e["event"] == "migration.applied"]
    assert sorted(applied) == versions, applied  # each applied by exactly one runner


def assert_no_prepared_statement_errors(runs: list[Run]) -> None:
    for run in runs:
        assert "prepared statement" not in (run.stdout + run.stderr).lower(), outputs([run])


def direct_settings(database: Database) -> tuple[str, ...]:
    """A fresh direct connection's values: the server's defaults for this database."""
    query = "SELECT " + ", ".join(f"current_setting('{name}')" for name in SETTINGS)
    row = database.query(query)[0]
    return tuple(str(value) for value in row)


def server_backends(database: Database) -> set[int]:
    """Client backends of this database on the server, other than the asking one."""
    rows = database.query(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
    )
    return {int(row[0]) for row in rows}


def assert_no_setting_leaked(bouncer: PgBouncer, database: Database) -> None:
    """Every pooled server connection shows an application client the default settings.

    Holding one open transaction per pooled connection forces the bouncer to hand out each of
    them (it prefers idle servers to new ones), so none escapes the check.
    """
    expected = direct_settings(database)
    bouncer.wait_idle(database.name)
    pooled = bouncer.server_pids(database.name)
    assert pooled, "the bouncer kept no server connection to check"
    assert pooled <= server_backends(database), pooled  # the same backends, seen on the server
    query = "SELECT pg_backend_pid(), " + ", ".join(f"current_setting('{n}')" for n in SETTINGS)
    seen: dict[int, tuple[str, ...]] = {}
    with ExitStack() as stack:
        for _ in pooled:
            client = stack.enter_context(bouncer.connect(database.name, autocommit=False))
            row = client.execute(query).fetchone()  # BEGIN ...; kept open until the end
            assert row is not None
            seen[int(row[0])] = tuple(str(value) for value in row[1:])
    assert pooled <= seen.keys(), (pooled, seen)
    leaked = {pid: values for pid, values in seen.items() if values != expected}
    assert not leaked, f"settings leaked into pooled connections (defaults {expected}): {leaked}"


def error_events(run: Run) -> list[dict[str, Any]]:
    return [e for e in run.events if e.get("level") == "error"]


def assert_refused_clearly(run: Run, *, names: str | None = None) -> dict[str, Any]:
    """Non-zero, one error event with a message and a hint that say why; no traceback."""
    text = run.stdout + run.stderr
    assert run.code != 0, text
    assert "Traceback" not in text, text
    errors = error_events(run)
    assert errors, text
    event = errors[0]
    assert event["event"] not in ("run.crashed", "db.error"), event  # refused, not crashed
    assert event.get("message"), event
    assert event.get("hint"), event
    said = f"{event['message']} {event['hint']}".lower()
    assert "pool" in said or "pgbouncer" in said, event  # says why: the transaction pooler
    if names is not None:
        assert names in json.dumps(event), event
    return event


def counter(database: Database) -> int:
    return int(database.scalar("SELECT n FROM counter"))


# --- transaction pooling -------------------------------------------------------------------


@pytest.mark.slow
def test_transaction_pooler_applies_each_migration_exactly_once_and_leaves_nothing_behind(
    database: Database, tmp_path: Path, transaction_bouncer: PgBouncer
) -> None:
    files = counter_chain()
    migrations = write_migrations(tmp_path / "m", files)
    runs = run_together(transaction_bouncer, database, migrations, RUNNERS)

    assert counter(database) == INCREMENTS, outputs(runs)
    assert_all_applied_once(database, runs, versions_of(files))
    assert_no_prepared_statement_errors(runs)
    # Checked while the bouncer still holds its server connections: a session lock taken
    # through it would outlive the runner there.
    assert database.advisory_locks() == 0
    assert_no_setting_leaked(transaction_bouncer, database)


@pytest.mark.slow
def test_transaction_pooler_applies_the_baseline_exactly_once(
    database: Database, tmp_path: Path, transaction_bouncer: PgBouncer
) -> None:
    # IF NOT EXISTS and no key: a second application would double the rows, not fail.
    files: Files = {
        "V1__base.sql": "-- aim-migrate: baseline-version=2\n"
        "CREATE TABLE IF NOT EXISTS seed (id int);\n"
        "INSERT INTO seed SELECT generate_series(1, 5);\n",
        "001_seed.sql": "CREATE TABLE IF NOT EXISTS seed (id int);\n",
        "002_rows.sql": "INSERT INTO seed SELECT generate_series(1, 5);\n",
        "003_more.sql": "INSERT INTO seed VALUES (100);\n",
    }
    migrations = write_migrations(tmp_path / "m", files)
    runs = run_together(transaction_bouncer, database, migrations, RUNNERS)

    assert [r.code for r in runs] == [0] * RUNNERS, outputs(runs)
    assert database.scalar("SELECT count(*) FROM seed") == 6, outputs(runs)
    assert database.scalar("SELECT count(*) FROM seed WHERE id = 100") == 1
    history = {row[0]: row[1:3] for row in database.history()}
    assert history == {
        "V1__base": ("baseline", "applied"),
        "001_seed": ("contained", "applied"),
        "002_rows": ("contained", "applied"),
        "003_more": ("incremental", "applied"),
    }
    applied = [e["migration"] for r in runs for e in r.events if e["event"] == "migration.applied"]
    assert sorted(applied) == ["003_more", "V1__base"], applied
    assert_no_prepared_statement_errors(runs)
    assert database.advisory_locks() == 0


NO_TRANSACTION_PLAN: Files = {
    "001_a.sql": "CREATE TABLE a (id int);\nINSERT INTO a SELECT generate_series(1, 100);\n",
    "002_idx.sql": "-- aim-migrate: no-transaction\n"
    "CREATE INDEX CONCURRENTLY idx_a_id ON a (id);\n",
}


def test_transaction_pooler_refuses_a_no_transaction_migration_before_changing_anything(
    database: Database, tmp_path: Path, transaction_bouncer: PgBouncer
) -> None:
    migrations = write_migrations(tmp_path / "m", NO_TRANSACTION_PLAN)
    runs = run_together(transaction_bouncer, database, migrations, 3)

    for run in runs:
        assert_refused_clearly(run, names="002_idx")
    assert database.tables() == set(), database.tables()  # no history table, no `a`
    assert database.scalar("SELECT to_regclass('idx_a_id')") is None
    assert database.advisory_locks() == 0


def test_transaction_pooler_refuses_down(
    database: Database, tmp_path: Path, transaction_bouncer: PgBouncer
) -> None:
    files: Files = {
        "001_a.sql": "CREATE TABLE a (id int);\nINSERT INTO a SELECT generate_series(1, 10);\n",
        "002_idx.sql": "CREATE INDEX idx_a_id ON a (id);\n",
        "002_idx.down.sql": "DROP INDEX idx_a_id;\n",
    }
    migrations = write_migrations(tmp_path / "m", files)
    setup = run_cli(["migrate"], database.url, migrations)  # directly, not through the bouncer
    assert setup.code == 0, setup.stdout + setup.stderr
    before = database.history()
    assert [row[0] for row in before] == ["001_a", "002_idx"]

    run = run_cli(
        ["down", "--steps", "1"],
        transaction_bouncer.url(database.name),
        migrations,
        AIM_LOCK_TIMEOUT=LOCK_TIMEOUT,
        AIM_STATEMENT_TIMEOUT=STATEMENT_TIMEOUT,
    )
    transaction_bouncer.wait_idle(database.name)

    assert_refused_clearly(run)
    assert "migration.reverted" not in run.names()
    assert database.history() == before
    assert database.scalar("SELECT to_regclass('idx_a_id')::text") == "idx_a_id"
    assert database.scalar("SELECT count(*) FROM a") == 10
    assert database.advisory_locks() == 0


# --- session pooling -----------------------------------------------------------------------


@pytest.mark.slow
def test_session_pooler_applies_each_migration_exactly_once(
    database: Database, tmp_path: Path, session_bouncer: PgBouncer
) -> None:
    files = counter_chain()
    migrations = write_migrations(tmp_path / "m", files)
    runs = run_together(session_bouncer, database, migrations, RUNNERS)

    assert counter(database) == INCREMENTS, outputs(runs)
    assert_all_applied_once(database, runs, versions_of(files))
    assert_no_prepared_statement_errors(runs)
    assert database.advisory_locks() == 0
    assert_no_setting_leaked(session_bouncer, database)


def test_session_pooler_runs_a_no_transaction_migration(
    database: Database, tmp_path: Path, session_bouncer: PgBouncer
) -> None:
    migrations = write_migrations(tmp_path / "m", NO_TRANSACTION_PLAN)
    runs = run_together(session_bouncer, database, migrations, 3)

    assert_all_applied_once(database, runs, ["001_a", "002_idx"])
    assert database.scalar(
        "SELECT indisvalid FROM pg_index WHERE indexrelid = 'idx_a_id'::regclass"
    )
    assert database.advisory_locks() == 0
