"""Bad input: each a clear error before any change, a stable exit code, and no traceback."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.conftest import Database, Run, run_cli, url_for, write_migrations

GOOD = {"001_a.sql": "CREATE TABLE a (id int);", "002_b.sql": "CREATE TABLE b (id int);"}


def assert_clean_failure(run: Run, code: int, event: str) -> dict[str, object]:
    assert run.code == code, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    found = run.event(event)
    assert found["level"] == "error"
    assert found["message"]
    assert found["hint"]
    assert run.event("run.finished")["exit_code"] == code
    return found


def _layout(tmp_path: Path, case: str) -> Path:
    m = write_migrations(tmp_path / "m", GOOD)
    if case == "malformed-name":
        write_migrations(m, {"3 add things.sql": "SELECT 1;"})
    elif case == "duplicate-version-strict":
        write_migrations(m, {"002_other.sql": "SELECT 1;"})
    elif case == "baseline-without-version":
        write_migrations(m, {"V1__base.sql": "CREATE TABLE a (id int);"})
    elif case == "baseline-version-missing":
        write_migrations(m, {"V1__base.sql": "-- aim-migrate: baseline-version=7\nSELECT 1;"})
    elif case == "non-utf8":
        write_migrations(m, {"003_c.sql": b"SELECT 'caf\xe9';\n"})
    elif case == "empty-file":
        write_migrations(m, {"003_c.sql": "-- nothing here yet\n"})
    elif case == "directory":
        (m / "003_c.sql").mkdir()
    elif case == "symlink-outside":
        outside = tmp_path / "elsewhere.sql"
        outside.write_text("SELECT 1;")
        (m / "003_c.sql").symlink_to(outside)
    elif case == "missing-directory":
        return tmp_path / "does-not-exist"
    elif case == "unknown-directive":
        write_migrations(m, {"003_c.sql": "-- aim-migrate: no-transation\nSELECT 1;"})
    elif case == "unterminated-quote":
        write_migrations(m, {"003_c.sql": "SELECT 'oops;\n"})
    return m


@pytest.mark.parametrize(
    ("case", "code", "event", "names"),
    [
        ("malformed-name", 3, "validation.failed", "3 add things.sql"),
        ("duplicate-version-strict", 3, "validation.failed", "002_other.sql"),
        ("baseline-without-version", 3, "validation.failed", "V1__base.sql"),
        ("baseline-version-missing", 3, "validation.failed", "V1__base.sql"),
        ("non-utf8", 3, "validation.failed", "003_c.sql"),
        ("empty-file", 3, "validation.failed", "003_c.sql"),
        ("directory", 3, "validation.failed", "003_c.sql"),
        ("symlink-outside", 3, "validation.failed", "003_c.sql"),
        ("missing-directory", 3, "validation.failed", "does-not-exist"),
        ("unknown-directive", 3, "validation.failed", "003_c.sql"),
        ("unterminated-quote", 3, "validation.failed", "003_c.sql"),
    ],
)
def test_bad_files_fail_before_any_change(
    database: Database, tmp_path: Path, case: str, code: int, event: str, names: str
) -> None:
    migrations = _layout(tmp_path, case)
    extra = {"AIM_STRICT": "true"} if case == "duplicate-version-strict" else {}
    run = run_cli(["migrate"], database.url, migrations, **extra)
    found = assert_clean_failure(run, code, event)
    assert names in str(found.get("file", "")) + str(found["message"])
    assert database.tables() == set()  # nothing changed, not even the history table


def test_file_edited_after_it_was_applied(database: Database, tmp_path: Path) -> None:
    migrations = write_migrations(tmp_path / "m", GOOD)
    assert run_cli(["migrate"], database.url, migrations).code == 0
    (migrations / "002_b.sql").write_text("CREATE TABLE b (id bigint);")
    write_migrations(migrations, {"003_c.sql": "CREATE TABLE c ();"})
    run = run_cli(["migrate"], database.url, migrations)
    assert_clean_failure(run, 3, "validation.checksum_mismatch")
    assert "c" not in database.tables()


def test_history_row_without_a_file_is_only_a_warning(database: Database, tmp_path: Path) -> None:
    migrations = write_migrations(tmp_path / "m", GOOD)
    assert run_cli(["migrate"], database.url, migrations).code == 0
    (migrations / "001_a.sql").unlink()
    write_migrations(migrations, {"003_c.sql": "CREATE TABLE c ();"})
    run = run_cli(["migrate"], database.url, migrations)
    assert run.code == 0
    assert run.event("history.orphan")["versions"] == ["001_a"]
    assert "c" in database.tables()
    assert [r[0] for r in database.history()] == ["001_a", "002_b", "003_c"]


def test_unknown_option(tmp_path: Path) -> None:
    run = run_cli(["migrate", "--frobnicate"], None, tmp_path)
    assert_clean_failure(run, 2, "usage.invalid")


def test_bad_environment_value_names_the_variable(database: Database, tmp_path: Path) -> None:
    run = run_cli(["migrate"], database.url, tmp_path, AIM_LOCK_TIMEOUT="soon")
    found = assert_clean_failure(run, 2, "config.invalid")
    assert found["variable"] == "AIM_LOCK_TIMEOUT"


def test_sslmode_passes_through_to_libpq(database: Database, tmp_path: Path) -> None:
    """The test server has no TLS: requiring it must fail at once, naming the reason."""
    migrations = write_migrations(tmp_path / "m", GOOD)
    with psycopg.connect(database.url) as conn:
        if conn.execute("SHOW ssl").fetchone() == ("on",):
            pytest.skip("this server speaks TLS; the refusal cannot be shown")
    run = run_cli(["migrate"], database.url + " sslmode=require", migrations)
    found = assert_clean_failure(run, 4, "db.connect_failed")
    assert "SSL" in str(found["cause"])
    assert found["attempts"] == 1  # not retried: waiting would not help


def test_read_only_user_is_refused_cleanly(
    database: Database, admin_url: str, tmp_path: Path
) -> None:
    role = "aimtest_reader"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER").format(sql.Identifier(role)))
    with database.connect() as conn:
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    migrations = write_migrations(tmp_path / "m", GOOD)
    run = run_cli(["migrate"], url_for(admin_url, database.name, user=role), migrations)
    found = assert_clean_failure(run, 1, "migration.failed")
    assert found["sqlstate"] == "42501"
    assert "privilege" in str(found["hint"])
    assert database.tables() == set()


@pytest.fixture(scope="module")
def password_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL that checks passwords (scram-sha-256), from the pgserver package."""
    import pgserver

    directory = tmp_path_factory.mktemp("scram") / "pg"
    server = pgserver.get_server(str(directory), cleanup_mode="delete")
    try:
        with psycopg.connect(server.get_uri(), autocommit=True) as conn:
            conn.execute("SET password_encryption = 'scram-sha-256'")
            conn.execute("CREATE ROLE aim LOGIN PASSWORD 'right-password'")
            hba = Path(conn.execute("SHOW hba_file").fetchone()[0])  # type: ignore[index]
            hba.write_text(
                "local all postgres trust\nlocal all all scram-sha-256\n"
                "host all all 127.0.0.1/32 scram-sha-256\n"
            )
            conn.execute("SELECT pg_reload_conf()")
            socket_dir = conn.execute("SHOW unix_socket_directories").fetchone()[0]  # type: ignore[index]
        yield str(socket_dir).split(",")[0]
    finally:
        server.cleanup()


def test_wrong_password_fails_at_once_and_is_never_echoed(
    password_server: str, tmp_path: Path
) -> None:
    wrong = f"wrong-{uuid.uuid4().hex[:8]}"
    migrations = write_migrations(tmp_path / "m", GOOD)
    url = f"postgresql://aim:{wrong}@/postgres?host={password_server}"
    run = run_cli(["migrate"], url, migrations, AIM_CONNECT_TIMEOUT="30s")
    found = assert_clean_failure(run, 4, "db.connect_failed")
    assert "password authentication failed" in str(found["cause"])
    assert found["attempts"] == 1
    assert wrong not in run.stdout + run.stderr
    right = run_cli(
        ["status"], f"postgresql://aim:right-password@/postgres?host={password_server}", migrations
    )
    assert right.code == 0, right.stderr  # the same server accepts the right one


def test_the_password_is_not_in_the_process_title(database: Database, tmp_path: Path) -> None:
    from tests.conftest import PLANTED_PASSWORD, start_cli
    from tests.test_concurrency import wait_for_sleeping_statement

    migrations = write_migrations(tmp_path / "m", {"001_slow.sql": "SELECT pg_sleep(5);"})
    proc = start_cli(["migrate"], database.url, migrations)
    try:
        wait_for_sleeping_statement(database)
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        assert PLANTED_PASSWORD.encode() not in cmdline
        title = database.scalar(
            "SELECT application_name || ' ' || coalesce(query, '') FROM pg_stat_activity "
            "WHERE application_name = 'aim-migrate' AND datname = current_database()"
        )
        assert PLANTED_PASSWORD not in title
    finally:
        proc.kill()
        proc.communicate()
