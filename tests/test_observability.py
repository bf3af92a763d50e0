"""Structured logs and Pushgateway metrics, read back from real runs and a real Pushgateway."""

from __future__ import annotations

import io
import json
import logging
import signal
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from aim_migrate import __version__
from aim_migrate.logs import configure

from tests.conftest import (
    Database,
    Pushgateway,
    finish,
    run_cli,
    start_cli,
    start_pushgateway,
    write_migrations,
)
from tests.test_concurrency import lock_holders, wait_for, wait_for_sleeping_statement

GOOD = {"001_a.sql": "CREATE TABLE a (id int);", "002_b.sql": "CREATE TABLE b (id int);"}
BAD = {**GOOD, "003_c.sql": "CREATE TABLE c (id int);\nSELECT 1/0;\n"}
SLOW = {"001_slow.sql": "CREATE TABLE slow (id int);\nSELECT pg_sleep(30);\n"}


def assert_well_formed(events: list[dict[str, object]], database: Database) -> None:
    assert events, "no log lines"
    run_ids = {e["run_id"] for e in events}
    assert len(run_ids) == 1
    for event in events:
        assert {"timestamp", "level", "event", "run_id", "version"} <= event.keys(), event
        assert event["version"] == __version__
        assert event["level"] in {"debug", "info", "warning", "error"}
        stamp = datetime.fromisoformat(str(event["timestamp"]).replace("Z", "+00:00"))
        offset = stamp.utcoffset()
        assert offset is not None
        assert offset.total_seconds() == 0
        assert event["db_name"] == database.name, event
        assert {"db_host", "db_port"} <= event.keys()
        assert not any("password" in str(key).lower() for key in event)
    assert events[0]["event"] == "run.started"
    assert events[-1]["event"] == "run.finished"


def test_success_run_logs_one_json_object_per_line(database: Database, tmp_path: Path) -> None:
    run = run_cli(["migrate"], database.url, write_migrations(tmp_path / "m", GOOD))
    assert run.code == 0
    lines = run.stdout.splitlines()
    assert all(line.startswith("{") for line in lines)
    events = [json.loads(line) for line in lines]
    assert_well_formed(events, database)
    names = [e["event"] for e in events]
    assert names == [
        "run.started",
        "db.connected",
        "lock.acquired",
        "db.detected",
        "migration.started",
        "migration.applied",
        "migration.started",
        "migration.applied",
        "run.finished",
    ]
    assert run.event("db.detected")["track"] == "chain"
    assert all(
        isinstance(e["duration_ms"], int) for e in events if e["event"] == "migration.applied"
    )
    finished = run.event("run.finished")
    assert (finished["outcome"], finished["exit_code"], finished["applied"]) == ("success", 0, 2)
    assert isinstance(finished["duration_ms"], int)


def test_failed_run_logs_the_cause_as_one_event(database: Database, tmp_path: Path) -> None:
    run = run_cli(["migrate"], database.url, write_migrations(tmp_path / "m", BAD))
    assert run.code == 1
    events = [json.loads(line) for line in run.stdout.splitlines()]
    assert_well_formed(events, database)
    failed = [e for e in events if e["level"] == "error"]
    assert len(failed) == 1
    assert failed[0]["event"] == "migration.failed"
    assert (failed[0]["line"], failed[0]["sqlstate"]) == (2, "22012")
    assert failed[0]["hint"]
    assert "Traceback" not in run.stdout + run.stderr
    assert run.event("run.finished")["outcome"] == "failure"


def test_lock_wait_is_logged_with_the_holder(database: Database, tmp_path: Path) -> None:
    migrations = write_migrations(tmp_path / "m", SLOW)
    holder = start_cli(["migrate"], database.url, migrations)
    wait_for_sleeping_statement(database)
    waiter = run_cli(["migrate"], database.url, migrations, AIM_LOCK_TIMEOUT="1")
    holder.send_signal(signal.SIGTERM)
    finish(holder)
    assert waiter.code == 5
    events = [json.loads(line) for line in waiter.stdout.splitlines()]
    assert_well_formed(events, database)
    waiting = waiter.event("lock.waiting")
    assert waiting["holder_application"] == "aim-migrate"
    assert isinstance(waiting["holder_pid"], int)
    wait_for(lambda: lock_holders(database) == 0, "the lock to be released")


def test_console_format_reads_like_the_original_banner(database: Database, tmp_path: Path) -> None:
    run = run_cli(
        ["migrate"], database.url, write_migrations(tmp_path / "m", GOOD), AIM_LOG_FORMAT="console"
    )
    assert run.code == 0
    assert "All migrations applied successfully" in run.stdout
    assert "✓ 001_a" in run.stdout
    assert not any(line.startswith("{") for line in run.stdout.splitlines())


def test_library_logging_goes_through_the_same_pipeline() -> None:
    out = io.StringIO()
    configure("json", "info", out)
    logging.getLogger("psycopg").warning("connection %s is odd", "x")
    (line,) = out.getvalue().splitlines()
    event = json.loads(line)
    assert (event["event"], event["logger"], event["message"]) == (
        "library.log",
        "psycopg",
        "connection x is odd",
    )
    assert event["level"] == "warning"


def test_an_unexpected_crash_is_one_event_without_traceback(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    database: Database,
    tmp_path: Path,
) -> None:
    """Injected fault (a bug cannot be produced on purpose): the runner itself raises."""
    from aim_migrate import cli, runner

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("injected bug")

    monkeypatch.setattr(runner, "migrate", broken)
    monkeypatch.setenv("DATABASE_URL", database.url)
    monkeypatch.setenv("AIM_MIGRATIONS_DIR", str(write_migrations(tmp_path / "m", GOOD)))
    monkeypatch.setenv("AIM_LOG_FORMAT", "json")
    assert cli.main(["migrate"]) == 1
    out = capsys.readouterr().out
    crashed = [json.loads(line) for line in out.splitlines() if '"run.crashed"' in line]
    assert len(crashed) == 1
    assert crashed[0]["error_type"] == "RuntimeError"
    assert crashed[0]["stack"]
    assert all(":" in frame for frame in crashed[0]["stack"])
    assert "Traceback" not in out


# --- metrics -----------------------------------------------------------------------------


def metrics_env(gateway: Pushgateway, release: str, **extra: str) -> dict[str, str]:
    return {
        "AIM_PUSHGATEWAY_URL": gateway.url,
        "AIM_PUSHGATEWAY_GROUPING": f"namespace=test,release={release}",
        **extra,
    }


def test_success_failure_and_interruption_are_pushed(
    database: Database, tmp_path: Path, pushgateway: Pushgateway
) -> None:
    release = uuid.uuid4().hex[:8]
    migrations = write_migrations(tmp_path / "m", GOOD)
    ok = run_cli(["migrate"], database.url, migrations, **metrics_env(pushgateway, release))
    assert ok.code == 0
    metrics = pushgateway.metrics(release=release)
    value = {name: v for name, (v, _) in metrics.items()}
    assert value["aim_migrate_last_run_success"] == 1
    assert value["aim_migrate_last_run_exit_code"] == 0
    assert value["aim_migrate_last_run_migrations_applied"] == 2
    assert value["aim_migrate_pending_migrations"] == 0
    assert value["aim_migrate_schema_version"] == 2
    assert value["aim_migrate_last_run_duration_seconds"] > 0
    assert value["aim_migrate_lock_wait_seconds"] >= 0
    last_success = value["aim_migrate_last_success_timestamp_seconds"]
    assert last_success == value["aim_migrate_last_run_timestamp_seconds"]
    labels = dict(metrics["aim_migrate_last_run_success"][1])
    # The Pushgateway shows an absent instance label as "": no pod name, so no stale series.
    assert labels.pop("instance", "") == ""
    assert labels == {
        "job": "aim-migrate",
        "namespace": "test",
        "release": release,
        "database": database.name,
    }  # no instance label: a dead pod leaves nothing behind

    import urllib.request

    from tests.conftest import PLANTED_PASSWORD

    with urllib.request.urlopen(f"{pushgateway.url}/metrics", timeout=5) as response:
        assert PLANTED_PASSWORD not in response.read().decode()  # not in any label

    write_migrations(migrations, {"003_c.sql": "SELECT 1/0;"})
    failed = run_cli(["migrate"], database.url, migrations, **metrics_env(pushgateway, release))
    assert failed.code == 1
    value = {name: v for name, (v, _) in pushgateway.metrics(release=release).items()}
    assert value["aim_migrate_last_run_success"] == 0
    assert value["aim_migrate_last_run_exit_code"] == 1
    assert value["aim_migrate_pending_migrations"] == 1
    assert value["aim_migrate_last_success_timestamp_seconds"] == last_success  # kept
    assert value["aim_migrate_last_run_timestamp_seconds"] > last_success

    write_migrations(migrations, {"003_c.sql": "SELECT pg_sleep(30);"})
    proc = start_cli(["migrate"], database.url, migrations, **metrics_env(pushgateway, release))
    wait_for_sleeping_statement(database)
    proc.send_signal(signal.SIGTERM)
    interrupted = finish(proc)
    assert interrupted.code == 143
    value = {name: v for name, (v, _) in pushgateway.metrics(release=release).items()}
    assert value["aim_migrate_last_run_exit_code"] == 143
    assert value["aim_migrate_last_run_success"] == 0
    assert value["aim_migrate_last_success_timestamp_seconds"] == last_success


def test_unreachable_pushgateway_warns_unless_metrics_are_required(
    database: Database, tmp_path: Path
) -> None:
    migrations = write_migrations(tmp_path / "m", GOOD)
    env = {"AIM_PUSHGATEWAY_URL": "http://127.0.0.1:1", "AIM_PUSHGATEWAY_TIMEOUT": "1s"}
    lenient = run_cli(["migrate"], database.url, migrations, **env)
    assert lenient.code == 0
    assert lenient.event("metrics.push_failed")["level"] == "warning"
    strict = run_cli(["migrate"], database.url, migrations, AIM_METRICS_REQUIRED="true", **env)
    assert strict.code == 4
    assert strict.event("metrics.required")["exit_code"] == 4


PUSH_USER, PUSH_PASSWORD = "aim", "push-test-pw"
PUSH_PASSWORD_BCRYPT = "$2b$04$KOKO67xzzYkmRay./qoO2uSq1PLuFFz0/jJn0wqMdRplKti3WETQm"


def test_basic_auth_to_the_pushgateway(database: Database, tmp_path: Path) -> None:
    proc, gateway = start_pushgateway(
        tmp_path, web_config=f"basic_auth_users:\n  {PUSH_USER}: '{PUSH_PASSWORD_BCRYPT}'\n"
    )
    try:
        migrations = write_migrations(tmp_path / "m", GOOD)
        env = metrics_env(gateway, "auth")
        refused = run_cli(["migrate"], database.url, migrations, **env)
        assert refused.code == 0
        assert "metrics.push_failed" in refused.names()
        accepted = run_cli(
            ["migrate"],
            database.url,
            migrations,
            AIM_PUSHGATEWAY_USERNAME=PUSH_USER,
            AIM_PUSHGATEWAY_PASSWORD=PUSH_PASSWORD,
            **env,
        )
        assert accepted.code == 0
        assert "metrics.push_failed" not in accepted.names()
        assert PUSH_PASSWORD not in accepted.stdout + accepted.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=10)
