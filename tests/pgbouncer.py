"""A real PgBouncer (Debian's `pgbouncer`) in front of the test server, for the pooler tests.

`start_pgbouncer(admin_url, mode)` runs one on a free loopback port with `pool_mode` set to
`transaction` or `session`, forwarding every database (`* = host=... port=...`) to the
server of the `admin_url` fixture, a TCP address or a unix socket directory (the embedded
pgserver). PgBouncer refuses to run as root, so as root it runs as the `postgres` OS user
(`-u`), or as the owner of the server's socket directory; its ini, auth file, log and
unix socket live in a temporary directory owned by that user.

Clients authenticate with `auth_type = trust` (PgBouncer still wants the user in its auth
file); PgBouncer logs into the server as the client's user with the auth file's password, the
admin URL's if it has one. The planted password of `url_for` stays in client URLs, so the
leak checks of `Run` keep working.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import conninfo as pg_conninfo

from tests.conftest import url_for

BINARY_CANDIDATES = ("pgbouncer", "/usr/sbin/pgbouncer")
POOL_MODES = ("transaction", "session")


def pgbouncer_binary() -> str | None:
    for candidate in BINARY_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _quote(value: str) -> str:
    """A value in a PgBouncer connection string or auth file line."""
    return '"' + value.replace('"', '""') + '"'


@dataclass
class PgBouncer:
    mode: str
    port: int
    admin_url: str
    directory: Path
    process: subprocess.Popen[bytes]

    @property
    def logfile(self) -> Path:
        return self.directory / "pgbouncer.log"

    def url(self, dbname: str, **overrides: str) -> str:
        """The URL of `dbname` through this bouncer, with the planted password of url_for."""
        return url_for(self.admin_url, dbname, host="127.0.0.1", port=str(self.port), **overrides)

    def connect(self, dbname: str, **kwargs: Any) -> psycopg.Connection[Any]:
        """A client connection through the bouncer; no server-side prepared statements (they
        would not survive a transaction pooler)."""
        kwargs.setdefault("autocommit", True)
        conn = psycopg.connect(self.url(dbname), **kwargs)
        conn.prepare_threshold = None
        return conn

    def show(self, what: str) -> list[dict[str, Any]]:
        """`SHOW <what>` on PgBouncer's admin console (POOLS, SERVERS, CLIENTS, ...)."""
        with psycopg.connect(self.url("pgbouncer"), autocommit=True) as conn:
            cursor = conn.execute(f"SHOW {what}")  # the console takes no parameters
            columns = [column.name for column in cursor.description or ()]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def pool(self, dbname: str) -> dict[str, Any] | None:
        """The `SHOW POOLS` row of `dbname`, None before anything connected to it."""
        rows = [row for row in self.show("POOLS") if row["database"] == dbname]
        return rows[0] if rows else None

    def server_pids(self, dbname: str) -> set[int]:
        """Server backend pids of the bouncer's connections to `dbname` (`SHOW SERVERS`)."""
        return {int(row["remote_pid"]) for row in self.show("SERVERS") if row["database"] == dbname}

    def wait_idle(self, dbname: str, limit: float = 15.0) -> dict[str, Any] | None:
        """Wait until no client of `dbname` is connected and each server connection is idle.

        Clients that exited are noticed by PgBouncer a moment later, and in session mode it
        then resets their server connections (DISCARD ALL); only after that does what the
        server shows belong to the pool rather than to a client that is still leaving.
        """
        deadline = time.monotonic() + limit
        while True:
            pool = self.pool(dbname)
            busy = ("cl_active", "cl_waiting", "sv_active", "sv_tested", "sv_login")
            if pool is None or not any(pool[key] for key in busy):
                return pool
            if time.monotonic() > deadline:
                pytest.fail(f"PgBouncer's pool of {dbname} did not become idle: {pool}")
            time.sleep(0.05)

    def log(self) -> str:
        try:
            return self.logfile.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.directory, ignore_errors=True)


def _server_target(admin_url: str) -> tuple[str, str, str, str]:
    """Host (or socket directory), port, user and password of the test server."""
    params = pg_conninfo.conninfo_to_dict(admin_url)
    host = str(params.get("host") or os.environ.get("PGHOST") or "/var/run/postgresql")
    host = host.split(",", maxsplit=1)[0]
    port = str(params.get("port") or "5432").split(",", maxsplit=1)[0]
    user = str(params.get("user") or pwd.getpwuid(os.getuid()).pw_name)
    password = str(params.get("password") or "")
    return host, port, user, password


def _run_as(host: str) -> str | None:
    """The OS user to run PgBouncer as: None when not root (run as ourselves)."""
    if os.geteuid() != 0:
        return None
    if host.startswith("/"):
        owner = os.stat(host).st_uid
        if owner != 0:
            return pwd.getpwuid(owner).pw_name  # can surely reach its own server's socket
    return "postgres"


def start_pgbouncer(
    admin_url: str,
    mode: str,
    *,
    default_pool_size: int = 20,
    max_client_conn: int = 200,
) -> PgBouncer:
    """Start a PgBouncer in `mode` in front of the server of `admin_url`; wait until it answers."""
    assert mode in POOL_MODES, mode
    binary = pgbouncer_binary()
    if binary is None:
        message = "pgbouncer is not installed (scripts/test installs it as root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    host, server_port, user, password = _server_target(admin_url)
    run_as = _run_as(host)

    directory = Path(tempfile.mkdtemp(prefix=f"aim-pgbouncer-{mode}-"))
    port = _free_port()
    auth_file = directory / "userlist.txt"
    auth_file.write_text(f"{_quote(user)} {_quote(password)}\n")
    ini = directory / "pgbouncer.ini"
    ini.write_text(
        "[databases]\n"
        f"* = host={host} port={server_port}\n"
        "\n[pgbouncer]\n"
        "listen_addr = 127.0.0.1\n"
        f"listen_port = {port}\n"
        f"unix_socket_dir = {directory}\n"
        "auth_type = trust\n"
        f"auth_file = {auth_file}\n"
        f"admin_users = {user}\n"
        f"pool_mode = {mode}\n"
        f"default_pool_size = {default_pool_size}\n"
        "min_pool_size = 0\n"
        "reserve_pool_size = 0\n"
        f"max_client_conn = {max_client_conn}\n"
        "max_db_connections = 0\n"
        # psycopg and libpq send these; PgBouncer 1.18 refuses unknown startup parameters.
        "ignore_startup_parameters = extra_float_digits,options\n"
        "server_login_retry = 1\n"
        "log_connections = 0\n"
        "log_disconnections = 0\n"
    )
    if run_as is not None:
        account = pwd.getpwnam(run_as)
        for path in (directory, auth_file, ini):
            os.chown(path, account.pw_uid, account.pw_gid)
    os.chmod(directory, 0o700)

    args = [binary, *(["-u", run_as] if run_as else []), str(ini)]
    with (directory / "pgbouncer.log").open("wb") as log:  # its log goes to stderr
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log)
    bouncer = PgBouncer(mode, port, admin_url, directory, process)
    deadline = time.monotonic() + 20
    while True:
        try:
            with bouncer.connect("postgres", connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return bouncer
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline or process.poll() is not None:
                output = bouncer.log()
                bouncer.stop()
                pytest.fail(f"PgBouncer ({mode}) did not start: {exc}\n{output}")
            time.sleep(0.05)


def _bouncer_fixture(admin_url: str, mode: str) -> Iterator[PgBouncer]:
    bouncer = start_pgbouncer(admin_url, mode)
    try:
        yield bouncer
    finally:
        bouncer.stop()


@pytest.fixture(scope="session")
def transaction_bouncer(admin_url: str) -> Iterator[PgBouncer]:
    """A real PgBouncer with pool_mode = transaction in front of the test server."""
    yield from _bouncer_fixture(admin_url, "transaction")


@pytest.fixture(scope="session")
def session_bouncer(admin_url: str) -> Iterator[PgBouncer]:
    """A real PgBouncer with pool_mode = session in front of the test server."""
    yield from _bouncer_fixture(admin_url, "session")
