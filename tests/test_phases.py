"""Zero-downtime rollouts: pre-deploy and post-deploy migrations, `wait`, batched backfills,
and the seed's expand/backfill/contract change done for real while an old and a new
application keep working. Every test checks the database afterwards."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.conftest import (
    Database,
    Pushgateway,
    finish,
    run_cli,
    start_cli,
    temporary_role,
    url_for,
    write_migrations,
)
from tests.test_concurrency import wait_for

BASE = {
    "001_users.sql": "CREATE TABLE users (id serial PRIMARY KEY, fullname text NOT NULL);",
    "002_tags.sql": "CREATE TABLE tags (id int);",
}
RELEASE_2 = {
    "003_drop_tags.sql": "-- aim-migrate: post-deploy\nDROP TABLE tags;",
    "004_add_email.sql": "ALTER TABLE users ADD COLUMN email text;",
}


def _applied(database: Database) -> list[tuple[str, str | None]]:
    return database.query("SELECT version, phase FROM schema_migrations ORDER BY version")


def test_pre_deploy_leaves_post_deploy_migrations_for_after_the_rollout(
    database: Database, tmp_path: Path
) -> None:
    migrations = write_migrations(tmp_path / "m", BASE)
    assert run_cli(["migrate"], database.url, migrations).code == 0
    write_migrations(migrations, RELEASE_2)
    pre = run_cli(["migrate", "--phase", "pre-deploy"], database.url, migrations)
    assert pre.code == 0, pre.stdout + pre.stderr
    # 004 (pre-deploy, numbered after the pending post-deploy 003) is applied; 003 waits.
    assert [v for v, _ in _applied(database)] == ["001_users", "002_tags", "004_add_email"]
    assert "tags" in database.tables()
    assert pre.event("db.detected")["deferred"] == ["003_drop_tags"]
    assert pre.event("run.finished")["deferred"] == 1
    # The same phase again: nothing to do, still no out-of-order error.
    again = run_cli(["migrate"], database.url, migrations, AIM_PHASE="pre-deploy")
    assert again.code == 0
    assert again.event("run.finished")["applied"] == 0
    # After the rollout: everything pending, in order; 003 is older than 004 and that is fine.
    post = run_cli(["migrate"], database.url, migrations)
    assert post.code == 0, post.stdout + post.stderr
    assert "tags" not in database.tables()
    assert _applied(database) == [
        ("001_users", "pre-deploy"),
        ("002_tags", "pre-deploy"),
        ("003_drop_tags", "post-deploy"),
        ("004_add_email", "pre-deploy"),
    ]
    # A pre-deploy migration numbered below an applied one is still out of order.
    write_migrations(migrations, {"000_late.sql": "SELECT 1;"})
    late = run_cli(["migrate", "--phase", "pre-deploy"], database.url, migrations)
    assert late.code == 3
    assert late.event("validation.out_of_order")["migrations"] == ["000_late"]


def test_a_fresh_database_gets_everything_in_either_phase(
    database: Database, tmp_path: Path
) -> None:
    migrations = write_migrations(tmp_path / "m", {**BASE, **RELEASE_2})
    run = run_cli(["migrate", "--phase", "pre-deploy"], database.url, migrations)
    assert run.code == 0, run.stdout + run.stderr
    assert [v for v, _ in _applied(database)] == [
        "001_users",
        "002_tags",
        "003_drop_tags",
        "004_add_email",
    ]
    assert "tags" not in database.tables()


def test_status_plan_and_history_show_each_migrations_phase(
    database: Database, tmp_path: Path
) -> None:
    migrations = write_migrations(tmp_path / "m", BASE)
    assert run_cli(["migrate"], database.url, migrations).code == 0
    write_migrations(migrations, RELEASE_2)
    plan = json.loads(
        run_cli(["plan", "--json", "--phase", "pre-deploy"], database.url, migrations).stdout
    )
    assert [(p["name"], p["phase"]) for p in plan["pending"]] == [("004_add_email", "pre-deploy")]
    assert [(d["name"], d["phase"]) for d in plan["deferred"]] == [("003_drop_tags", "post-deploy")]
    text = run_cli(["status"], database.url, migrations).stdout
    assert "003_drop_tags.sql  [post-deploy]" in text
    history = json.loads(run_cli(["history", "--json"], database.url, migrations).stdout)
    assert {(r["version"], r["phase"]) for r in history} == {
        ("001_users", "pre-deploy"),
        ("002_tags", "pre-deploy"),
    }
    assert _applied(database) == [("001_users", "pre-deploy"), ("002_tags", "pre-deploy")]


# --- wait -------------------------------------------------------------------------------------


@pytest.fixture
def reader(database: Database) -> Iterator[str]:
    """A role that can only connect and SELECT the history table: an application's init
    container without DDL rights."""
    with temporary_role(database, "aim_reader", login=True) as name:
        yield name


def test_wait_returns_once_the_pre_deploy_schema_is_there(
    database: Database, tmp_path: Path, reader: str
) -> None:
    migrations = write_migrations(tmp_path / "m", BASE)
    assert run_cli(["migrate"], database.url, migrations).code == 0
    with database.connect() as conn:
        conn.execute(
            sql.SQL("GRANT SELECT ON schema_migrations TO {}").format(sql.Identifier(reader))
        )
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    write_migrations(migrations, RELEASE_2)
    as_reader = url_for(database.admin_url, database.name, user=reader)
    waiting = start_cli(["wait", "--timeout", "60s"], as_reader, migrations)
    wait_for(
        lambda: (
            database.scalar("SELECT count(*) FROM pg_stat_activity WHERE usename = %s", (reader,))
            == 1
        ),
        "wait to connect",
    )
    # The pre-deploy phase is what wait waits for; the post-deploy 003 is not needed.
    assert run_cli(["migrate", "--phase", "pre-deploy"], database.url, migrations).code == 0
    done = finish(waiting)
    assert done.code == 0, done.stdout + done.stderr
    assert done.event("wait.ready")["migrations"] == 3
    assert "lock.acquired" not in done.names()
    # wait changed nothing: 003 is still pending, no lock is held, the reader owns nothing.
    assert [v for v, _ in _applied(database)] == ["001_users", "002_tags", "004_add_email"]
    assert database.advisory_locks() == 0
    assert (
        database.scalar("SELECT count(*) FROM pg_class WHERE relowner = %s::regrole", (reader,))
        == 0
    )


def test_wait_times_out_with_exit_5_naming_what_is_missing(
    database: Database, tmp_path: Path
) -> None:
    migrations = write_migrations(tmp_path / "m", BASE)
    assert run_cli(["migrate"], database.url, migrations).code == 0
    write_migrations(migrations, RELEASE_2)
    run = run_cli(["wait"], database.url, migrations, AIM_WAIT_TIMEOUT="1s")
    assert run.code == 5, run.stdout + run.stderr
    event = run.event("wait.timeout")
    assert event["missing"] == ["004_add_email"]
    assert event["hint"]
    assert [v for v, _ in _applied(database)] == ["001_users", "002_tags"]


# --- batched backfills ------------------------------------------------------------------------

BACKFILL_TABLE = (
    "CREATE TABLE items (id int PRIMARY KEY, old text NOT NULL, new text);\n"
    "INSERT INTO items SELECT g, 'v' || g FROM generate_series(1, 5000) AS g;\n"
    "CREATE INDEX items_todo ON items (id) WHERE new IS NULL;\n"
)
BACKFILL = (
    "-- aim-migrate: batched\n"
    "-- aim-migrate: batch-pause={pause}\n"
    "UPDATE items SET new = upper(old)\n"
    " WHERE id IN (SELECT id FROM items WHERE new IS NULL ORDER BY id LIMIT {size});\n"
)


def _todo(database: Database) -> int:
    return int(database.scalar("SELECT count(*) FROM items WHERE new IS NULL"))


def test_batched_backfill_runs_until_no_row_changes_then_records_it(
    database: Database, tmp_path: Path, pushgateway: Pushgateway
) -> None:
    migrations = write_migrations(
        tmp_path / "m",
        {
            "001_items.sql": BACKFILL_TABLE,
            "002_backfill.sql": BACKFILL.format(pause="0ms", size=500),
        },
    )
    run = run_cli(
        ["migrate"],
        database.url,
        migrations,
        AIM_PUSHGATEWAY_URL=pushgateway.url,
        AIM_PUSHGATEWAY_GROUPING="release=batched",
    )
    assert run.code == 0, run.stdout + run.stderr
    applied = run.event("migration.applied")
    assert (applied["migration"], applied["rows"], applied["batches"]) == ("002_backfill", 5000, 11)
    assert _todo(database) == 0
    assert database.scalar("SELECT count(*) FROM items WHERE new <> upper(old)") == 0
    assert dict(database.query("SELECT version, status FROM schema_migrations")) == {
        "001_items": "applied",
        "002_backfill": "applied",
    }
    metrics = pushgateway.metrics(release="batched")
    assert metrics["aim_migrate_last_run_batched_rows"][0] == 5000


def test_a_killed_backfill_resumes_where_it_stopped(database: Database, tmp_path: Path) -> None:
    migrations = write_migrations(
        tmp_path / "m",
        {
            "001_items.sql": BACKFILL_TABLE,
            "002_backfill.sql": BACKFILL.format(pause="50ms", size=100),
        },
    )
    runner = start_cli(["migrate"], database.url, migrations)
    wait_for(lambda: "items" in database.tables() and 0 < _todo(database) < 4000, "some batches")
    runner.send_signal(signal.SIGKILL)
    runner.communicate(timeout=30)
    left = _todo(database)
    assert 0 < left < 5000
    assert (
        dict(database.query("SELECT version, status FROM schema_migrations"))["002_backfill"]
        == "started"
    )  # not applied: the zero-row batch never ran
    resumed = run_cli(["migrate"], database.url, migrations)
    assert resumed.code == 0, resumed.stdout + resumed.stderr
    assert resumed.event("migration.started")["resumed"] is True
    assert resumed.event("migration.applied")["rows"] == left  # only what was left
    assert _todo(database) == 0
    assert database.scalar("SELECT count(*) FROM items WHERE new <> upper(old)") == 0
    assert (
        dict(database.query("SELECT version, status FROM schema_migrations"))["002_backfill"]
        == "applied"
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            "-- aim-migrate: batched\nUPDATE t SET a = 1 WHERE id IN (SELECT id FROM t LIMIT 10);"
            "\nUPDATE t SET b = 1 WHERE id IN (SELECT id FROM t LIMIT 10);",
            "holds 2 statements",
        ),
        ("-- aim-migrate: batched\nUPDATE t SET a = 1;", "no LIMIT"),
        ("-- aim-migrate: batched\nUPDATE t SET a = 'LIMIT 1' WHERE a IS NULL;", "no LIMIT"),
        ("-- aim-migrate: batched\nCREATE TABLE x AS SELECT 1 LIMIT 1;", "not UPDATE"),
        ("-- aim-migrate: batch-pause=10ms\nSELECT 1;", "goes with 'batched'"),
        (
            "-- aim-migrate: batched\n-- aim-migrate: batch-pause=soon\nDELETE FROM t WHERE id IN "
            "(SELECT id FROM t LIMIT 5);",
            "needs a duration",
        ),
    ],
)
def test_bad_batched_files_are_refused_before_anything_runs(
    database: Database, tmp_path: Path, text: str, says: str
) -> None:
    migrations = write_migrations(
        tmp_path / "m", {"001_t.sql": "CREATE TABLE t (id int, a int, b int);", "002_b.sql": text}
    )
    run = run_cli(["migrate"], database.url, migrations)
    assert run.code == 3, run.stdout + run.stderr
    failure = run.event("validation.failed")
    assert says in failure["message"]
    assert "002_b.sql" in failure["message"]
    assert "t" not in database.tables()


def test_an_older_image_after_helm_rollback_keeps_working(
    database: Database, tmp_path: Path
) -> None:
    new = write_migrations(tmp_path / "new", {**BASE, **RELEASE_2})
    assert run_cli(["migrate"], database.url, new).code == 0
    old = write_migrations(tmp_path / "old", BASE)
    for command in (["migrate"], ["migrate", "--phase", "pre-deploy"], ["wait"], ["status"]):
        run = run_cli(command, database.url, old)
        assert run.code == 0, (command, run.stdout + run.stderr)
    assert "history.orphan" in run_cli(["migrate"], database.url, old).names()
    assert len(_applied(database)) == 4  # nothing undone, nothing re-applied


# --- the seed's zero-downtime change, end to end ---------------------------------------------

EXPAND = (
    "ALTER TABLE users ADD COLUMN display_name text;\n"
    "CREATE FUNCTION users_dual_write() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN\n"
    "  NEW.display_name := coalesce(NEW.display_name, NEW.fullname);\n"
    "  NEW.fullname := coalesce(NEW.fullname, NEW.display_name);\n"
    "  RETURN NEW;\n"
    "END $$;\n"
    "CREATE TRIGGER users_dual_write BEFORE INSERT OR UPDATE ON users\n"
    "  FOR EACH ROW EXECUTE FUNCTION users_dual_write();\n"
    "ALTER TABLE users ALTER COLUMN fullname DROP NOT NULL;\n"
)
RENAME_BACKFILL = (
    "-- aim-migrate: batched\n"
    "UPDATE users SET display_name = fullname\n"
    " WHERE id IN (SELECT id FROM users WHERE display_name IS NULL LIMIT 200);\n"
)
CONTRACT = (
    "-- aim-migrate: post-deploy\n"
    "DROP TRIGGER users_dual_write ON users;\n"
    "DROP FUNCTION users_dual_write();\n"
    "ALTER TABLE users DROP COLUMN fullname;\n"
    "ALTER TABLE users ALTER COLUMN display_name SET NOT NULL;\n"
)


class App(threading.Thread):
    """An application version: writes and reads in a bounded loop, counting failures."""

    def __init__(self, url: str, column: str, tag: str) -> None:
        super().__init__(daemon=True)
        self.url, self.column, self.tag = url, column, tag
        self.stop = threading.Event()
        self.written: dict[int, str] = {}
        self.failures: list[str] = []
        self.queries = 0

    def run(self) -> None:
        deadline = time.monotonic() + 120  # bounded whatever happens
        with psycopg.connect(self.url, autocommit=True) as conn:
            i = 0
            while not self.stop.is_set() and time.monotonic() < deadline:
                i += 1
                value = f"{self.tag}-{i}"
                try:
                    query = sql.SQL("INSERT INTO users ({}) VALUES (%s) RETURNING id").format(
                        sql.Identifier(self.column)
                    )
                    row = conn.execute(query, (value,)).fetchone()
                    assert row is not None
                    self.written[int(row[0])] = value
                    read = sql.SQL("SELECT {} FROM users WHERE id = %s").format(
                        sql.Identifier(self.column)
                    )
                    got = conn.execute(read, (row[0],)).fetchone()
                    if got is None or got[0] != value:
                        self.failures.append(f"read back {got!r} for {value}")
                    self.queries += 2
                except psycopg.Error as exc:
                    self.failures.append(str(exc).splitlines()[0])
                time.sleep(0.002)


@pytest.mark.slow
def test_rename_a_column_without_downtime(database: Database, tmp_path: Path) -> None:
    migrations = write_migrations(tmp_path / "m", {"001_users.sql": BASE["001_users.sql"]})
    assert run_cli(["migrate"], database.url, migrations).code == 0
    with database.connect() as conn:  # data from before the change
        conn.execute(
            "INSERT INTO users (fullname) SELECT 'seed-' || g FROM generate_series(1, 3000) g"
        )
    seeded = dict(database.query("SELECT id, fullname FROM users"))
    plain_url = database.url
    old = App(plain_url, "fullname", "old")
    old.start()
    wait_for(lambda: old.queries > 20, "the old application to run")
    # Release 2 ships: expand, backfill (pre-deploy), contract (post-deploy).
    write_migrations(
        migrations,
        {
            "002_expand.sql": EXPAND,
            "003_backfill.sql": RENAME_BACKFILL,
            "004_contract.sql": CONTRACT,
        },
    )
    # As the chart runs them: the pre-upgrade hook, the new pods' init container, the new pods
    # (old ones still serving), the old pods gone, the post-upgrade hook.
    pre = run_cli(["migrate", "--phase", "pre-deploy"], database.url, migrations)
    assert pre.code == 0, pre.stdout + pre.stderr
    assert run_cli(["wait", "--timeout", "30s"], database.url, migrations).code == 0
    new = App(plain_url, "display_name", "new")
    new.start()
    wait_for(lambda: new.queries > 20, "the new application to run")
    old.stop.set()
    old.join(30)
    post = run_cli(["migrate"], database.url, migrations)
    assert post.code == 0, post.stdout + post.stderr
    wait_for(lambda: new.queries > 200, "the new application to run after the contract")
    new.stop.set()
    new.join(30)
    assert old.failures == []
    assert new.failures == []
    assert old.queries > 20
    assert new.queries > 200
    # Every row's data is intact, under its new name.
    now = dict(database.query("SELECT id, display_name FROM users"))
    expected = {**seeded, **old.written, **new.written}
    assert now == expected
    columns = {
        r[0]
        for r in database.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'users'"
        )
    }
    assert columns == {"id", "display_name"}
    assert [r[0] for r in database.history()] == [
        "001_users",
        "002_expand",
        "003_backfill",
        "004_contract",
    ]
