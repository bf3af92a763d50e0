"""Cases that lost data or left a false history (issue 11), each against a real PostgreSQL,
each checked in the database afterwards: rows, history, ownership, index validity.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Database, finish, run_cli, start_cli, temporary_role, write_migrations
from tests.test_concurrency import wait_for

# --- 1. A NUL byte: refused at validation, nothing runs ------------------------------------


def test_nul_byte_is_refused_before_anything_runs(database: Database, tmp_path: Path) -> None:
    with database.connect() as conn:
        conn.execute("CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2), (3)")
    migrations = write_migrations(
        tmp_path / "m",
        {
            "001_keep.sql": "CREATE TABLE kept (id int);",
            "002_delete_one.sql": b"-- one row\nDELETE FROM t\x00 WHERE id = 1;\n",
        },
    )
    run = run_cli(["migrate"], database.url, migrations)
    assert run.code == 3, run.stdout + run.stderr
    failure = run.event("validation.failed")
    assert "002_delete_one.sql:2:14" in failure["message"]
    assert "NUL" in failure["message"]
    assert (failure["line"], failure["column"]) == (2, 14)
    assert database.scalar("SELECT count(*) FROM t") == 3  # nothing deleted
    assert "kept" not in database.tables()  # refused before any change, 001 included
    assert "schema_migrations" not in database.tables()
    offline = run_cli(["validate"], None, migrations)
    assert offline.code == 3


# --- 2. Session state never leaks from one migration into the next ---------------------------

HOLDS_LOCK = """\
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid())
  THEN RAISE EXCEPTION 'the runner lost its advisory lock';
  END IF;
END $$;
"""


@pytest.fixture
def role(database: Database) -> Iterator[str]:
    with temporary_role(database, "aim_role") as name:
        yield name


def test_no_session_state_reaches_the_next_migration(
    database: Database, tmp_path: Path, role: str
) -> None:
    user = database.scalar("SELECT current_user")
    migrations = write_migrations(
        tmp_path / "m",
        {
            "001_change_everything.sql": (
                "CREATE SCHEMA elsewhere;\n"
                "CREATE TABLE scratch (i int);\n"
                "CREATE TEMP TABLE scratch (i int);\n"
                "PREPARE leftover AS SELECT 1;\n"
                "SET client_encoding = LATIN1;\n"
                "SET search_path = elsewhere;\n"
                "SET statement_timeout = '1ms';\n"
                "SET default_transaction_read_only = on;\n"
                f"SET SESSION AUTHORIZATION {role};\n"
            ),
            "002_set_role.sql": f"RESET SESSION AUTHORIZATION;\nSET ROLE {role};\n",
            "003_after.sql": (
                "CREATE TABLE where_am_i (word text);\n"
                "INSERT INTO where_am_i VALUES ('café');\n"
                "INSERT INTO scratch VALUES (1);\n"  # the temp table would shadow public.scratch
                "PREPARE leftover AS SELECT 2;\n"  # fails if 001's survived
                "SELECT pg_sleep(0.01);\n"  # fails under a leaked 1 ms statement_timeout
                + HOLDS_LOCK
            ),
        },
    )
    run = run_cli(["migrate"], database.url, migrations)
    assert run.code == 0, run.stdout + run.stderr
    # search_path: 003's table is in the target schema, not in 001's.
    assert database.scalar("SELECT to_regclass('public.where_am_i') IS NOT NULL")
    assert database.scalar("SELECT to_regclass('elsewhere.where_am_i')") is None
    # client_encoding: the UTF-8 text arrived as UTF-8, not as LATIN1 mojibake.
    assert database.query("SELECT word, octet_length(word) FROM where_am_i") == [("café", 5)]
    # temporary tables: 003 wrote into the real table.
    assert database.scalar("SELECT count(*) FROM public.scratch") == 1
    # role and session authorization: 003's table is owned by the runner's user, and the
    # history names that user for every migration.
    assert (
        database.scalar("SELECT tableowner FROM pg_tables WHERE tablename = 'where_am_i'") == user
    )
    applied_by = database.query("SELECT version, applied_by FROM schema_migrations ORDER BY 1")
    assert [v for v, _ in applied_by] == [
        "001_change_everything",
        "002_set_role",
        "003_after",
    ]
    assert all(by.startswith(f"{user}@") for _, by in applied_by), applied_by


def test_session_replication_role_does_not_disable_the_next_migrations_checks(
    database: Database, tmp_path: Path
) -> None:
    migrations = write_migrations(
        tmp_path / "m",
        {
            "001_tables.sql": (
                "CREATE TABLE parent (id int PRIMARY KEY);\n"
                "CREATE TABLE child (id int, parent_id int REFERENCES parent);\n"
                "SET session_replication_role = replica;\n"
            ),
            "002_orphan.sql": "INSERT INTO child VALUES (1, 999);\n",
        },
    )
    run = run_cli(["migrate"], database.url, migrations)
    assert run.code == 1, run.stdout + run.stderr
    assert run.event("migration.failed")["sqlstate"] == "23503"  # foreign_key_violation
    assert database.scalar("SELECT count(*) FROM child") == 0
    assert [r[0] for r in database.history()] == ["001_tables"]


# --- 4. CREATE INDEX CONCURRENTLY: never recorded applied while INVALID ----------------------

CIC = "-- aim-migrate: no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_v ON t (v);\n"


def _table_with_rows(database: Database) -> None:
    with database.connect() as conn:
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, v int)")
        conn.execute("INSERT INTO t SELECT g, g % 10 FROM generate_series(1, 100) AS g")


def _index_state(database: Database, name: str) -> bool | None:
    """True valid, False INVALID, None absent."""
    return database.scalar(  # type: ignore[no-any-return]
        "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", (name,)
    )


def _history(database: Database) -> dict[str, str]:
    return {r[0]: r[2] for r in database.history()}


def test_concurrent_index_waiting_on_an_old_transaction_names_it_then_rebuilds(
    database: Database, tmp_path: Path
) -> None:
    _table_with_rows(database)
    migrations = write_migrations(
        tmp_path / "m", {"001_base.sql": "SELECT 1;", "002_index.sql": CIC}
    )
    assert run_cli(["migrate", "--target", "1"], database.url, migrations).code == 0
    with database.connect() as blocker:
        blocker.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        blocker.execute("SELECT count(*) FROM t")  # holds a snapshot the build must wait out
        run = run_cli(["migrate"], database.url, migrations, AIM_STATEMENT_TIMEOUT="2s")
        assert run.code == 1, run.stdout + run.stderr
        failure = run.event("migration.failed")
        assert failure["blocking_pids"] == [blocker.info.backend_pid]
        assert f"pid {blocker.info.backend_pid}" in failure["message"]
        blocker.execute("ROLLBACK")
    assert _index_state(database, "t_v") is False  # the cancelled build left it INVALID
    assert _history(database)["002_index"] == "failed"
    # Recorded as failed, so a plain rerun refuses instead of "succeeding" over it.
    assert run_cli(["migrate"], database.url, migrations).code == 1
    assert _history(database)["002_index"] == "failed"
    assert run_cli(["repair", "--reason", "blocker gone"], database.url, migrations).code == 0
    retry = run_cli(["migrate"], database.url, migrations)
    assert retry.code == 0, retry.stdout + retry.stderr
    assert retry.event("migration.invalid_index_dropped")["index"] == "t_v"
    assert _index_state(database, "t_v") is True
    assert _history(database)["002_index"] == "applied"
    assert run_cli(["status"], database.url, migrations).code == 0


def test_concurrent_index_outwaits_a_transaction_longer_than_the_ddl_lock_timeout(
    database: Database, tmp_path: Path
) -> None:
    """lock_timeout does not cut a concurrent build short: its waits block no application
    query, and cancelling it would only leave an INVALID index."""
    _table_with_rows(database)
    migrations = write_migrations(
        tmp_path / "m", {"001_base.sql": "SELECT 1;", "002_index.sql": CIC}
    )
    assert run_cli(["migrate", "--target", "1"], database.url, migrations).code == 0
    blocker = database.connect()
    blocker.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    blocker.execute("SELECT count(*) FROM t")
    runner = start_cli(["migrate"], database.url, migrations, AIM_DDL_LOCK_TIMEOUT="300ms")
    wait_for(
        lambda: (
            database.scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND query LIKE 'CREATE INDEX CONCURRENTLY%%'"
            )
            == 1
        ),
        "the build to wait for the old transaction",
    )
    # Longer than the lock timeout, then the old transaction ends.
    threading.Event().wait(1.5)
    blocker.execute("ROLLBACK")
    blocker.close()
    run = finish(runner)
    assert run.code == 0, run.stdout + run.stderr
    assert _index_state(database, "t_v") is True
    assert _history(database)["002_index"] == "applied"


def test_invalid_index_from_a_failed_build_is_never_recorded_as_applied(
    database: Database, tmp_path: Path
) -> None:
    _table_with_rows(database)  # v has duplicates: a unique build fails halfway
    migrations = write_migrations(
        tmp_path / "m",
        {
            "001_base.sql": "SELECT 1;",
            "002_unique.sql": "-- aim-migrate: no-transaction\n"
            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_v_key ON t (v);\n",
        },
    )
    first = run_cli(["migrate"], database.url, migrations)
    assert first.code == 1
    assert _index_state(database, "t_v_key") is False
    assert _history(database)["002_unique"] == "failed"
    # After a repair, IF NOT EXISTS would skip the INVALID index and "succeed": it must not.
    assert run_cli(["repair", "--reason", "retry"], database.url, migrations).code == 0
    second = run_cli(["migrate"], database.url, migrations)
    assert second.code == 1, second.stdout + second.stderr
    assert "migration.invalid_index_dropped" in second.names()  # dropped, rebuilt, failed again
    assert _history(database)["002_unique"] == "failed"
    # Fix the data; repair; the retry builds a valid index and records it.
    with database.connect() as conn:
        conn.execute("UPDATE t SET v = id")
    assert run_cli(["repair", "--reason", "deduplicated"], database.url, migrations).code == 0
    third = run_cli(["migrate"], database.url, migrations)
    assert third.code == 0, third.stdout + third.stderr
    assert _index_state(database, "t_v_key") is True
    assert _history(database)["002_unique"] == "applied"


# --- 5. A failing no-transaction down file is recorded, never lost ---------------------------


def test_failing_no_transaction_down_file_is_recorded_and_blocks_migrate(
    database: Database, tmp_path: Path
) -> None:
    _table_with_rows(database)
    migrations = write_migrations(
        tmp_path / "m",
        {
            "001_base.sql": "SELECT 1;",
            "002_index.sql": CIC,
            "002_index.down.sql": "-- aim-migrate: no-transaction\n"
            "DROP INDEX CONCURRENTLY t_v;\nSELECT 1 / 0;\n",
        },
    )
    assert run_cli(["migrate"], database.url, migrations).code == 0
    down = run_cli(["down", "--steps", "1"], database.url, migrations)
    assert down.code == 1, down.stdout + down.stderr
    assert _index_state(database, "t_v") is None  # the first statement took effect
    rows = database.query(
        "SELECT status, reason FROM schema_migrations WHERE version = '002_index'"
    )
    assert rows[0][0] == "reverting"
    assert "revert failed" in rows[0][1]
    # migrate does not silently call it applied: it stops on the unfinished record.
    blocked = run_cli(["migrate"], database.url, migrations)
    assert blocked.code == 1
    assert blocked.event("migration.incomplete")["status"] == "reverting"
    # Clearing the record re-applies the forward migration: the index is back.
    assert (
        run_cli(["repair", "--reason", "undo the half revert"], database.url, migrations).code == 0
    )
    again = run_cli(["migrate"], database.url, migrations)
    assert again.code == 0, again.stdout + again.stderr
    assert _index_state(database, "t_v") is True
    assert _history(database)["002_index"] == "applied"


def test_no_transaction_down_file_that_succeeds_removes_the_row(
    database: Database, tmp_path: Path
) -> None:
    _table_with_rows(database)
    migrations = write_migrations(
        tmp_path / "m",
        {
            "001_base.sql": "SELECT 1;",
            "002_index.sql": CIC,
            "002_index.down.sql": "-- aim-migrate: no-transaction\nDROP INDEX CONCURRENTLY t_v;\n",
        },
    )
    assert run_cli(["migrate"], database.url, migrations).code == 0
    assert run_cli(["down", "--steps", "1"], database.url, migrations).code == 0
    assert _index_state(database, "t_v") is None
    assert list(_history(database)) == ["001_base"]


# --- 6. golang-migrate's history table ------------------------------------------------------

GOLANG_FILES = {
    "1_users.up.sql": "CREATE TABLE users (id int PRIMARY KEY);",
    "1_users.down.sql": "DROP TABLE users;",
    "2_posts.up.sql": "CREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES users);",
    "2_posts.down.sql": "DROP TABLE posts;",
    "3_tags.up.sql": "CREATE TABLE tags (id int PRIMARY KEY);",
    "3_tags.down.sql": "DROP TABLE tags;",
}


def _golang_database(database: Database, version: int, dirty: bool) -> None:
    with database.connect() as conn:
        conn.execute("CREATE TABLE users (id int PRIMARY KEY)")
        conn.execute("CREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES users)")
        conn.execute(
            "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, "
            "dirty boolean NOT NULL)"
        )
        conn.execute("INSERT INTO schema_migrations VALUES (%s, %s)", (version, dirty))


def test_golang_migrate_history_is_adopted_in_place(database: Database, tmp_path: Path) -> None:
    _golang_database(database, 2, dirty=False)
    migrations = write_migrations(tmp_path / "m", GOLANG_FILES)
    for command in (["status"], ["plan"], ["validate"], ["history"], ["plan", "--json"]):
        run = run_cli(command, database.url, migrations)
        assert run.code == 0, (command, run.stdout + run.stderr)
        assert "run.crashed" not in run.names()
    status = run_cli(["status", "--json"], database.url, migrations)
    document = json.loads(status.stdout)
    assert [p["name"] for p in document["pending"]] == ["3_tags"]
    assert [a["version"] for a in document["applied"]] == ["1_users", "2_posts"]
    # Read-only commands changed nothing.
    assert database.query("SELECT * FROM schema_migrations") == [(2, False)]
    run = run_cli(["migrate"], database.url, migrations)
    assert run.code == 0, run.stdout + run.stderr
    assert run.event("history.adopted")["source"] == "golang-migrate"
    rows = database.query(
        "SELECT version, track, status, checksum IS NOT NULL FROM schema_migrations ORDER BY 1"
    )
    assert rows == [
        ("1_users", "legacy", "applied", True),
        ("2_posts", "legacy", "applied", True),
        ("3_tags", "incremental", "applied", True),
    ]
    assert "tags" in database.tables()
    assert run_cli(["migrate"], database.url, migrations).event("run.finished")["applied"] == 0
    # The adopted rows can be rolled back with golang-migrate's down files.
    assert run_cli(["down", "--steps", "2"], database.url, migrations).code == 0
    assert "posts" not in database.tables()
    assert "users" in database.tables()


def test_dirty_golang_migrate_history_is_refused(database: Database, tmp_path: Path) -> None:
    _golang_database(database, 2, dirty=True)
    migrations = write_migrations(tmp_path / "m", GOLANG_FILES)
    run = run_cli(["migrate"], database.url, migrations)
    assert run.code == 3, run.stdout + run.stderr
    event = run.event("history.dirty")
    assert event["at_version"] == 2
    assert "dirty = false" in event["hint"]
    assert database.query("SELECT * FROM schema_migrations") == [(2, True)]
    assert "tags" not in database.tables()


@pytest.mark.parametrize(
    "definition",
    [
        "id serial PRIMARY KEY, version int NOT NULL, name text",  # another tool's shape
        "version text PRIMARY KEY, payload jsonb",  # an application table of that name
        "id int",  # no version column at all
    ],
)
def test_other_history_shapes_are_refused_not_crashed(
    database: Database, tmp_path: Path, definition: str
) -> None:
    with database.connect() as conn:
        conn.execute(f"CREATE TABLE schema_migrations ({definition})")
    migrations = write_migrations(tmp_path / "m", GOLANG_FILES)
    for command in (["migrate"], ["status"], ["history"]):
        run = run_cli(command, database.url, migrations)
        assert run.code == 3, (command, run.stdout + run.stderr)
        event = run.event("history.unrecognised")
        assert "AIM_HISTORY_TABLE" in event["hint"]
    assert "users" not in database.tables()
    assert database.scalar("SELECT count(*) FROM schema_migrations") == 0


# --- 7. Versions that cannot be stored; names real projects use ------------------------------


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("20150100000001000000_huge.sql", "larger than the largest version"),
        ("\u0663\u0661_arabic_digits.sql", "U+0663"),
    ],
)
def test_unstorable_versions_are_refused_before_any_migration_runs(
    database: Database, tmp_path: Path, name: str, says: str
) -> None:
    migrations = write_migrations(
        tmp_path / "m", {"001_first.sql": "CREATE TABLE first (id int);", name: "SELECT 1;"}
    )
    run = run_cli(["migrate"], database.url, migrations)
    assert run.code == 3, run.stdout + run.stderr
    assert says in run.event("validation.failed")["message"]
    assert "first" not in database.tables()
    assert "schema_migrations" not in database.tables()


def test_hyphen_and_dotted_names_are_accepted(database: Database, tmp_path: Path) -> None:
    migrations = write_migrations(
        tmp_path / "m",
        {
            "0001-create.sql": "CREATE TABLE a (id int);",
            "0002_1.7.0_schema.up.sql": "CREATE TABLE b (id int);",
            "0002_1.7.0_schema.down.sql": "DROP TABLE b;",
        },
    )
    run = run_cli(["migrate"], database.url, migrations)
    assert run.code == 0, run.stdout + run.stderr
    assert [r[0] for r in database.history()] == ["0001-create", "0002_1.7.0_schema"]
    assert run_cli(["down", "--steps", "1"], database.url, migrations).code == 0
    assert "b" not in database.tables()


def test_bad_name_says_which_character_and_the_pattern(tmp_path: Path) -> None:
    migrations = write_migrations(tmp_path / "m", {"003 add things.sql": "SELECT 1;"})
    run = run_cli(["validate"], None, migrations)
    assert run.code == 3
    failure = run.event("validation.failed")
    assert "' ' (U+0020)" in failure["message"]
    assert "NNN_description.sql" in failure["hint"]


def test_byte_order_mark_is_ignored_with_a_warning_and_keeps_the_directive(
    database: Database, tmp_path: Path
) -> None:
    _table_with_rows(database)
    migrations = write_migrations(tmp_path / "m", {"001_index.sql": b"\xef\xbb\xbf" + CIC.encode()})
    run = run_cli(["migrate"], database.url, migrations)
    assert run.code == 0, run.stdout + run.stderr  # CONCURRENTLY ran outside a transaction
    assert run.event("source.bom_ignored")["file"].endswith("001_index.sql")
    assert _index_state(database, "t_v") is True
