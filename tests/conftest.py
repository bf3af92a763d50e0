"""Shared fixtures: a real PostgreSQL, a fresh database per test, and ways to run the CLI.

The server is, in order: AIM_TEST_ADMIN_URL if set; the local server on 127.0.0.1:5432
(started with pg_ctlcluster if it is installed but down); else (or with AIM_TEST_EMBEDDED=1)
an embedded server from the `pgserver` package. Nothing here mocks the database.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import conninfo as pg_conninfo
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
LOCAL_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _reachable(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def _start_local_cluster() -> None:
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if versions and shutil.which("pg_ctlcluster"):
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
            check=False,
            capture_output=True,
            timeout=60,
        )


@pytest.fixture(scope="session")
def admin_url() -> Iterator[str]:
    explicit = os.environ.get("AIM_TEST_ADMIN_URL")
    if explicit:
        yield explicit
        return
    if os.environ.get("AIM_TEST_EMBEDDED") != "1":
        if not _reachable(LOCAL_ADMIN_URL):
            _start_local_cluster()
        if _reachable(LOCAL_ADMIN_URL):
            yield LOCAL_ADMIN_URL
            return
    import pgserver  # the embedded fallback: a real PostgreSQL shipped in a wheel

    directory = tempfile.mkdtemp(prefix="aim-test-pg-")
    server = pgserver.get_server(directory, cleanup_mode="delete")
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()


# Planted in every test database URL (the test servers trust local connections, so it is
# never checked); no output of any run may ever contain it.
PLANTED_PASSWORD = "planted-Pw-" + uuid.uuid4().hex[:10]


def url_for(admin_url: str, dbname: str, **overrides: str) -> str:
    params: dict[str, Any] = {**pg_conninfo.conninfo_to_dict(admin_url), "dbname": dbname}
    params["password"] = PLANTED_PASSWORD
    params.update(overrides)
    return pg_conninfo.make_conninfo("", **params)


@dataclass
class Database:
    name: str
    url: str
    admin_url: str

    def connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url, autocommit=True)

    def query(self, query: str, params: Any = None) -> list[tuple[Any, ...]]:
        with self.connect() as conn:
            return conn.execute(query, params).fetchall()  # type: ignore[arg-type]

    def scalar(self, query: str, params: Any = None) -> Any:
        rows = self.query(query, params)
        return rows[0][0] if rows else None

    def tables(self, schema: str = "public") -> set[str]:
        return {
            r[0]
            for r in self.query("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,))
        }

    def history(self, schema: str = "public") -> list[tuple[Any, ...]]:
        return self.query(
            sql.SQL("SELECT version, track, status, checksum FROM {} ORDER BY version")
            .format(sql.Identifier(schema, "schema_migrations"))
            .as_string()
        )

    def advisory_locks(self) -> int:
        return int(
            self.scalar(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        )


@pytest.fixture
def database(admin_url: str) -> Iterator[Database]:
    name = f"aimtest_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield Database(name, url_for(admin_url, name), admin_url)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def write_migrations(directory: Path, files: dict[str, str | bytes]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = directory / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return directory


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def __post_init__(self) -> None:
        assert PLANTED_PASSWORD not in self.stdout + self.stderr, "the password leaked"

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every log line (one JSON object per line), parsed; a malformed one fails the test.

        Reports printed by status/plan/verify (multi-line JSON or text) are not log lines.
        """
        out = []
        for stream in (self.stdout, self.stderr):
            for line in stream.splitlines():
                if line.startswith('{"'):
                    out.append(json.loads(line))
        return out

    def event(self, name: str) -> dict[str, Any]:
        matches = [e for e in self.events if e["event"] == name]
        assert matches, f"no {name!r} event in:\n{self.stdout}\n{self.stderr}"
        return matches[-1]

    def names(self) -> list[str]:
        return [e["event"] for e in self.events]


def cli_env(url: str | None, migrations: Path | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIM_", "PG", "DATABASE_URL"))}
    env["AIM_LOG_FORMAT"] = "json"
    env["PYTHONPATH"] = str(ROOT / "app")  # the source root of the aim_migrate package
    if url is not None:
        env["DATABASE_URL"] = url
    if migrations is not None:
        env["AIM_MIGRATIONS_DIR"] = str(migrations)
    env.update(extra)
    return env


def run_cli(
    args: list[str], url: str | None, migrations: Path | None, timeout: float = 120, **extra: str
) -> Run:
    """Run `python -m aim_migrate` as a separate process, the way a Job or init container does."""
    proc = subprocess.run(
        [sys.executable, "-m", "aim_migrate", *args],
        env=cli_env(url, migrations, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def start_cli(
    args: list[str], url: str | None, migrations: Path | None, **extra: str
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "aim_migrate", *args],
        env=cli_env(url, migrations, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def finish(proc: subprocess.Popen[str], timeout: float = 120) -> Run:
    stdout, stderr = proc.communicate(timeout=timeout)
    return Run(proc.returncode, stdout, stderr)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Pushgateway:
    url: str

    def groups(self) -> list[dict[str, Any]]:
        import urllib.request

        with urllib.request.urlopen(f"{self.url}/api/v1/metrics", timeout=5) as response:
            return list(json.load(response)["data"])

    def metrics(self, **labels: str) -> dict[str, tuple[float, dict[str, str]]]:
        """name -> (value, labels) of the one group whose grouping labels include `labels`."""
        groups = [g for g in self.groups() if labels.items() <= g["labels"].items()]
        assert len(groups) == 1, groups
        out = {}
        for name, family in groups[0].items():
            if name.startswith("aim_migrate_"):
                (sample,) = family["metrics"]
                out[name] = (float(sample["value"]), sample["labels"])
        return out


def start_pushgateway(
    tmp_dir: Path, web_config: str | None = None
) -> tuple[subprocess.Popen[bytes], Pushgateway]:
    binary = shutil.which("prometheus-pushgateway") or shutil.which("pushgateway")
    if binary is None:
        message = "prometheus-pushgateway is not installed (scripts/test installs it as root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    port = _free_port()
    args = [binary, f"--web.listen-address=127.0.0.1:{port}", "--persistence.file="]
    if web_config is not None:
        config = tmp_dir / "web.yml"
        config.write_text(web_config)
        args.append(f"--web.config.file={config}")
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    gateway = Pushgateway(f"http://127.0.0.1:{port}")
    import time
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(f"{gateway.url}/-/ready", timeout=1).close()
            break
        except urllib.error.HTTPError:
            break  # answering (401 with basic auth on): ready
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("the Pushgateway did not start")
            time.sleep(0.05)
    return proc, gateway


@pytest.fixture(scope="session")
def pushgateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pushgateway]:
    """A real Pushgateway (Debian's prometheus-pushgateway) on a free loopback port."""
    proc, gateway = start_pushgateway(tmp_path_factory.mktemp("pushgateway"))
    try:
        yield gateway
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def temporary_role(database: Database, prefix: str, *, login: bool = False) -> Iterator[str]:
    """A role for one test. Roles are cluster-wide: at the end the test database (with what
    the role owns there) is dropped first, then the role."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    create = "CREATE ROLE {} LOGIN" if login else "CREATE ROLE {}"
    with psycopg.connect(database.admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL(create).format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with psycopg.connect(database.admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(database.name)
                )
            )
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
