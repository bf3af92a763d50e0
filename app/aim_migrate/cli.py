"""The command line: a thin layer that parses options, runs one command, and maps the outcome
to a log event and an exit code."""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn

from aim_migrate import __version__
from aim_migrate.config import OPTIONS, Config, redact, resolve, url_secrets
from aim_migrate.errors import (
    AimError,
    ConfigError,
    ConnectionLostError,
    ExitCode,
    Interrupted,
    UsageError,
    ValidationError,
)
from aim_migrate.logs import Logger, bind, configure, new_run_id

if TYPE_CHECKING:
    from aim_migrate.runner import Outcome

COMMANDS = (
    "migrate",
    "status",
    "plan",
    "validate",
    "baseline",
    "repair",
    "verify",
    "new",
    "down",
    "history",
)
# These print a report on stdout, so their logs go to stderr.
_REPORTING = ("status", "plan", "validate", "verify", "new", "history")

_EPILOG = """\
commands:
  migrate     apply what is pending (the default command)
  status      show applied and pending migrations and the detected track
  plan        show what migrate would do, changing nothing (--check: exit 3 if pending)
  validate    check the files offline; with a database, also checksums and order
  baseline    record an existing, unmanaged database as being at --version N
  repair      clear unfinished non-transactional records; accept reviewed edits (--reason)
  verify      build the baseline and the chain in scratch databases; exit 3 if they differ
  down        revert the newest migrations with their .down.sql (--steps K | --to N)
  history     the audit trail of the history table (--json)
  new         create the next-numbered migration file from the template

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


def _at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        stripped = text.strip()
        if not stripped.isascii() or not stripped.isdigit() or int(stripped) < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number of {minimum} or more")
        return int(stripped)

    parse.__name__ = f"number_from_{minimum}"
    return parse


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


def _add_command_options(name: str, parser: argparse.ArgumentParser) -> None:
    if name in ("status", "plan", "validate", "verify", "history"):
        parser.add_argument("--json", action="store_true", help="print JSON")
    if name in ("migrate", "plan"):
        parser.add_argument(
            "--target",
            type=_at_least(0),
            default=None,
            help="migrate up to and including this version, no further",
        )
    if name == "plan":
        parser.add_argument("--check", action="store_true", help="exit 3 if anything is pending")
    elif name == "baseline":
        parser.add_argument(
            "--version",
            dest="at_version",
            type=_at_least(0),
            required=True,
            help="the last migration the database's schema already contains",
        )
    elif name == "repair":
        parser.add_argument(
            "--reason", required=True, help="why (stored in the history and logged); required"
        )
        parser.add_argument(
            "--only",
            metavar="VERSION",
            default=None,
            help="repair only this history row (e.g. 031_add_index)",
        )
    elif name == "verify":
        parser.add_argument(
            "--ignore-names",
            action="store_true",
            help="match constraints and indexes by definition, not by name",
        )
        parser.add_argument(
            "--fix-hint",
            action="store_true",
            help="print the differing objects as the chain builds them, as SQL",
        )
    elif name == "new":
        parser.add_argument("description", nargs="+", help="what the migration does")
    elif name == "down":
        how_far = parser.add_mutually_exclusive_group(required=True)
        how_far.add_argument(
            "--steps", type=_at_least(1), help="revert the newest K migrations (1 or more)"
        )
        how_far.add_argument(
            "--to", type=_at_least(0), help="revert every migration above version N"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="show what would be reverted; change nothing"
        )
        parser.add_argument(
            "--allow-data-loss",
            action="store_true",
            help="also run down files that say they destroy data",
        )


_COMMAND_HELP = {
    "migrate": "apply pending migrations",
    "status": "applied / pending / track",
    "plan": "what migrate would do",
    "validate": "check files (and checksums)",
    "baseline": "record an existing database as being at a version",
    "repair": "clear unfinished records, accept reviewed checksum changes",
    "verify": "prove that the baseline and the incremental chain agree",
    "new": "create the next migration file",
    "down": "revert the newest migrations with their .down.sql files",
    "history": "the audit trail: what was applied, when, by whom",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with `only`, just that command gets its options (a pod start pays for
    building one command's options, not eight)."""
    parser = _Parser(
        prog="aim-migrate",
        description="Dual-track PostgreSQL migrations: a fresh database gets the consolidated "
        "baseline in one transaction, an existing one gets only the incremental migrations its "
        "history lacks, each atomically. Runners serialise on an advisory lock.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"aim-migrate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, help_text in _COMMAND_HELP.items():
        command = sub.add_parser(name, help=help_text)
        if only is None or only == name:
            _add_common_options(command)
            _add_command_options(name, command)
    return parser


def _with_default_command(argv: list[str]) -> list[str]:
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        return ["migrate", *argv]
    return argv


class _Run:
    """What the end of a run reports, whatever happened before it."""

    __slots__ = ("command", "config", "database", "outcome")

    def __init__(self, command: str) -> None:
        self.command = command
        self.config: Config | None = None
        self.outcome: Outcome | None = None
        self.database: str | None = None


def main(argv: Sequence[str] | None = None) -> int:
    started = time.monotonic()
    args_list = _with_default_command(list(sys.argv[1:] if argv is None else argv))
    run = _Run(args_list[0] if args_list and args_list[0] in COMMANDS else "migrate")
    run_id = new_run_id()
    log = configure(_early_format(), "info", _stream(run.command, args_list), run_id)
    summary: dict[str, Any] = {}
    _install_signal_handlers()
    try:
        args = _parse(build_parser(run.command), args_list)
        run.config = _config(args)
        log = configure(
            run.config.log_format, run.config.log_level, _stream(run.command, args_list), run_id
        )
        summary = _dispatch(args, run.config, log, run)
        code = int(ExitCode.OK)
    except AimError as exc:
        # Our own messages never quote a credential; the known ones are removed all the
        # same, in case a library's text (a connect failure's reason) carried one in.
        secrets = _secrets(run.config)
        fields = {k: _scrub(v, secrets) for k, v in exc.fields.items()}
        log.error(
            exc.event,
            message=_scrub(exc.message, secrets),
            hint=_scrub(exc.hint, secrets),
            exit_code=int(exc.exit_code),
            **fields,
        )
        code = int(exc.exit_code)
    except Interrupted as exc:
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
        code = _crashed(exc, log, _secrets(run.config))
    duration_s = time.monotonic() - started
    if run.command == "migrate" and run.config is not None and run.config.pushgateway_url:
        code = _push_metrics(run, code, duration_s, log)
    log.info(
        "run.finished",
        command=run.command,
        exit_code=code,
        outcome="success" if code == 0 else "failure",
        duration_ms=int(duration_s * 1000),
        **summary,
    )
    return code


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


def _push_metrics(run: _Run, code: int, duration_s: float, log: Logger) -> int:
    from aim_migrate.metrics import RunReport, push  # noqa: PLC0415 - only with a Pushgateway

    assert run.config is not None
    outcome = run.outcome
    report = RunReport(
        exit_code=code,
        duration_s=duration_s,
        applied=len(outcome.applied) if outcome and outcome.track else None,
        pending=outcome.pending if outcome and outcome.track else None,
        schema_version=outcome.current_version if outcome else None,
        lock_wait_s=outcome.lock_wait_s if outcome and outcome.track else None,
        database=run.database,
    )
    if push(run.config, report, log) or not run.config.metrics_required:
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


def _dispatch(args: argparse.Namespace, config: Config, log: Logger, run: _Run) -> dict[str, Any]:
    from aim_migrate import runner  # noqa: PLC0415 - keeps --help fast
    from aim_migrate.plan import PlanOptions  # noqa: PLC0415

    if args.command in ("validate", "verify", "new", "status", "plan", "history"):
        from aim_migrate import report  # noqa: PLC0415 - only the reporting commands need it

    options = PlanOptions(out_of_order=config.out_of_order, target=getattr(args, "target", None))
    if args.command in ("validate", "verify", "new"):
        log.info("run.started", command=args.command)
    if args.command == "validate":
        return report.validate(config, log, _conninfo_if_configured(config), args.json)
    if args.command == "verify":
        return report.verify(config, log, args.json, args.ignore_names, args.fix_hint)
    if args.command == "new":
        return report.new(config, log, " ".join(args.description))
    with _database(config, args) as conninfo:
        from aim_migrate.connect import target_fields  # noqa: PLC0415

        identity = target_fields(conninfo)
        bind(**identity)  # every line from here on names the database (never the password)
        run.database = str(identity["db_name"]) or None
        log.info("run.started", command=args.command)
        if args.command == "migrate":
            run.outcome = runner.Outcome()
            outcome = runner.migrate(config, conninfo, log, options, outcome=run.outcome)
            return {
                "track": outcome.track,
                "applied": len(outcome.applied),
                "recorded": len(outcome.recorded),
                "pending": outcome.pending,
                "current_version": outcome.current_version,
                "lock_wait_s": round(outcome.lock_wait_s, 3),
            }
        if args.command == "down":
            reverted = runner.down(
                config,
                conninfo,
                log,
                steps=args.steps,
                to=args.to,
                allow_data_loss=args.allow_data_loss,
                dry_run=args.dry_run,
            )
            return {"reverted": len(reverted)}
        if args.command == "history":
            rows = runner.history_rows(config, conninfo, log)
            sys.stdout.write(report.render_history(rows, as_json=args.json))
            return {"rows": len(rows)}
        if args.command == "repair":
            result = runner.repair(config, conninfo, log, args.reason, args.only)
            return {key: len(value) for key, value in result.items()}
        if args.command == "baseline":
            outcome = runner.mark_baseline(config, conninfo, log, args.at_version)
            return {"recorded": len(outcome.recorded), "current_version": args.at_version}
        plan = runner.inspect_plan(config, conninfo, log, options)
        sys.stdout.write(report.render_plan(plan, args.command, as_json=args.json))
        if args.command == "plan" and args.check and not plan.is_noop:
            raise ValidationError(
                f"{len(plan.pending)} migration(s) pending.",
                hint="Run 'aim-migrate migrate'.",
                event="plan.pending",
            )
        return {"track": plan.track, "pending": len(plan.pending)}


@contextmanager
def _database(config: Config, args: argparse.Namespace) -> Iterator[str]:
    if config.embedded:
        if config.database_url or config.database_url_file:
            raise ConfigError(
                "--embedded and DATABASE_URL/DATABASE_URL_FILE are both set.",
                hint="Choose one: unset DATABASE_URL for a throwaway database, or drop --embedded.",
            )
        from aim_migrate.embedded import embedded_server  # noqa: PLC0415

        with embedded_server(args.embedded_dir) as url:
            yield url
        return
    from aim_migrate.connect import conninfo_from  # noqa: PLC0415

    yield conninfo_from(config)


def _conninfo_if_configured(config: Config) -> str | None:
    from aim_migrate.connect import conninfo_from  # noqa: PLC0415

    try:
        return conninfo_from(config)
    except ConfigError:
        return None


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


def _stream(command: str, argv: list[str] | None = None) -> Any:
    reporting = command in _REPORTING or (command == "down" and "--dry-run" in (argv or []))
    return sys.stderr if reporting else sys.stdout


def _install_signal_handlers() -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        # One interruption is enough: ignore further signals while rolling back and unlocking.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Interrupted(signum, signal.Signals(signum).name)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
