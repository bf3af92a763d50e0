"""Faults under load: contention, kills at every stage, lock queues, mid-chain failures.

Every test asserts the database afterwards (schema, history, locks), not only exit codes.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import psycopg
import pytest
from psycopg import errors as pg_errors

from tests.conftest import ROOT, Database, Run, finish, run_cli, start_cli, write_migrations
from tests.test_concurrency import lock_holders, wait_for, wait_for_sleeping_statement

pytestmark = pytest.mark.slow
SHIPPED = ROOT / "migrations"


def history_versions(database: Database) -> list[str]:
    return [row[0] for row in database.history()]


def crowd(count: int, database: Database, migrations: Path) -> tuple[list[Run], float]:
    started = time.monotonic()
    procs = [start_cli(["migrate"], database.url, migrations) for _ in range(count)]
    runs = [finish(p, timeout=300) for p in procs]
    return runs, time.monotonic() - started


def test_sixteen_runners_on_a_fresh_database(database: Database) -> None:
    runs, wall = crowd(16, database, SHIPPED)
    assert [r.code for r in runs] == [0] * 16, [r.stdout for r in runs if r.code]
    applied = [e["migration"] for r in runs for e in r.events if e["event"] == "migration.applied"]
    assert applied == ["V1__consolidated_schema"]  # exactly one runner applied it
    versions = history_versions(database)
    assert len(versions) == len(set(versions)) == 31
    assert lock_holders(database) == 0
    print(f"16 runners, fresh database: {wall:.2f} s wall")


def test_sixteen_runners_with_five_pending(database: Database, tmp_path: Path) -> None:
    files = {f"{n:03d}_m{n}.sql": f"CREATE TABLE t{n} (id int);" for n in range(1, 11)}
    migrations = write_migrations(tmp_path / "m", {k: v for k, v in files.items() if k < "006"})
    assert run_cli(["migrate"], database.url, migrations).code == 0
    write_migrations(migrations, files)
    runs, wall = crowd(16, database, migrations)
    assert [r.code for r in runs] == [0] * 16
    applied = sorted(
        e["migration"] for r in runs for e in r.events if e["event"] == "migration.applied"
    )
    assert applied == [f"{n:03d}_m{n}" for n in range(6, 11)]
    versions = history_versions(database)
    assert len(versions) == len(set(versions)) == 10
    assert lock_holders(database) == 0
    print(f"16 runners, 5 pending: {wall:.2f} s wall")


def test_sigkill_while_waiting_for_the_lock_changes_nothing(
    database: Database, tmp_path: Path
) -> None:
    migrations = write_migrations(
        tmp_path / "m", {"001_slow.sql": "CREATE TABLE slow (id int);\nSELECT pg_sleep(2);\n"}
    )
    holder = start_cli(["migrate"], database.url, migrations)
    wait_for_sleeping_statement(database)
    waiter = start_cli(["migrate"], database.url, migrations)
    wait_for(
        lambda: (
            database.scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'aim-migrate' "
                "AND datname = current_database()"
            )
            == 2
        ),
        "the second runner to connect",
    )
    waiter.kill()
    waiter.communicate(timeout=10)
    assert finish(holder).code == 0
    assert history_versions(database) == ["001_slow"]
    assert lock_holders(database) == 0
    assert run_cli(["migrate"], database.url, migrations).event("run.finished")["applied"] == 0


def test_sigkill_holding_the_lock_between_attempts_frees_it_at_once(
    database: Database, tmp_path: Path
) -> None:
    migrations = write_migrations(
        tmp_path / "m",
        {"001_a.sql": "CREATE TABLE a (id int);", "002_alter.sql": "ALTER TABLE a ADD b int;"},
    )
    assert run_cli(["migrate", "--target", "1"], database.url, migrations).code == 0
    with database.connect() as app, app.transaction():
        app.execute("SELECT * FROM a")  # the application holds a lock the ALTER needs
        runner = start_cli(
            ["migrate"],
            database.url,
            migrations,
            AIM_DDL_LOCK_TIMEOUT="100ms",
            AIM_DDL_LOCK_RETRIES="50",
        )
        # Holding the advisory lock, idle between attempts (sleeping its backoff).
        wait_for(
            lambda: (
                database.scalar(
                    "SELECT count(*) FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid "
                    "WHERE l.locktype = 'advisory' AND a.state = 'idle' "
                    "AND a.application_name = 'aim-migrate' AND a.datname = current_database()"
                )
                == 1
            ),
            "the runner to back off while holding the lock",
        )
        runner.kill()
        runner.communicate(timeout=10)
        wait_for(lambda: lock_holders(database) == 0, "the lock to be freed", 10)
    assert history_versions(database) == ["001_a"]
    assert run_cli(["migrate"], database.url, migrations).code == 0
    assert history_versions(database) == ["001_a", "002_alter"]


def _reader_blocked(database: Database, seconds: float, budget: str) -> list[str]:
    """Run short reads of table a for `seconds`; return the ones that waited past `budget`."""
    failures = []
    deadline = time.monotonic() + seconds
    with psycopg.connect(database.url, autocommit=True) as reader:
        reader.execute(f"SET lock_timeout = '{budget}'")
        while time.monotonic() < deadline:
            try:
                reader.execute("SELECT count(*) FROM a").fetchone()
            except pg_errors.LockNotAvailable as exc:
                failures.append(str(exc))
            time.sleep(0.02)
    return failures


def test_waiting_ddl_does_not_block_live_queries_beyond_its_lock_timeout(
    database: Database, tmp_path: Path
) -> None:
    """The classic outage: an ALTER queued behind a long transaction blocks every later query
    on the table. With lock_timeout the ALTER gives up and retries instead; readers that allow
    themselves more than that lock timeout are never refused."""
    migrations = write_migrations(
        tmp_path / "m",
        {"001_a.sql": "CREATE TABLE a (id int);", "002_alter.sql": "ALTER TABLE a ADD b int;"},
    )
    assert run_cli(["migrate", "--target", "1"], database.url, migrations).code == 0

    def attempt(ddl_lock_timeout: str) -> tuple[list[str], subprocess.Popen[str]]:
        with database.connect() as app, app.transaction():
            app.execute("SELECT * FROM a")  # a long application transaction
            runner = start_cli(
                ["migrate"],
                database.url,
                migrations,
                AIM_DDL_LOCK_TIMEOUT=ddl_lock_timeout,
                AIM_DDL_LOCK_RETRIES="100",
            )
            wait_for(
                lambda: (
                    database.scalar(
                        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'ALTER TABLE a%%' "
                        "AND datname = current_database()"
                    )
                    == 1
                ),
                "the ALTER to be sent",
            )
            blocked = _reader_blocked(database, 2.0, "1s")
        return blocked, runner

    # Negative control: without a lock timeout the waiting ALTER blocks the readers.
    blocked, runner = attempt("0")
    assert blocked, "the control run should have blocked readers"
    finish(runner, timeout=60)  # the application transaction ended, so the ALTER went through
    with database.connect() as conn:
        conn.execute("ALTER TABLE a DROP COLUMN b")
        conn.execute("DELETE FROM schema_migrations WHERE version = '002_alter'")

    blocked, runner = attempt("200ms")
    assert blocked == []
    run = finish(runner, timeout=60)
    assert run.code == 0
    assert "migration.lock_retry" in run.names()
    assert history_versions(database) == ["001_a", "002_alter"]


def test_failure_halfway_through_thirty_then_fix_and_resume(
    database: Database, tmp_path: Path
) -> None:
    files = {f"{n:03d}_step{n}.sql": f"CREATE TABLE step{n} (id int);" for n in range(1, 31)}
    files["015_step15.sql"] = "CREATE TABLE step15 (id int);\nSELECT 1 / 0;\n"
    migrations = write_migrations(tmp_path / "m", files)
    run = run_cli(["migrate"], database.url, migrations)
    assert run.code == 1
    failed = run.event("migration.failed")
    assert (Path(failed["file"]).name, failed["line"], failed["sqlstate"]) == (
        "015_step15.sql",
        2,
        "22012",
    )
    assert history_versions(database) == [f"{n:03d}_step{n}" for n in range(1, 15)]
    assert "step15" not in database.tables()
    assert lock_holders(database) == 0

    (migrations / "015_step15.sql").write_text("CREATE TABLE step15 (id int);\n")
    fixed = run_cli(["migrate"], database.url, migrations)
    assert fixed.code == 0
    assert fixed.event("run.finished")["applied"] == 16
    assert history_versions(database) == [f"{n:03d}_step{n}" for n in range(1, 31)]
    assert database.tables() >= {f"step{n}" for n in range(1, 31)}


def test_sigterm_pushes_a_failure_metric_and_releases_everything(
    database: Database, tmp_path: Path, pushgateway
) -> None:  # type: ignore[no-untyped-def]
    migrations = write_migrations(tmp_path / "m", {"001_slow.sql": "SELECT pg_sleep(30);"})
    proc = start_cli(
        ["migrate"],
        database.url,
        migrations,
        AIM_PUSHGATEWAY_URL=pushgateway.url,
        AIM_PUSHGATEWAY_GROUPING="release=sigterm-fault",
    )
    wait_for_sleeping_statement(database)
    proc.send_signal(signal.SIGTERM)
    run = finish(proc)
    assert run.code == 143
    assert run.event("run.interrupted")["level"] == "error"
    assert lock_holders(database) == 0
    assert "schema_migrations" not in database.tables()
    metrics = pushgateway.metrics(release="sigterm-fault")
    assert metrics["aim_migrate_last_run_exit_code"][0] == 143
    assert metrics["aim_migrate_last_run_success"][0] == 0
