"""The command line: a thin layer that builds the parser from the table of commands
(commands.py), runs one command, and maps its outcome to a log event and an exit code."""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import time
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from aim_migrate import __version__
from aim_migrate.commands import BY_NAME, COMMANDS, Command, Invocation
from aim_migrate.config import OPTIONS, Config, redact, resolve, url_secrets
from aim_migrate.errors import (
    AimError,
    ConfigError,
    ConnectionLostError,
    ExitCode,
    Interrupted,
    UsageError,
)
from aim_migrate.logs import Logger, configure, new_run_id

_EXIT_CODES = """\
exit codes:
  0    success (including: nothing to do)
  1    a migration failed (it was rolled back; earlier ones stay applied)
  2    usage or configuration error
  3    validation error: bad files, changed checksums, drift, refused database state
  4    cannot connect to the database (after retrying until AIM_CONNECT_TIMEOUT),
       the connection was lost mid-run, or a required metrics push failed
       (AIM_METRICS_REQUIRED)
  5    timed out waiting for another runner's lock (AIM_LOCK_TIMEOUT)
  130  interrupted by SIGINT; 143 terminated by SIGTERM (the migration was rolled back)

Every option is also an environment variable (shown in brackets); flags win.
Run 'aim-migrate COMMAND --help' for a command's options.
"""


def _epilog() -> str:
    listed = "\n".join(f"  {c.name:<11} {c.summary}" for c in COMMANDS)
    return f"commands:\n{listed}\n\n{_EXIT_CODES}"


_AMBIGUOUS_VALUE = re.compile(r"(ambiguous option: [^=\s]+)=.*?( could match )", re.DOTALL)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse quotes what it got: `--database-ur=postgresql://u:pw@h` is "ambiguous".
        shown = redact(_AMBIGUOUS_VALUE.sub(r"\1=...\2", message))
        raise UsageError(f"{shown}.", hint=f"See '{self.prog} --help'.")


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """parse_args, except that unrecognized arguments are named without their values: a
    mistyped `--database-urll=postgresql://user:password@...` must not print the password."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        names = [arg.split("=", 1)[0] for arg in extra if arg.startswith("-")]
        values = len(extra) - len(names)
        shown = " ".join(names)
        if values:
            shown += f"{' and ' if names else ''}{values} other argument(s) (not shown)"
        parser.error(f"unrecognized arguments: {shown}")
    return args


def _add_common_options(parser: argparse.ArgumentParser) -> None:
    for option in OPTIONS:
        default = "" if option.default is None else f", default {option.default}"
        help_text = f"{option.help} [{option.env}{default}]"
        if option.is_flag:
            parser.add_argument(
                option.flag, dest=option.field, action="store_true", default=None, help=help_text
            )
        else:
            parser.add_argument(
                option.flag,
                dest=option.field,
                default=None,
                help=help_text,
                metavar=option.field.upper().replace("_", "-"),
            )
    parser.add_argument(
        "--embedded-dir",
        type=Path,
        default=None,
        help="With --embedded: keep the embedded database in this directory "
        "between runs (default: a temporary directory, deleted at exit).",
    )


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with `only`, just that command gets its options (a pod start pays for
    building one command's options, not eight)."""
    parser = _Parser(
        prog="aim-migrate",
        description="Dual-track PostgreSQL migrations: a fresh database gets the consolidated "
        "baseline in one transaction, an existing one gets only the incremental migrations its "
        "history lacks, each atomically. Runners serialise on an advisory lock.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"aim-migrate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for command in COMMANDS:
        parser_of = sub.add_parser(command.name, help=command.help)
        if only is None or only == command.name:
            _add_common_options(parser_of)
            command.options(parser_of)
    return parser


def _with_default_command(argv: list[str]) -> list[str]:
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        return ["migrate", *argv]
    return argv


def main(argv: Sequence[str] | None = None) -> int:
    started = time.monotonic()
    args_list = _with_default_command(list(sys.argv[1:] if argv is None else argv))
    command = BY_NAME.get(args_list[0] if args_list else "", BY_NAME["migrate"])
    stream = _stream(command, args_list)
    run_id = new_run_id()
    log = configure(_early_format(), "info", stream, run_id)
    config: Config | None = None
    inv: Invocation | None = None
    summary: dict[str, Any] = {}
    failure: BaseException | None = None
    fanned_out = False
    _install_signal_handlers()
    try:
        args = _parse(build_parser(command.name), args_list)
        config = _config(args)
        log = configure(config.log_format, config.log_level, stream, run_id)
        inv = Invocation(command.name, args, config, log)
        if config.targets_file is not None:
            fanned_out = True
            code, summary = _fan_out(inv, command, _secrets(config))
        else:
            summary = command.run(inv)
            code = int(ExitCode.OK)
    except Interrupted as exc:
        failure = exc
        log = inv.log if inv else log
        log.error(
            "run.interrupted",
            signal=exc.signame,
            exit_code=exc.exit_code,
            message=f"Stopped by {exc.signame}; the running migration was rolled back "
            "and the lock released.",
        )
        code = exc.exit_code
    except SystemExit as exc:  # --help and --version
        return int(exc.code or 0)
    except Exception as exc:  # noqa: BLE001 - every failure must end as one event and a code
        failure = exc
        log = inv.log if inv else log
        code = _failed(exc, log, _secrets(config))
    if inv is not None and inv.outcome is None:
        # A failed migrate run carries what it did before failing (runner.migrate).
        inv.outcome = getattr(failure, "outcome", None)
    log = inv.log if inv else log
    duration_s = time.monotonic() - started
    if command.pushes_metrics and inv is not None and inv.config.pushgateway_url:
        code = (
            _push_fanout(inv, code, summary, duration_s)
            if fanned_out
            else _push_metrics(inv, code, duration_s)
        )
    log.info(
        "run.finished",
        command=command.name,
        exit_code=code,
        outcome="success" if code == 0 else "failure",
        duration_ms=int(duration_s * 1000),
        **summary,
    )
    return code


def _fan_out(inv: Invocation, command: Command, secrets: list[str]) -> tuple[int, dict[str, Any]]:
    """`--targets`: the command on every target of this shard (fanout.py)."""
    if not command.fans_out:
        raise UsageError(
            f"{command.name} works on one database; --targets (AIM_TARGETS_FILE) is for "
            "status, plan, validate, wait, migrate and history.",
            hint=f"Unset AIM_TARGETS_FILE for '{command.name}', and give DATABASE_URL instead.",
        )
    from aim_migrate import fanout  # noqa: PLC0415 - only with --targets

    def done(child: Invocation, code: int, seconds: float) -> int:
        if command.pushes_metrics and child.config.pushgateway_url:
            return _push_metrics(child, code, seconds)  # one metric set per target
        return code

    return fanout.run(inv, command, lambda exc, log: _failed(exc, log, secrets), done)


def _failed(exc: BaseException, log: Logger, secrets: list[str]) -> int:
    """A failure as its one structured event; its exit code."""
    if not isinstance(exc, AimError):
        assert isinstance(exc, Exception)
        return _crashed(exc, log, secrets)
    # Our own messages never quote a credential; the known ones are removed all the same, in
    # case a library's text (a connect failure's reason) carried one in.
    fields = {k: _scrub(v, secrets) for k, v in exc.fields.items()}
    log.error(
        exc.event,
        message=_scrub(exc.message, secrets),
        hint=_scrub(exc.hint, secrets),
        exit_code=int(exc.exit_code),
        **fields,
    )
    return int(exc.exit_code)


def _crashed(exc: Exception, log: Logger, secrets: list[str]) -> int:
    """A database refusal, a lost connection or a bug: one structured event, never a
    multi-line traceback."""
    import traceback  # noqa: PLC0415 - only on this path

    import psycopg  # noqa: PLC0415

    first_line = redact(str(exc).strip().splitlines()[0] if str(exc).strip() else "", secrets)
    if _connection_lost(exc):
        # Wherever it happened (waiting for the lock, inspecting, writing history): the
        # migrations report their own loss (execute.py); this is the runner's own session.
        lost = ConnectionLostError(
            f"The database connection was lost: {first_line or type(exc).__name__}",
            hint="The server ended the session (a restart, a failover or pg_terminate_backend) "
            "and rolled back whatever was unfinished; re-run aim-migrate.",
        )
        log.error(
            lost.event,
            message=lost.message,
            hint=lost.hint,
            exit_code=int(lost.exit_code),
            sqlstate=getattr(exc, "sqlstate", None),
        )
        return int(lost.exit_code)
    code = int(ExitCode.MIGRATION_FAILED)
    if isinstance(exc, psycopg.Error):
        log.error(
            "db.error",
            sqlstate=exc.sqlstate,
            exit_code=code,
            message=first_line,
            hint="The database refused an operation of the runner itself; check that "
            "the user may create and write the history table in the target schema.",
        )
        return code
    frames = traceback.extract_tb(exc.__traceback__)[-6:]
    log.error(
        "run.crashed",
        exit_code=code,
        error_type=type(exc).__name__,
        message=first_line,
        stack=[f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in frames],
        hint="This is a bug in aim-migrate; please report it with this event.",
    )
    return code


def _connection_lost(exc: BaseException) -> bool:
    """A psycopg error that means the session is gone: libpq lost the socket (no SQLSTATE),
    class 08 (connection exception) or 57P0x (the server shut the session down)."""
    import psycopg  # noqa: PLC0415

    if not isinstance(exc, psycopg.OperationalError):
        return False
    sqlstate = exc.sqlstate or ""
    return not sqlstate or sqlstate.startswith(("08", "57P0"))


def _scrub(value: object, secrets: list[str]) -> object:
    return redact(value, secrets, patterns=False) if isinstance(value, str) else value


def _secrets(config: Config | None) -> list[str]:
    """Every credential this run knows of, to keep out of error messages (defence in depth:
    no message is built from them, but libraries' exception texts quote what they got)."""
    urls = [os.environ.get(name) for name in ("DATABASE_URL", "AIM_DEV_DATABASE_URL")]
    urls.append(os.environ.get("AIM_PUSHGATEWAY_URL"))
    found = [os.environ.get("PGPASSWORD"), os.environ.get("AIM_PUSHGATEWAY_PASSWORD")]
    if config is not None:
        urls += [config.database_url, config.dev_database_url, config.pushgateway_url]
        found.append(config.pushgateway_password)
        if config.database_url_file is not None:
            with suppress(OSError, UnicodeDecodeError):
                urls.append(config.database_url_file.read_text(encoding="utf-8").strip())
    for url in filter(None, urls):
        found += url_secrets(url)
        with suppress(Exception):  # an unparsable URL has no password to find
            from psycopg import conninfo  # noqa: PLC0415 - only on a failure

            found.append(str(conninfo.conninfo_to_dict(url).get("password") or ""))
    # Very short strings would blank out ordinary words of every message.
    return [str(s) for s in found if s and len(str(s)) >= 4]


def _push_metrics(inv: Invocation, code: int, duration_s: float) -> int:
    from aim_migrate.metrics import RunReport, push  # noqa: PLC0415 - only with a Pushgateway

    outcome, log = inv.outcome, inv.log
    report = RunReport(
        exit_code=code,
        duration_s=duration_s,
        applied=len(outcome.applied) if outcome and outcome.track else None,
        pending=outcome.pending if outcome and outcome.track else None,
        schema_version=outcome.current_version if outcome else None,
        lock_wait_s=outcome.lock_wait_s if outcome and outcome.track else None,
        database=inv.target.database if inv.target else None,
        batched_rows=outcome.batched_rows if outcome and outcome.track else None,
    )
    if push(inv.config, report, log) or not inv.config.metrics_required:
        return code
    if code == 0:
        log.error(
            "metrics.required",
            exit_code=int(ExitCode.CONNECT),
            message="Metrics are required (AIM_METRICS_REQUIRED) and were not pushed.",
            hint="Check AIM_PUSHGATEWAY_URL and that the Pushgateway is reachable.",
        )
        return int(ExitCode.CONNECT)
    return code


def _push_fanout(inv: Invocation, code: int, summary: dict[str, Any], duration_s: float) -> int:
    """The shard's own metric set, beside each target's."""
    from aim_migrate.fanout import this_shard  # noqa: PLC0415
    from aim_migrate.metrics import push_fanout  # noqa: PLC0415

    shard = this_shard(inv.config)
    label = f"{shard[0]}-of-{shard[1]}" if shard else "all"
    pushed = push_fanout(inv.config, label, summary.get("outcomes", {}), code, duration_s, inv.log)
    return code if pushed or not inv.config.metrics_required or code else int(ExitCode.CONNECT)


def _config(args: argparse.Namespace) -> Config:
    cli_values: dict[str, object] = {}
    for option in OPTIONS:
        raw = getattr(args, option.field, None)
        if raw is None:
            continue
        if option.is_flag:
            cli_values[option.field] = True
            continue
        try:
            cli_values[option.field] = option.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{option.flag}: {exc}.", hint=f"Fix {option.flag}.") from None
    return resolve(cli_values)


def _early_format() -> str:
    value = os.environ.get("AIM_LOG_FORMAT")
    if value in ("json", "console"):
        return value
    return "console" if sys.stdout.isatty() else "json"


def _stream(command: Command, argv: list[str]) -> Any:
    """A command that prints a report keeps stdout for it; its logs go to stderr."""
    reporting = command.reports or (
        command.reports_with is not None and command.reports_with in argv
    )
    return sys.stderr if reporting else sys.stdout


def _install_signal_handlers() -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        # One interruption is enough: ignore further signals while rolling back and unlocking.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Interrupted(signum, signal.Signals(signum).name)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
