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

from app.errors import ConfigError, ConnectError

if TYPE_CHECKING:
    from psycopg.rows import TupleRow

    from app.config import Config
    from app.logs import Logger

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
    env = os.environ if environ is None else environ
    if config.database_url and config.database_url_file:
        raise ConfigError(
            "Both DATABASE_URL and DATABASE_URL_FILE are set.",
            hint="Set only one of them.",
        )
    url = config.database_url
    if config.database_url_file is not None:
        try:
            url = config.database_url_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"Cannot read DATABASE_URL_FILE {str(config.database_url_file)!r}: "
                f"{getattr(exc, 'strerror', None) or 'not UTF-8 text'}.",
                hint="Check that the Secret is mounted at that path.",
                file=str(config.database_url_file),
            ) from None
    if url:
        try:
            params = pg_conninfo.conninfo_to_dict(url)
            port = str(params.get("port") or "5432")
            if not all(p.isascii() and p.isdigit() for p in port.split(",")):
                raise psycopg.ProgrammingError("bad port")
        except psycopg.ProgrammingError:
            raise ConfigError(
                "DATABASE_URL is not a valid PostgreSQL connection string (its value is not "
                "shown because it may contain a password).",
                hint="Use postgresql://user:password@host:5432/dbname?sslmode=verify-full, or "
                "key=value pairs; percent-encode special characters in the password.",
            ) from None
        return url
    if any(env.get(name) for name in _PG_ENV):
        return ""  # libpq reads PGHOST, PGUSER, PGPASSWORD, ... itself
    raise ConfigError(
        "No database configured.",
        hint="Set DATABASE_URL (or DATABASE_URL_FILE, or the libpq PG* variables). For a "
        "throwaway local database, pass --embedded explicitly.",
    )


def target_fields(conninfo: str) -> dict[str, object]:
    """Host, port, database and user of a connection string: safe to log."""
    params = pg_conninfo.conninfo_to_dict(conninfo)
    host = params.get("host") or os.environ.get("PGHOST") or "localhost"
    port = str(params.get("port") or os.environ.get("PGPORT") or 5432).split(",")[0]
    return {
        "db_host": str(host),
        "db_port": int(port) if port.isdigit() else port,
        "db_name": str(params.get("dbname") or os.environ.get("PGDATABASE") or ""),
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


def apply_session_settings(conn: psycopg.Connection[TupleRow], config: Config) -> None:
    """Settings for running DDL; re-applied after a migration that changes session state."""
    search_path = (
        config.schema if config.schema == "public" else f"{_quote_ident(config.schema)}, public"
    )
    settings: dict[str, str] = {
        "lock_timeout": f"{int(config.ddl_lock_timeout * 1000)}ms",
        "statement_timeout": f"{int(config.statement_timeout * 1000)}ms",
        "search_path": search_path,
        "idle_in_transaction_session_timeout": "0",
        # Find out quickly that a killed runner is gone, so its lock and transaction go too.
        "tcp_keepalives_idle": "15",
        "tcp_keepalives_interval": "5",
        "tcp_keepalives_count": "3",
    }
    if conn.info.server_version >= 140000:
        # The server notices a vanished client even while it is busy running a statement.
        settings["client_connection_check_interval"] = "2000"
    query = sql.SQL("SELECT {}").format(
        sql.SQL(", ").join(
            sql.SQL("set_config({}, {}, false)").format(sql.Literal(k), sql.Literal(v))
            for k, v in settings.items()
        )
    )
    conn.execute(query)


def runner_identity() -> str:
    """Who applied a migration: the pod (host) name, recorded with the database user."""
    return socket.gethostname()


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " ".join(lines[:2]) if lines else type(exc).__name__
