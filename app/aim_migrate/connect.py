"""Connecting: where the URL comes from, retries until a deadline, and session settings.

The password never leaves this module: logs get `target_fields()` (host, port, database,
user), and errors about an unparsable URL do not echo it.
"""

from __future__ import annotations

import os
import socket
import time
from typing import TYPE_CHECKING

import psycopg
from psycopg import conninfo as pg_conninfo
from psycopg import sql

from aim_migrate.errors import ConfigError, ConnectError

if TYPE_CHECKING:
    from psycopg.rows import TupleRow

    from aim_migrate.config import Config
    from aim_migrate.logs import Logger

_PG_ENV = ("PGHOST", "PGHOSTADDR", "PGSERVICE", "PGDATABASE")
# libpq reports these before any retry could help; waiting would only delay the failure.
_FATAL_MARKERS = (
    "password authentication failed",
    "no password supplied",
    "authentication failed",
    "no pg_hba.conf entry",
    "does not exist",
    "certificate",
    "does not support SSL",
    "sslmode",
)


def conninfo_from(config: Config, environ: dict[str, str] | None = None) -> str:
    """The connection string to use; a configuration error if none was given."""
    from aim_migrate.config import check_conninfo  # noqa: PLC0415 - loaded already by the CLI

    env = os.environ if environ is None else environ
    if config.database_url and config.database_url_file:
        raise ConfigError(
            "Both DATABASE_URL and DATABASE_URL_FILE are set.",
            hint="Set only one of them.",
        )
    url = config.database_url
    source = "DATABASE_URL"
    if config.database_url_file is not None:
        path = str(config.database_url_file)
        source = f"The URL in DATABASE_URL_FILE {path!r}"
        try:
            url = config.database_url_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"Cannot read DATABASE_URL_FILE {path!r}: "
                f"{getattr(exc, 'strerror', None) or 'not UTF-8 text'}.",
                hint="Check that the Secret is mounted at that path.",
                file=path,
            ) from None
        if not url:
            # Never fall back to the PG* variables: an empty Secret is a mistake to report.
            raise ConfigError(
                f"DATABASE_URL_FILE {path!r} is empty.",
                hint="Put the connection URL into the Secret (check its key and that the "
                "volume mounts the right Secret); the PG* variables are not used when "
                "DATABASE_URL_FILE is set.",
                file=path,
            )
    if url:
        check_conninfo(url, source)
        return url
    if any(env.get(name) for name in _PG_ENV):
        return ""  # libpq reads PGHOST, PGUSER, PGPASSWORD, ... itself
    raise ConfigError(
        "No database configured.",
        hint="Set DATABASE_URL (or DATABASE_URL_FILE, or the libpq PG* variables). For a "
        "throwaway local database, pass --embedded explicitly.",
    )


def target_fields(conninfo: str) -> dict[str, object]:
    """Host, port and database of a connection string: safe to log (on every line)."""
    params = pg_conninfo.conninfo_to_dict(conninfo)
    host = str(params.get("host") or os.environ.get("PGHOST") or "localhost")
    abstract = "@" if host.startswith("@") else ""  # a Linux abstract socket name
    if "@" in host[len(abstract) :]:
        # Only a mistyped URL (an unencoded '@' in the password) puts one there, and what
        # comes before it is a piece of the password. conninfo_from refuses such URLs.
        host = abstract + host.rpartition("@")[2]
    port = str(params.get("port") or os.environ.get("PGPORT") or 5432).split(",")[0]

    def shorten(value: str, limit: int = 255) -> str:
        return value if len(value) <= limit else f"{value[:limit]}...({len(value)} characters)"

    return {
        "db_host": shorten(host),
        "db_port": int(port) if port.isascii() and port.isdigit() else shorten(port),
        "db_name": shorten(str(params.get("dbname") or os.environ.get("PGDATABASE") or "")),
    }


def connect(conninfo: str, config: Config, log: Logger) -> psycopg.Connection[TupleRow]:
    """Connect in autocommit mode, retrying with backoff until the connect deadline."""
    deadline = time.monotonic() + config.connect_timeout
    delay, attempt = 0.25, 0
    while True:
        attempt += 1
        remaining = deadline - time.monotonic()
        try:
            conn = psycopg.connect(
                conninfo,
                autocommit=True,
                application_name=config.application_name,
                client_encoding="UTF8",  # migration files are UTF-8, whatever the database's
                connect_timeout=max(2, min(10, int(remaining) + 1)),
            )
            # Never server-side prepared statements: through a transaction pooler the next
            # execution may reach a server connection that never saw the PREPARE.
            conn.prepare_threshold = None
        except UnicodeError as exc:  # raised by the host name lookup (idna), not by libpq
            raise ConfigError(
                f"The database host name is not valid ({_first_line(exc)}).",
                hint="Check the host in DATABASE_URL or PGHOST: at most 253 characters, each "
                "part between dots 1 to 63 characters.",
            ) from None
        except psycopg.OperationalError as exc:
            reason = _first_line(exc)
            fatal = any(marker in reason for marker in _FATAL_MARKERS)
            remaining = deadline - time.monotonic()
            if fatal or remaining <= 0:
                raise ConnectError(
                    f"Cannot connect to the database: {reason}",
                    hint=(
                        "Check the user, password, database name and TLS settings."
                        if fatal
                        else "Check that the database is running and reachable, or raise "
                        "AIM_CONNECT_TIMEOUT if it starts slowly."
                    ),
                    attempts=attempt,
                    cause=reason,
                ) from None
            log.warning(
                "db.connect_retry",
                attempt=attempt,
                cause=reason,
                retry_in_s=round(min(delay, remaining), 2),
            )
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 2.0)
            continue
        log.info(
            "db.connected",
            attempt=attempt,
            server_version=conn.info.server_version,
            backend_pid=conn.info.backend_pid,
            user=conn.info.user,
        )
        return conn


def runner_settings(config: Config, conn: psycopg.Connection[TupleRow]) -> dict[str, str]:
    """What every migration statement runs with."""
    search_path = (
        config.schema if config.schema == "public" else f"{_quote_ident(config.schema)}, public"
    )
    settings: dict[str, str] = {
        "lock_timeout": f"{int(config.ddl_lock_timeout * 1000)}ms",
        "statement_timeout": f"{int(config.statement_timeout * 1000)}ms",
        "search_path": search_path,
        "idle_in_transaction_session_timeout": "0",
    }
    return settings | _liveness_settings(conn)


def _liveness_settings(conn: psycopg.Connection[TupleRow]) -> dict[str, str]:
    """Find out quickly that a killed runner is gone, so its lock and transaction go too."""
    settings = {
        "tcp_keepalives_idle": "15",
        "tcp_keepalives_interval": "5",
        "tcp_keepalives_count": "3",
    }
    if conn.info.server_version >= 140000:
        # The server notices a vanished client even while it is busy running a statement.
        settings["client_connection_check_interval"] = "2000"
    return settings


def set_config_sql(settings: dict[str, str], *, local: bool) -> sql.Composed:
    """`set_config(name, value, is_local), ...`: the items of one SELECT."""
    return sql.SQL(", ").join(
        sql.SQL("set_config({}, {}, {})").format(sql.Literal(k), sql.Literal(v), sql.Literal(local))
        for k, v in settings.items()
    )


def local_settings_sql(config: Config, conn: psycopg.Connection[TupleRow]) -> sql.Composed:
    """The runner's settings for one transaction only (SET LOCAL): they cannot leak, neither
    into the next migration nor, through a pooler, into another client's server connection."""
    return set_config_sql(runner_settings(config, conn), local=True)


def apply_session_settings(conn: psycopg.Connection[TupleRow], config: Config) -> None:
    """The runner's settings for this session: only for `no-transaction` migrations, which run
    on a direct connection (a transaction pooler is refused for them)."""
    conn.execute(
        sql.SQL("SELECT {}").format(set_config_sql(runner_settings(config, conn), local=False))
    )


# Everything DISCARD ALL does except pg_advisory_unlock_all(), which would drop the session
# lock: role and session authorization, every setting (client_encoding back to the UTF8 we
# connected with), cursors, prepared statements, LISTEN registrations, cached plans, temporary
# tables and sequence state. Inside a migration's transaction it runs last, so the session
# commits in the state it started in; in autocommit it runs after a no-transaction migration.
_RESET_SESSION = (
    "SET SESSION AUTHORIZATION DEFAULT; RESET ROLE; RESET ALL; CLOSE ALL; DEALLOCATE ALL; "
    "UNLISTEN *; DISCARD PLANS; DISCARD SEQUENCES; DISCARD TEMP"
)


def reset_session(conn: psycopg.Connection[TupleRow], *, session_lock: bool) -> None:
    """Undo whatever a migration did to the session. With the session lock held (a direct
    connection), the liveness settings that guard the lock are set again for the session."""
    if session_lock:
        keep = set_config_sql(_liveness_settings(conn), local=False)
        conn.execute(sql.SQL(_RESET_SESSION + "; SELECT {}").format(keep))
    else:
        conn.execute(_RESET_SESSION)


def keep_alive(conn: psycopg.Connection[TupleRow]) -> None:
    """Session-level liveness settings while this session holds the session lock."""
    conn.execute(sql.SQL("SELECT {}").format(set_config_sql(_liveness_settings(conn), local=False)))


DIRECT = "direct"  # nothing between us and the server
PROXY = "proxy"  # something in between that keeps our server session (as far as can be seen)
TRANSACTION_POOLER = "transaction-pooler"  # our server session can change between transactions


def route(conn: psycopg.Connection[TupleRow], conninfo: str, config: Config) -> str:
    """What lies between this connection and its server session.

    DIRECT when the server sees our own socket (its client port is our local port, or both
    ends are a unix socket). Otherwise something is in between (PgBouncer, a cloud SQL proxy,
    NAT), and an experiment tells whether it is a transaction pooler: between two queries of
    ours a second client, already connected, runs one; a transaction pooler hands it the server
    connection ours just released (PgBouncer reuses the most recently released one) or moves
    ours. Repeated, so other clients' traffic cannot hide it every time.
    """
    row = conn.execute("SELECT inet_client_port(), pg_backend_pid()").fetchone()
    assert row is not None
    server_sees, ours = row[0], int(row[1])
    local = _local_port(conn)
    if local == server_sees:  # the same TCP port, or None == None for a unix socket
        return DIRECT
    with psycopg.connect(
        conninfo,
        autocommit=True,
        application_name=config.application_name,
        connect_timeout=max(2, int(min(10.0, config.connect_timeout))),
    ) as other:
        other.prepare_threshold = None
        for _ in range(5):
            theirs = _backend_pid(other)
            now = _backend_pid(conn)
            if theirs == ours or now != ours:
                return TRANSACTION_POOLER
    return PROXY


def _local_port(conn: psycopg.Connection[TupleRow]) -> int | None:
    """Our end of the connection's TCP port; None for a unix socket."""
    import socket as sockets  # noqa: PLC0415 - only on runs with work to do

    duplicate = os.dup(conn.pgconn.socket)
    with sockets.socket(fileno=duplicate) as sock:
        if sock.family not in (sockets.AF_INET, sockets.AF_INET6):
            return None
        return int(sock.getsockname()[1])


def _backend_pid(conn: psycopg.Connection[TupleRow]) -> int:
    row = conn.execute("SELECT pg_backend_pid()").fetchone()
    assert row is not None
    return int(row[0])


def runner_identity() -> str:
    """Who applied a migration: the pod (host) name, recorded with the database user."""
    return socket.gethostname()


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " ".join(lines[:2]) if lines else type(exc).__name__
