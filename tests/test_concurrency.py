"""Locking, signals and connection handling, with real processes against a real PostgreSQL."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import psycopg
import pytest
from aim_migrate.errors import ConfigError
from aim_migrate.lock import AdvisoryLock, lock_key
from aim_migrate.logs import configure

from tests.conftest import Database, finish, run_cli, start_cli, write_migrations

SLOW = "CREATE TABLE slow_table (id int);\nSELECT pg_sleep(%s);\n"


def wait_for(condition, what: str, limit: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    """Poll until `condition()` holds; a bounded wait, not a timing assertion."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for: {what}")
        time.sleep(0.05)


SLEEPING = (
    "FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%%' AND pid <> pg_backend_pid() "
    "AND datname = current_database()"
)


def wait_for_sleeping_statement(database: Database) -> None:
    wait_for(
        lambda: database.scalar(f"SELECT count(*) {SLEEPING}") == 1,
        "the slow statement to start",
    )


def lock_holders(database: Database) -> int:
    return database.advisory_locks()


def test_many_runners_at_once_apply_each_migration_exactly_once(
    database: Database, tmp_path: Path
) -> None:
    migrations = write_migrations(
        tmp_path / "m",
        {
            "V1__base.sql": "-- aim-migrate: baseline-version=2\n"
            "CREATE TABLE organizations (id int);\nCREATE TABLE b (id int);\n",
            "001_a.sql": "CREATE TABLE organizations (id int);",
            "002_b.sql": "CREATE TABLE b (id int);",
            "003_c.sql": "CREATE TABLE c (id int);\nSELECT pg_sleep(0.3);",
            "004_d.sql": "CREATE TABLE d (id int);",
        },
    )
    runners = [start_cli(["migrate"], database.url, migrations) for _ in range(10)]
    runs = [finish(p) for p in runners]
    assert [r.code for r in runs] == [0] * 10, [r.stdout + r.stderr for r in runs if r.code]
    applied = [e["migration"] for r in runs for e in r.events if e["event"] == "migration.applied"]
    assert sorted(applied) == ["003_c", "004_d", "V1__base"]
    versions = [row[0] for row in database.history()]
    assert len(versions) == len(set(versions)) == 5
    assert lock_holders(database) == 0


def test_waiter_does_not_deadlock_a_concurrent_index_build(
    database: Database, tmp_path: Path
) -> None:
    """A blocked pg_advisory_lock waiter would hold a snapshot that CREATE INDEX CONCURRENTLY
    waits for forever; polling waiters hold none, so both runners finish."""
    migrations = write_migrations(
        tmp_path / "m",
        {
            "001_a.sql": "CREATE TABLE a (id int); INSERT INTO a SELECT generate_series(1, 1000);",
            "002_idx.sql": "-- aim-migrate: no-transaction\n"
            "SELECT pg_sleep(1.5);\nCREATE INDEX CONCURRENTLY idx_a_id ON a (id);\n",
        },
    )
    first = start_cli(["migrate"], database.url, migrations)
    wait_for(lambda: lock_holders(database) == 1, "the first runner to take the lock")
    second = start_cli(["migrate"], database.url, migrations)
    one, two = finish(first, timeout=60), finish(second, timeout=60)
    assert (one.code, two.code) == (0, 0), one.stdout + two.stdout
    assert "lock.waiting" in two.names()
    assert two.event("run.finished")["applied"] == 0
    assert database.scalar(
        "SELECT indisvalid FROM pg_index WHERE indexrelid = 'idx_a_id'::regclass"
    )


def test_lock_timeout_exits_5_and_names_the_holder(database: Database, tmp_path: Path) -> None:
    migrations = write_migrations(tmp_path / "m", {"001_a.sql": "CREATE TABLE a ();"})
    with database.connect() as holder:
        holder.execute("SET application_name = 'someone-else'")
        holder.execute("SELECT pg_advisory_lock(%s)", (lock_key("public.schema_migrations"),))
        run = run_cli(["migrate"], database.url, migrations, AIM_LOCK_TIMEOUT="1s")
        assert run.code == 5
        event = run.event("lock.timeout")
        assert event["holder_pid"] == holder.info.backend_pid
        assert event["holder_application"] == "someone-else"
        assert run.event("lock.waiting")["holder_pid"] == holder.info.backend_pid
    assert "a" not in database.tables()


def test_sigterm_mid_migration_rolls_back_and_releases_the_lock(
    database: Database, tmp_path: Path
) -> None:
    migrations = write_migrations(
        tmp_path / "m", {"001_a.sql": "CREATE TABLE a ();", "002_slow.sql": SLOW % 30}
    )
    proc = start_cli(["migrate"], database.url, migrations)
    wait_for_sleeping_statement(database)
    proc.send_signal(signal.SIGTERM)
    run = finish(proc, timeout=30)
    assert run.code == 143
    assert run.event("run.interrupted")["signal"] == "SIGTERM"
    assert run.event("run.finished")["exit_code"] == 143
    assert "slow_table" not in database.tables()
    assert [r[0] for r in database.history()] == ["001_a"]
    assert lock_holders(database) == 0

    (migrations / "002_slow.sql").write_text(SLOW % 0)
    assert run_cli(["migrate"], database.url, migrations).code == 0
    assert "slow_table" in database.tables()


def test_sigint_exits_130(database: Database, tmp_path: Path) -> None:
    migrations = write_migrations(tmp_path / "m", {"001_slow.sql": SLOW % 30})
    proc = start_cli(["migrate"], database.url, migrations)
    wait_for_sleeping_statement(database)
    proc.send_signal(signal.SIGINT)
    run = finish(proc, timeout=30)
    assert run.code == 130
    assert "slow_table" not in database.tables()


@pytest.mark.parametrize("track", ["baseline", "incremental"])
def test_sigkill_leaves_no_partial_migration_and_no_stuck_lock(
    database: Database, tmp_path: Path, track: str
) -> None:
    files = {"001_slow.sql": SLOW % 20}
    if track == "baseline":
        files = {
            "V1__base.sql": "-- aim-migrate: baseline-version=1\n" + SLOW % 20,
            "001_slow.sql": SLOW % 20,
        }
    migrations = write_migrations(tmp_path / "m", files)
    proc = start_cli(["migrate"], database.url, migrations)
    wait_for_sleeping_statement(database)
    proc.kill()
    proc.communicate(timeout=10)
    # The server notices the vanished client (client_connection_check_interval) and ends
    # the session, its transaction and its lock, without waiting for pg_sleep to finish.
    wait_for(lambda: lock_holders(database) == 0, "the killed runner's lock to be freed", 15)
    assert "slow_table" not in database.tables()
    assert "schema_migrations" not in database.tables()

    for name in files:
        (migrations / name).write_text(
            (migrations / name).read_text().replace("pg_sleep(20)", "pg_sleep(0)")
        )
    rerun = run_cli(["migrate"], database.url, migrations)
    assert rerun.code == 0, rerun.stdout + rerun.stderr
    assert rerun.event("lock.acquired")["waited_s"] < 5  # free at once, not after the sleep
    assert "slow_table" in database.tables()


def test_sigkill_in_non_transactional_migration_is_reported_on_rerun(
    database: Database, tmp_path: Path
) -> None:
    migrations = write_migrations(
        tmp_path / "m",
        {"001_slow.sql": "-- aim-migrate: no-transaction\n" + SLOW % 20},
    )
    proc = start_cli(["migrate"], database.url, migrations)
    wait_for_sleeping_statement(database)
    proc.kill()
    proc.communicate(timeout=10)
    wait_for(lambda: lock_holders(database) == 0, "the killed runner's lock to be freed", 15)
    # Autocommit: the first statement took effect, and the history says "not finished".
    assert "slow_table" in database.tables()
    assert database.query("SELECT version, status FROM schema_migrations") == [
        ("001_slow", "started")
    ]
    rerun = run_cli(["migrate"], database.url, migrations)
    assert rerun.code == 1
    assert rerun.event("migration.incomplete")["migration"] == "001_slow"


def test_missing_database_url_is_a_configuration_error(tmp_path: Path) -> None:
    migrations = write_migrations(tmp_path / "m", {"001_a.sql": "CREATE TABLE a ();"})
    run = run_cli(["migrate"], None, migrations)
    assert run.code == 2
    assert "--embedded" in run.event("config.invalid")["hint"]
    both = run_cli(["migrate", "--embedded"], "postgresql://x@127.0.0.1/db", migrations)
    assert both.code == 2


def test_unreachable_database_retries_until_the_deadline_then_exits_4(tmp_path: Path) -> None:
    migrations = write_migrations(tmp_path / "m", {"001_a.sql": "CREATE TABLE a ();"})
    secret = "Sup3rS3cretPassw0rd"
    run = run_cli(
        ["migrate"],
        f"postgresql://aim:{secret}@127.0.0.1:1/db",
        migrations,
        AIM_CONNECT_TIMEOUT="1.5s",
    )
    assert run.code == 4
    assert run.event("db.connect_failed")["attempts"] >= 2
    assert "db.connect_retry" in run.names()
    assert secret not in run.stdout + run.stderr


def test_unparsable_url_is_not_echoed(tmp_path: Path) -> None:
    migrations = write_migrations(tmp_path / "m", {"001_a.sql": "CREATE TABLE a ();"})
    secret = "Sup3rS3cretPassw0rd"
    run = run_cli(["migrate"], f"postgresql://aim:{secret}@host:notaport/db", migrations)
    assert run.code == 2
    assert secret not in run.stdout + run.stderr
    assert run.event("config.invalid")["message"].startswith("DATABASE_URL is not a valid")


def test_database_url_file_is_read(database: Database, tmp_path: Path) -> None:
    migrations = write_migrations(tmp_path / "m", {"001_a.sql": "CREATE TABLE a ();"})
    url_file = tmp_path / "url"
    url_file.write_text(database.url + "\n")
    run = run_cli(["migrate"], None, migrations, DATABASE_URL_FILE=str(url_file))
    assert run.code == 0, run.stdout + run.stderr
    assert "a" in database.tables()


def test_unknown_option_is_a_usage_error() -> None:
    run = run_cli(["migrate", "--no-such-option"], None, None)
    assert run.code == 2
    assert run.event("usage.invalid")["exit_code"] == 2


def test_lost_session_lock_is_detected(database: Database) -> None:
    """What a transaction pooler does to a session lock, reproduced on a direct connection."""
    with psycopg.connect(database.url, autocommit=True) as conn:
        lock = AdvisoryLock(conn, "public.schema_migrations", configure("json", "error"))
        lock.acquire(timeout=5)
        conn.execute("SELECT pg_advisory_unlock_all()")
        with pytest.raises(ConfigError) as caught:
            lock.verify_held()
        assert caught.value.event == "lock.lost"
        with pytest.raises(ConfigError):
            lock.release()


def test_ddl_lock_timeout_gives_up_retries_then_fails_cleanly(
    database: Database, tmp_path: Path
) -> None:
    migrations = write_migrations(
        tmp_path / "m",
        {"001_a.sql": "CREATE TABLE a (id int);", "002_alter.sql": "ALTER TABLE a ADD c int;"},
    )
    assert run_cli(["migrate", "--target", "1"], database.url, migrations).code == 0
    with database.connect() as app_conn, app_conn.transaction():
        app_conn.execute("SELECT * FROM a")  # an application transaction holding a lock on a
        run = run_cli(
            ["migrate"],
            database.url,
            migrations,
            AIM_DDL_LOCK_TIMEOUT="200ms",
            AIM_DDL_LOCK_RETRIES="2",
        )
    assert run.code == 1
    assert [e["attempt"] for e in run.events if e["event"] == "migration.lock_retry"] == [1, 2]
    assert run.event("migration.failed")["sqlstate"] == "55P03"
    assert [r[0] for r in database.history()] == ["001_a"]
    assert lock_holders(database) == 0
    assert run_cli(["migrate"], database.url, migrations).code == 0
    assert database.scalar("SELECT count(*) FROM pg_attribute WHERE attname = 'c'") == 1


def test_terminated_backend_is_a_connection_error_and_rerun_converges(
    database: Database, tmp_path: Path
) -> None:
    migrations = write_migrations(tmp_path / "m", {"001_slow.sql": SLOW % 30})
    proc = start_cli(["migrate"], database.url, migrations)
    wait_for_sleeping_statement(database)
    database.query(f"SELECT pg_terminate_backend(pid) {SLEEPING}")
    run = finish(proc, timeout=30)
    assert run.code == 4
    assert run.event("db.connection_lost")["migration"] == "001_slow"
    assert "slow_table" not in database.tables()
    (migrations / "001_slow.sql").write_text(SLOW % 0)
    assert run_cli(["migrate"], database.url, migrations).code == 0
    assert "slow_table" in database.tables()
