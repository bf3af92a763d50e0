"""Configuration and environment errors (issue 11, cases 9 and 10): each is one clear event
with a stable exit code, caught before anything changes, and never echoes a secret."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from aim_migrate.errors import ExitCode, UsageError
from aim_migrate.lock import lock_key
from psycopg import sql

from tests.conftest import (
    ROOT,
    Database,
    Run,
    cli_env,
    finish,
    run_cli,
    start_cli,
    url_for,
    write_migrations,
)
from tests.test_bad_input import assert_clean_failure
from tests.test_concurrency import wait_for

GOOD = {"001_a.sql": "CREATE TABLE a (id int);", "002_b.sql": "CREATE TABLE b (id int);"}


def secret() -> str:
    """A unique string planted in a malformed value: it must appear in no output."""
    return f"Sekr1t{uuid.uuid4().hex[:12]}"


def assert_not_leaked(run: Run, *secrets: str) -> None:
    for text in secrets:
        assert text not in run.stdout + run.stderr, f"{text!r} leaked"


# --- 1. a connection lost outside a migration ------------------------------------------------


def test_connection_lost_while_waiting_for_the_lock_exits_4(
    database: Database, tmp_path: Path
) -> None:
    migrations = write_migrations(tmp_path / "m", GOOD)
    waiting = (
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'aim-migrate' "
        "AND datname = current_database() AND query LIKE '%pg_try_advisory_lock%'"
    )
    with database.connect() as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (lock_key("public.schema_migrations"),))
        proc = start_cli(["migrate"], database.url, migrations, AIM_LOCK_TIMEOUT="60s")
        try:
            wait_for(lambda: database.scalar(waiting) is not None, "the runner to wait")
            database.query(f"SELECT pg_terminate_backend(pid) FROM ({waiting}) AS w")
            run = finish(proc, timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    found = assert_clean_failure(run, 4, "db.connection_lost")
    assert "re-run" in str(found["hint"])
    assert "db.error" not in run.names()
    assert database.tables() == set()  # no history table, no migration
    assert database.advisory_locks() == 0
    rerun = run_cli(["migrate"], database.url, migrations)
    assert rerun.code == 0, rerun.stdout + rerun.stderr
    assert database.tables() == {"a", "b", "schema_migrations"}


def test_only_connection_errors_count_as_a_lost_connection() -> None:
    from aim_migrate.cli import _connection_lost
    from psycopg import errors as pg_errors

    assert _connection_lost(pg_errors.AdminShutdown("terminating connection"))  # 57P01
    assert _connection_lost(pg_errors.ConnectionFailure("gone"))  # 08006
    assert _connection_lost(psycopg.OperationalError("server closed the connection"))
    assert not _connection_lost(pg_errors.QueryCanceled("statement timeout"))  # 57014
    assert not _connection_lost(pg_errors.LockNotAvailable("lock timeout"))  # 55P03
    assert not _connection_lost(pg_errors.InsufficientPrivilege("denied"))
    assert not _connection_lost(RuntimeError("a bug"))


# --- 2. usage errors are exit 2 ---------------------------------------------------------------


@pytest.mark.parametrize("args", [["--steps", "0"], ["--steps", "-2"], ["--to", "-1"]])
def test_down_with_an_out_of_range_count_is_a_usage_error(
    database: Database, tmp_path: Path, args: list[str]
) -> None:
    migrations = write_migrations(tmp_path / "m", GOOD)
    assert run_cli(["migrate"], database.url, migrations).code == 0
    run = run_cli(["down", *args], database.url, migrations)
    assert_clean_failure(run, 2, "usage.invalid")
    assert "db.connected" not in run.names()  # refused at argument parsing
    assert [r[0] for r in database.history()] == ["001_a", "002_b"]


def test_plan_down_usage_errors_are_exit_2() -> None:
    from aim_migrate.rollback import plan_down
    from aim_migrate.source import MigrationSet

    empty = MigrationSet(Path("."), None, (), ())
    state: Any = None  # refused before the database state is looked at
    for steps, to in ((0, None), (None, None), (1, 1), (None, -1)):
        with pytest.raises(UsageError) as caught:
            plan_down(empty, state, steps=steps, to=to, allow_data_loss=False)
        assert caught.value.exit_code == ExitCode.CONFIG
        assert caught.value.event == "usage.invalid"


# --- 3. files and values the runner cannot use ------------------------------------------------


def _drop_file_permission_override() -> None:
    """In the child: drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the bounding set, so
    that root (the test user) is refused a directory it has no permission on, as any other
    user would be; exec then gives root only the capabilities left in the bounding set."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def run_unprivileged(args: list[str], url: str, migrations: Path) -> Run:
    preexec = _drop_file_permission_override if os.geteuid() == 0 else None
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "aim_migrate", *args],
            env=cli_env(url, migrations),
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
            check=False,
            preexec_fn=preexec,  # the test process runs no other threads
        )
    except subprocess.SubprocessError as exc:
        pytest.skip(f"cannot drop the file-permission capabilities here: {exc}")
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.mark.parametrize("case", ["unreadable", "parent-unreadable"])
def test_unreadable_migrations_directory(database: Database, tmp_path: Path, case: str) -> None:
    locked = tmp_path / "locked"
    migrations = write_migrations(locked / "m" if case == "parent-unreadable" else locked, GOOD)
    locked.chmod(0)
    try:
        run = run_unprivileged(["migrate"], database.url, migrations)
    finally:
        locked.chmod(0o755)
    found = assert_clean_failure(run, 3, "validation.failed")
    assert found["file"] == str(migrations)
    assert "Permission denied" in str(found["message"])
    assert database.tables() == set()


@pytest.mark.parametrize("case", ["file-loop", "file-loop-pair", "directory-loop"])
def test_symlink_loops_are_validation_errors(database: Database, tmp_path: Path, case: str) -> None:
    migrations = write_migrations(tmp_path / "m", GOOD)
    if case == "file-loop":
        (migrations / "003_loop.sql").symlink_to("003_loop.sql")
        named = "003_loop.sql"
    elif case == "file-loop-pair":
        (migrations / "003_x.sql").symlink_to("004_y.sql")
        (migrations / "004_y.sql").symlink_to("003_x.sql")
        named = "003_x.sql"
    else:
        migrations = tmp_path / "loop"
        migrations.symlink_to("loop")
        named = str(migrations)
    run = run_cli(["migrate"], database.url, migrations)
    found = assert_clean_failure(run, 3, "validation.failed")
    assert named in str(found["file"])
    assert "symlink loop" in str(found["message"])
    assert database.tables() == set()


@pytest.mark.parametrize(
    "host",
    ["h" * 100_000, "a" * 64 + ".example.com", "a..b", ",".join(["db", "x" * 300])],
    ids=["100kB", "long-label", "empty-label", "second-host"],
)
def test_an_impossible_host_name_is_a_configuration_error(tmp_path: Path, host: str) -> None:
    migrations = write_migrations(tmp_path / "m", GOOD)
    planted = secret()
    run = run_cli(["migrate"], f"postgresql://aim:{planted}@{host}/db", migrations)
    found = assert_clean_failure(run, 2, "config.invalid")
    assert found["variable"] == "DATABASE_URL"
    assert "host" in str(found["message"])
    assert "x" * 300 not in run.stdout + run.stderr
    assert "h" * 1000 not in run.stdout + run.stderr
    assert_not_leaked(run, planted)


def test_an_impossible_pghost_is_a_configuration_error(tmp_path: Path) -> None:
    """Through PGHOST (not checked up front) the lookup's own error is caught instead."""
    migrations = write_migrations(tmp_path / "m", GOOD)
    run = run_cli(["migrate"], None, migrations, PGHOST="a" * 64, PGCONNECT_TIMEOUT="2")
    assert_clean_failure(run, 2, "config.invalid")


# --- 4. refused up front ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("AIM_DDL_LOCK_TIMEOUT", "1000h", "2147483647ms"),
        ("AIM_STATEMENT_TIMEOUT", "600h", "2147483647ms"),
        ("AIM_DDL_LOCK_TIMEOUT", "0.0001s", "no timeout"),
        ("AIM_STATEMENT_TIMEOUT", "0.5ms", "no timeout"),
        ("AIM_LOCK_TIMEOUT", "9" * 400, "too large"),
        ("AIM_SCHEMA", "pg_x", "reserved"),
    ],
)
def test_impossible_settings_are_refused_before_connecting(
    database: Database, tmp_path: Path, variable: str, value: str, words: str
) -> None:
    migrations = write_migrations(tmp_path / "m", GOOD)
    run = run_cli(["migrate"], database.url, migrations, **{variable: value})
    found = assert_clean_failure(run, 2, "config.invalid")
    assert found["variable"] == variable
    assert words in str(found["message"])
    assert "db.connected" not in run.names()
    assert database.tables() == set()


def test_impossible_timeout_flag_is_refused(database: Database, tmp_path: Path) -> None:
    migrations = write_migrations(tmp_path / "m", GOOD)
    run = run_cli(["migrate", "--ddl-lock-timeout", "1000h"], database.url, migrations)
    found = assert_clean_failure(run, 2, "config.invalid")
    assert "--ddl-lock-timeout" in str(found["message"])
    assert database.tables() == set()


def test_timeouts_at_the_limits_are_accepted(database: Database, tmp_path: Path) -> None:
    migrations = write_migrations(tmp_path / "m", GOOD)
    run = run_cli(
        ["migrate"],
        database.url,
        migrations,
        AIM_DDL_LOCK_TIMEOUT="1ms",
        AIM_STATEMENT_TIMEOUT="2147483647ms",
    )
    assert run.code == 0, run.stdout + run.stderr
    assert "a" in database.tables()


def test_empty_database_url_file_names_the_file_and_never_falls_back(
    database: Database, tmp_path: Path
) -> None:
    migrations = write_migrations(tmp_path / "m", GOOD)
    url_file = tmp_path / "url"
    url_file.write_text("\n")
    params = psycopg.conninfo.conninfo_to_dict(database.url)
    # The PG* variables name a working database: a fallback would migrate it.
    run = run_cli(
        ["migrate"],
        None,
        migrations,
        DATABASE_URL_FILE=str(url_file),
        PGHOST=str(params["host"]),
        PGPORT=str(params.get("port") or 5432),
        PGUSER=str(params["user"]),
        PGDATABASE=database.name,
    )
    found = assert_clean_failure(run, 2, "config.invalid")
    assert found["file"] == str(url_file)
    assert str(url_file) in str(found["message"])
    assert database.tables() == set()


@pytest.fixture
def role_without_createdb(admin_url: str) -> str:
    role = "aimtest_no_createdb"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB").format(sql.Identifier(role))
            )
    return role


def test_verify_without_createdb_says_which_privilege_is_missing(
    admin_url: str, role_without_createdb: str
) -> None:
    dev_url = url_for(admin_url, "postgres", user=role_without_createdb)

    def scratch_databases() -> int:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_database WHERE datname LIKE 'aim_verify_%'"
            ).fetchone()
        assert row is not None
        return int(row[0])

    before = scratch_databases()
    run = run_cli(["verify"], None, ROOT / "migrations", AIM_DEV_DATABASE_URL=dev_url)
    found = assert_clean_failure(run, 2, "verify.privilege_missing")
    assert found["privilege"] == "CREATEDB"
    assert "CREATEDB" in str(found["message"])
    assert role_without_createdb in str(found["message"])
    assert scratch_databases() == before


# --- 5. secrets in malformed configuration ---------------------------------------------------


def test_unencoded_at_in_the_password_is_refused_without_echo(
    database: Database, tmp_path: Path
) -> None:
    migrations = write_migrations(tmp_path / "m", GOOD)
    first, second = secret(), secret()
    params = psycopg.conninfo.conninfo_to_dict(database.url)
    host = f"{params['host']}:{params.get('port') or 5432}"
    for url in (
        f"postgresql://{params['user']}:{first}@{second}@{host}/{database.name}",
        f"postgresql://{params['user']}:{first}@{second}@{host}",
        f"postgresql://{params['user']}:{first}/{second}@{host}/{database.name}",
        f"postgresql://{params['user']}:12/{second}@{host}/{database.name}",
    ):
        run = run_cli(["migrate"], url, migrations)
        found = assert_clean_failure(run, 2, "config.invalid")
        assert "%40" in str(found["hint"])
        assert_not_leaked(run, first, second)
        assert all(second not in str(e.get("db_host", "")) for e in run.events)
    assert database.tables() == set()


def test_percent_encoded_at_in_the_password_is_accepted(database: Database, tmp_path: Path) -> None:
    migrations = write_migrations(tmp_path / "m", GOOD)
    params = psycopg.conninfo.conninfo_to_dict(database.url)
    url = (
        f"postgresql://{params['user']}:Sup3r%40ecret@{params['host']}:"
        f"{params.get('port') or 5432}/{database.name}"
    )
    run = run_cli(["migrate"], url, migrations)  # trust auth: the password is not checked
    assert run.code == 0, run.stdout + run.stderr
    assert run.event("run.finished")["db_host"] == params["host"]
    assert "ecret" not in run.stdout + run.stderr


@pytest.mark.parametrize(
    "template",
    [
        "postgresql//aim:{s}@localhost/db",  # missing ':'
        "postgresql://aim:{s}@localhost:port/db",
        "host=localhost password=ab {s}",  # an unquoted space in a key=value password
        "postgresql://aim:x@{s}@localhost/db",
    ],
)
def test_malformed_dev_database_url_is_never_echoed(tmp_path: Path, template: str) -> None:
    planted = secret()
    run = run_cli(
        ["verify"], None, ROOT / "migrations", AIM_DEV_DATABASE_URL=template.format(s=planted)
    )
    found = assert_clean_failure(run, 2, "config.invalid")
    assert found["variable"] == "AIM_DEV_DATABASE_URL"
    assert_not_leaked(run, planted)


@pytest.mark.parametrize(
    "template",
    ["postgresql//aim:{s}@localhost/db", "host=localhost password=ab {s}"],
)
def test_malformed_database_url_is_never_echoed(tmp_path: Path, template: str) -> None:
    planted = secret()
    migrations = write_migrations(tmp_path / "m", GOOD)
    run = run_cli(["migrate"], template.format(s=planted), migrations)
    assert_clean_failure(run, 2, "config.invalid")
    assert_not_leaked(run, planted)
    url_file = tmp_path / "url"
    url_file.write_text(template.format(s=planted))
    from_file = run_cli(["migrate"], None, migrations, DATABASE_URL_FILE=str(url_file))
    found = assert_clean_failure(from_file, 2, "config.invalid")
    assert str(url_file) in str(found["message"])
    assert_not_leaked(from_file, planted)


@pytest.mark.parametrize(
    "template",
    [
        "http://user:{s}@gateway/",  # no port: urllib quotes 'secret@gateway' as the port
        "http://user:{s}@127.0.0.1:1/",  # nothing listens
        "user:{s}@gateway",
    ],
)
def test_pushgateway_credentials_in_the_url_are_never_logged(
    database: Database, tmp_path: Path, template: str
) -> None:
    planted = secret()
    migrations = write_migrations(tmp_path / "m", GOOD)
    run = run_cli(
        ["migrate"],
        database.url,
        migrations,
        AIM_PUSHGATEWAY_URL=template.format(s=planted),
        AIM_PUSHGATEWAY_TIMEOUT="2s",
    )
    assert run.code == 0, run.stdout + run.stderr  # a failed push does not fail the run
    failed = run.event("metrics.push_failed")
    assert "AIM_PUSHGATEWAY_PASSWORD" in str(failed["hint"])
    assert_not_leaked(run, planted)
    assert "a" in database.tables()


@pytest.mark.parametrize(
    "args",
    [
        ["migrate", "--databse-url=postgresql://aim:{s}@localhost/db"],  # a typo
        ["migrate", "--database-ur=postgresql://aim:{s}@localhost/db"],  # ambiguous prefix
        ["migrate", "--pushgateway-pasword", "{s}"],
        ["migrate", "postgresql://aim:{s}@localhost/db"],
        ["postgresql://aim:{s}@localhost/db"],
        ["status", "--database-url", "postgresql://aim:{s}@localhost/db", "--frobnicate"],
    ],
)
def test_command_line_mistakes_do_not_echo_secrets(tmp_path: Path, args: list[str]) -> None:
    planted = secret()
    run = run_cli([a.format(s=planted) for a in args], None, tmp_path)
    assert_clean_failure(run, 2, "usage.invalid")
    assert_not_leaked(run, planted)


def test_which_variables_are_never_echoed() -> None:
    from aim_migrate.config import OPTIONS, is_secret, resolve
    from aim_migrate.errors import ConfigError

    assert {o.env for o in OPTIONS if is_secret(o)} >= {
        "DATABASE_URL",
        "DATABASE_URL_FILE",
        "AIM_DEV_DATABASE_URL",
        "AIM_PUSHGATEWAY_URL",
        "AIM_PUSHGATEWAY_USERNAME",
        "AIM_PUSHGATEWAY_PASSWORD",
    }
    with pytest.raises(ConfigError) as caught:
        resolve({}, {"AIM_DDL_LOCK_RETRIES": "three"})
    assert "three" in str(caught.value)  # not a secret: shown, to help


def test_redact_removes_credentials_from_library_messages() -> None:
    from aim_migrate.config import redact, url_secrets

    assert (
        redact("invalid choice: 'postgresql://u:pw@h/db'")
        == "invalid choice: 'postgresql://***@h/db'"
    )
    assert (
        redact('missing "=" after "postgresql//u:pw@h"') == 'missing "=" after "postgresql//***@h"'
    )
    assert redact("host=h password=pw dbname=d") == "host=h password=*** dbname=d"
    assert redact("nonnumeric port: 'pw@gateway'", url_secrets("http://u:pw@gateway/")) == (
        "nonnumeric port: '***@gateway'"
    )
    assert url_secrets("postgresql://postgres@localhost/db") == []  # a user name is no secret
