"""Configuration: one table of options, each a command-line flag and an environment variable.

Precedence: command-line flag, then environment variable, then default. A bad value is a
configuration error (exit 2) that names the flag or variable, never its secret value.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from aim_migrate.errors import ConfigError

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h)?")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def parse_duration(text: str) -> float:
    """Seconds from '30', '30s', '500ms', '2m' or '1h'."""
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None:
        raise ValueError("expected a duration such as 30, 30s, 500ms, 2m or 1h")
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if not math.isfinite(seconds):
        raise ValueError("the duration is too large")
    return seconds


# PostgreSQL's timeouts (lock_timeout, statement_timeout) are an int of milliseconds.
PG_MAX_TIMEOUT_MS = 2_147_483_647


def parse_pg_timeout(text: str) -> float:
    """A duration that is sent to PostgreSQL as whole milliseconds (0: no timeout)."""
    seconds = parse_duration(text)
    milliseconds = int(seconds * 1000)  # how the session settings send it
    if milliseconds > PG_MAX_TIMEOUT_MS:
        raise ValueError(
            f"PostgreSQL accepts at most {PG_MAX_TIMEOUT_MS}ms (about 24.8 days), and 0 for none"
        )
    if seconds > 0 and milliseconds == 0:
        raise ValueError(
            "below 1ms it would be sent as 0, which PostgreSQL reads as no timeout at all; "
            "give at least 1ms, or 0 to mean none"
        )
    return seconds


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError("expected true or false")


def parse_count(text: str) -> int:
    stripped = text.strip()
    if not stripped.isascii() or not stripped.isdigit():
        raise ValueError("expected a whole number of 0 or more")
    return int(stripped)


def parse_identifier(text: str) -> str:
    if not text or len(text.encode()) > 63 or "\x00" in text:
        raise ValueError("expected a PostgreSQL name of 1 to 63 bytes")
    return text


def parse_schema(text: str) -> str:
    name = parse_identifier(text)
    if name.startswith("pg_"):
        # CREATE SCHEMA refuses them (42939): PostgreSQL reserves pg_* for its own schemas.
        raise ValueError(
            "schema names starting with 'pg_' are reserved for PostgreSQL's system schemas"
        )
    return name


def parse_log_format(text: str) -> str:
    if text not in ("json", "console"):
        raise ValueError("expected json or console")
    return text


def parse_log_level(text: str) -> str:
    if text.lower() not in ("debug", "info", "warning", "error"):
        raise ValueError("expected debug, info, warning or error")
    return text.lower()


def parse_parallel(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 256:
        raise ValueError("expected a number of targets at once from 1 to 256")
    return value


def parse_shard(text: str) -> tuple[int, int]:
    """'2/8' -> (2, 8): this process takes shard 2 of 8 (0-based, as JOB_COMPLETION_INDEX)."""
    index, sep, count = text.strip().partition("/")
    if not sep or not index.isascii() or not index.isdigit() or not count.isdigit():
        raise ValueError("expected I/N, e.g. 0/4")
    if not 0 <= int(index) < int(count):
        raise ValueError("expected 0 <= I < N")
    return int(index), int(count)


PHASES = ("all", "pre-deploy")


def parse_phase(text: str) -> str:
    value = text.strip().lower()
    if value not in PHASES:
        raise ValueError("expected all or pre-deploy")
    return value


def parse_labels(text: str) -> tuple[tuple[str, str], ...]:
    """'namespace=prod,release=aim' -> (("namespace", "prod"), ("release", "aim"))."""
    pairs = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*", key.strip()) or not value:
            raise ValueError("expected name=value pairs separated by commas")
        pairs.append((key.strip(), value.strip()))
    return tuple(pairs)


class Option(NamedTuple):
    field: str
    flag: str
    env: str
    parse: Callable[[str], object]
    default: object
    help: str
    is_flag: bool = False  # a switch on the command line, a boolean in the environment


OPTIONS: tuple[Option, ...] = (
    Option(
        "database_url",
        "--database-url",
        "DATABASE_URL",
        str,
        None,
        "PostgreSQL URL or key=value string. Prefer the variable or a file: a flag is "
        "visible in the process list.",
    ),
    Option(
        "database_url_file",
        "--database-url-file",
        "DATABASE_URL_FILE",
        Path,
        None,
        "File holding the database URL (a mounted Secret).",
    ),
    Option(
        "migrations_dir",
        "--migrations-dir",
        "AIM_MIGRATIONS_DIR",
        Path,
        Path("migrations"),
        "Directory with the .sql files.",
    ),
    Option(
        "schema",
        "--schema",
        "AIM_SCHEMA",
        parse_schema,
        "public",
        "Target schema: history table, detection and unqualified names.",
    ),
    Option(
        "history_table",
        "--history-table",
        "AIM_HISTORY_TABLE",
        parse_identifier,
        "schema_migrations",
        "Name of the history table in the target schema.",
    ),
    Option(
        "sentinel_table",
        "--sentinel-table",
        "AIM_SENTINEL_TABLE",
        parse_identifier,
        "organizations",
        "A table whose presence without history means an unmanaged existing database.",
    ),
    Option(
        "baseline_version",
        "--baseline-version",
        "AIM_BASELINE_VERSION",
        parse_count,
        None,
        "Override the last incremental version the baseline declares it contains.",
    ),
    Option(
        "lock_name",
        "--lock-name",
        "AIM_LOCK_NAME",
        str,
        None,
        "Advisory lock name (default: <schema>.<history table>).",
    ),
    Option(
        "lock_timeout",
        "--lock-timeout",
        "AIM_LOCK_TIMEOUT",
        parse_duration,
        600.0,
        "How long to wait for another runner's advisory lock before exiting 5.",
    ),
    Option(
        "connect_timeout",
        "--connect-timeout",
        "AIM_CONNECT_TIMEOUT",
        parse_duration,
        60.0,
        "How long to keep retrying the connection before exiting 4.",
    ),
    Option(
        "ddl_lock_timeout",
        "--ddl-lock-timeout",
        "AIM_DDL_LOCK_TIMEOUT",
        parse_pg_timeout,
        5.0,
        "PostgreSQL lock_timeout for migration statements, so a blocked ALTER gives up "
        "instead of queueing application traffic behind it.",
    ),
    Option(
        "ddl_lock_retries",
        "--ddl-lock-retries",
        "AIM_DDL_LOCK_RETRIES",
        parse_count,
        3,
        "Times a migration that hit lock_timeout is retried, with backoff.",
    ),
    Option(
        "statement_timeout",
        "--statement-timeout",
        "AIM_STATEMENT_TIMEOUT",
        parse_pg_timeout,
        0.0,
        "PostgreSQL statement_timeout for migration statements (0: none).",
    ),
    Option(
        "application_name",
        "--application-name",
        "AIM_APPLICATION_NAME",
        str,
        "aim-migrate",
        "application_name shown in pg_stat_activity.",
    ),
    Option(
        "log_format",
        "--log-format",
        "AIM_LOG_FORMAT",
        parse_log_format,
        None,
        "json or console (default: console on a terminal, json otherwise).",
    ),
    Option(
        "log_level",
        "--log-level",
        "AIM_LOG_LEVEL",
        parse_log_level,
        "info",
        "debug, info, warning or error.",
    ),
    Option(
        "out_of_order",
        "--out-of-order",
        "AIM_OUT_OF_ORDER",
        parse_bool,
        False,
        "Allow applying a pending migration older than the newest applied one.",
        is_flag=True,
    ),
    Option(
        "strict",
        "--strict",
        "AIM_STRICT",
        parse_bool,
        False,
        "Treat duplicate version numbers as an error.",
        is_flag=True,
    ),
    Option(
        "dev_database_url",
        "--dev-database-url",
        "AIM_DEV_DATABASE_URL",
        str,
        None,
        "verify, consolidate: server on which to create and drop scratch databases (default: "
        "embedded).",
    ),
    Option(
        "pushgateway_url",
        "--pushgateway-url",
        "AIM_PUSHGATEWAY_URL",
        str,
        None,
        "Push run metrics to this Prometheus Pushgateway (e.g. http://pushgateway:9091).",
    ),
    Option(
        "pushgateway_job",
        "--pushgateway-job",
        "AIM_PUSHGATEWAY_JOB",
        str,
        "aim-migrate",
        "The job label of the pushed metrics.",
    ),
    Option(
        "pushgateway_grouping",
        "--pushgateway-grouping",
        "AIM_PUSHGATEWAY_GROUPING",
        parse_labels,
        (),
        "Extra grouping labels, e.g. namespace=prod,release=aim (database=<name> is added).",
    ),
    Option(
        "pushgateway_username",
        "--pushgateway-username",
        "AIM_PUSHGATEWAY_USERNAME",
        str,
        None,
        "Basic-auth user for the Pushgateway.",
    ),
    Option(
        "pushgateway_password",
        "--pushgateway-password",
        "AIM_PUSHGATEWAY_PASSWORD",
        str,
        None,
        "Basic-auth password for the Pushgateway (prefer the variable).",
    ),
    Option(
        "pushgateway_timeout",
        "--pushgateway-timeout",
        "AIM_PUSHGATEWAY_TIMEOUT",
        parse_duration,
        5.0,
        "Timeout of the metrics push.",
    ),
    Option(
        "metrics_required",
        "--metrics-required",
        "AIM_METRICS_REQUIRED",
        parse_bool,
        False,
        "A failed metrics push fails the run (exit 4); otherwise it is only a warning.",
        is_flag=True,
    ),
    Option(
        "embedded",
        "--embedded",
        "AIM_EMBEDDED",
        parse_bool,
        False,
        "Run against a throwaway embedded PostgreSQL (needs aim-migrate[embedded]). Never "
        "used unless asked for.",
        is_flag=True,
    ),
    Option(
        "phase",
        "--phase",
        "AIM_PHASE",
        parse_phase,
        "all",
        "pre-deploy: apply only what the old code tolerates (skip post-deploy migrations), for "
        "the pre-upgrade hook; all: everything pending, in order.",
    ),
    Option(
        "targets_file",
        "--targets",
        "AIM_TARGETS_FILE",
        Path,
        None,
        "Fan-out: a file with one database URL per line (blank lines and # comments allowed); "
        "the command runs on every target.",
    ),
    Option(
        "parallel",
        "--parallel",
        "AIM_PARALLEL",
        parse_parallel,
        4,
        "Fan-out: at most this many targets at once.",
    ),
    Option(
        "shard",
        "--shard",
        "AIM_SHARD",
        parse_shard,
        None,
        "Fan-out: take only shard I of N of the targets (by a stable hash of host, port and "
        "database). Default: JOB_COMPLETION_INDEX of AIM_SHARD_COUNT, in an Indexed Job.",
    ),
    Option(
        "fail_fast",
        "--fail-fast",
        "AIM_FAIL_FAST",
        parse_bool,
        False,
        "Fan-out: start no new target after the first failure.",
        is_flag=True,
    ),
    Option(
        "wait_timeout",
        "--wait-timeout",
        "AIM_WAIT_TIMEOUT",
        parse_duration,
        600.0,
        "wait: how long to wait for the pre-deploy migrations before exiting 5.",
    ),
)


class Config(NamedTuple):
    database_url: str | None
    database_url_file: Path | None
    migrations_dir: Path
    schema: str
    history_table: str
    sentinel_table: str
    baseline_version: int | None
    lock_name: str | None
    lock_timeout: float
    connect_timeout: float
    ddl_lock_timeout: float
    ddl_lock_retries: int
    statement_timeout: float
    application_name: str
    log_format: str
    log_level: str
    out_of_order: bool
    strict: bool
    dev_database_url: str | None
    pushgateway_url: str | None
    pushgateway_job: str
    pushgateway_grouping: tuple[tuple[str, str], ...]
    pushgateway_username: str | None
    pushgateway_password: str | None
    pushgateway_timeout: float
    metrics_required: bool
    embedded: bool
    phase: str
    targets_file: Path | None
    parallel: int
    shard: tuple[int, int] | None
    fail_fast: bool
    wait_timeout: float

    @property
    def lock_key_name(self) -> str:
        return self.lock_name or f"{self.schema}.{self.history_table}"


def is_secret(option: Option) -> bool:
    """Whether the option's value may hold a credential, so it must never be echoed."""
    return any(word in option.env for word in ("URL", "PASSWORD", "USERNAME"))


def resolve(cli_values: Mapping[str, object], environ: Mapping[str, str] | None = None) -> Config:
    """Merge flags (None = not given), environment and defaults into a Config."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for option in OPTIONS:
        given = cli_values.get(option.field)
        if given is not None:
            values[option.field] = given
        elif option.env in env:
            try:
                values[option.field] = option.parse(env[option.env])
            except ValueError as exc:
                shown = "" if is_secret(option) else f" {env[option.env]!r}"
                raise ConfigError(
                    f"{option.env} has an invalid value{shown}: {exc}.",
                    hint=f"Fix or unset {option.env}.",
                    variable=option.env,
                ) from None
        else:
            values[option.field] = option.default
    if values["log_format"] is None:
        values["log_format"] = "console" if sys.stdout.isatty() else "json"
    return Config(**values)  # type: ignore[arg-type]


# --- connection strings and secrets ------------------------------------------------------

_URI_PREFIX = re.compile(r"postgres(?:ql)?://", re.IGNORECASE)
_MAX_HOST_LENGTH = 253  # DNS; a Unix socket directory is far shorter (sun_path: 108 bytes)


def check_conninfo(url: str, name: str) -> None:
    """Refuse a connection string that libpq cannot parse, or would parse other than meant.

    `name` says where it came from (e.g. DATABASE_URL). No error shows the value or any part
    of it: it may hold a password. psycopg is imported here, not when the module loads.
    """
    from psycopg import ProgrammingError  # noqa: PLC0415 - keeps --help fast
    from psycopg import conninfo as pg_conninfo  # noqa: PLC0415

    not_shown = "(its value is not shown because it may contain a password)"
    if _ambiguous_uri(url):
        raise ConfigError(
            f"{name} is ambiguous: more than one '@' (or an '@' after a '/') before the host, "
            f"so part of the password would be read as the host or database name {not_shown}.",
            hint="Percent-encode special characters in the user name and password: '@' as %40, "
            "'/' as %2F, ':' as %3A, '?' as %3F, '#' as %23, '%' as %25.",
            variable=name,
        )
    try:
        params = pg_conninfo.conninfo_to_dict(url)
    except ProgrammingError:
        raise ConfigError(
            f"{name} is not a valid PostgreSQL connection string {not_shown}.",
            hint="Use postgresql://user:password@host:5432/dbname?sslmode=verify-full, or "
            "key=value pairs; percent-encode special characters in the password.",
            variable=name,
        ) from None
    port = str(params.get("port") or "5432")
    # One port per host; an empty one (`h1,h2:5433`) is the default.
    if not all(not p or (p.isascii() and p.isdigit()) for p in port.split(",")):
        raise ConfigError(
            f"{name} is not a valid PostgreSQL connection string: the port is not a number "
            f"{not_shown}.",
            hint="Use postgresql://user:password@host:5432/dbname; percent-encode special "
            "characters in the password.",
            variable=name,
        )
    for key in ("host", "hostaddr"):
        for host in str(params.get(key) or "").split(","):
            problem = _host_problem(host)
            if problem:
                raise ConfigError(
                    f"{name} names a host that is not valid: {problem} {not_shown}.",
                    hint="Check the host part of the connection string; if the password holds "
                    "'@' or '/', percent-encode them as %40 and %2F.",
                    variable=name,
                )


def _ambiguous_uri(url: str) -> bool:
    """libpq takes user:password up to the first '@' (or '/'): a second '@' before the host
    would put the rest of the password into the host name, an '@' in the path into dbname."""
    prefix = _URI_PREFIX.match(url)
    if prefix is None:
        return False
    before_query = url[prefix.end() :].split("?", 1)[0]
    authority, _, path = before_query.partition("/")
    return authority.count("@") > 1 or "@" in path


def _host_problem(host: str) -> str:
    if not host or host.startswith(("/", "@")):
        return ""  # a Unix socket directory, or (Linux) an abstract socket name
    if len(host) > _MAX_HOST_LENGTH:
        return f"it is {len(host)} characters long, a host name has at most {_MAX_HOST_LENGTH}"
    if "@" in host:
        return "it contains '@'"
    if ":" in host:
        return ""  # an IPv6 address
    labels = host.removesuffix(".").split(".")
    if host.isascii():  # no codec import for the usual case
        valid = all(0 < len(label) <= 63 for label in labels)
    else:
        try:
            host.encode("idna")  # what the host name lookup does with it
            valid = True
        except UnicodeError:
            valid = False
    return "" if valid else "a part between dots is empty or longer than 63 characters"


_USERINFO = re.compile(r"//[^\s'\"/]*@")
_PASSWORD_PAIR = re.compile(r"(\bpass(?:word|wd)?\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def redact(text: str, secrets: Iterable[str | None] = (), *, patterns: bool = True) -> str:
    """`text` without the given secret strings and, with `patterns`, without anything shaped
    like URL credentials (`//user:password@`) or a `password=...` pair: for messages built
    from a library's exception text, which quotes whatever it was given."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, "***")
    if patterns:
        text = _USERINFO.sub("//***@", text)
        text = _PASSWORD_PAIR.sub(r"\1***", text)
    return text


def url_secrets(url: str | None) -> list[str]:
    """The password of a URL's user-info part (`user:password@`), with and without the user
    name, to redact; nothing if it has no password."""
    if not url or "@" not in url:
        return []
    scheme, sep, rest = url.partition("://")
    if not sep:
        if any(c.isspace() for c in url):
            return []  # key=value pairs, not a URL
        rest = scheme  # `user:password@host`: a Pushgateway address may omit http://
    userinfo = rest.split("/", 1)[0].rpartition("@")[0]
    password = userinfo.partition(":")[2]
    return [userinfo, password] if password else []
