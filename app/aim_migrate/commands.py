"""Every command, declared once: its name, help, options, the function that runs it, and how
its output goes. The CLI (cli.py) builds argparse, `--help` and dispatch from COMMANDS; the
run functions below call the flow (runner.py, operations.py, verify.py) and hand what it
returns to report.py to render.

A command's run function returns the fields of its `run.finished` event.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from aim_migrate.errors import ConfigError, ValidationError

if TYPE_CHECKING:
    from aim_migrate.config import Config
    from aim_migrate.lint import Report as LintReport
    from aim_migrate.logs import Logger
    from aim_migrate.plan import Plan, PlanOptions
    from aim_migrate.runner import Outcome
    from aim_migrate.source import MigrationSet
    from aim_migrate.target import Target


class Invocation:
    """One command being run: its arguments, configuration and logger, and what the end of
    the run reports (the target it worked on, the migrate outcome)."""

    __slots__ = (
        "_out",
        "_source",
        "args",
        "command",
        "config",
        "fixed",
        "log",
        "outcome",
        "target",
    )

    def __init__(
        self,
        command: str,
        args: argparse.Namespace,
        config: Config,
        log: Logger,
        *,
        target: Target | None = None,
        source: MigrationSet | None = None,
        out: Callable[[str], object] | None = None,
    ) -> None:
        self.command = command
        self.args = args
        self.config = config
        self.log = log  # bound to the target once there is one
        self.fixed = target  # fan-out: the one target of this invocation
        self._source = source
        self._out = out
        self.target: Target | None = None
        self.outcome: Outcome | None = None

    @property
    def source(self) -> MigrationSet:
        """The migration files, read once (a fan-out shares them between its targets)."""
        if self._source is None:
            from aim_migrate.runner import load_source  # noqa: PLC0415

            self._source = load_source(self.config)
        return self._source

    def emit(self, text: str) -> None:
        """A command's report (stdout, or the fan-out's per-target writer)."""
        (self._out or sys.stdout.write)(text)

    @property
    def options(self) -> PlanOptions:
        from aim_migrate.plan import PlanOptions  # noqa: PLC0415

        target = getattr(self.args, "target", None)
        return PlanOptions(
            out_of_order=self.config.out_of_order, target=target, phase=self.config.phase
        )

    def started(self) -> None:
        self.log.info("run.started", command=self.command)

    @contextmanager
    def database(self) -> Iterator[Target]:
        """The configured database (or, with --embedded, a throwaway one); from here on every
        line names it (never the password)."""
        if self.fixed is not None:
            self.target = self.fixed
            self.log = self.target.logger(self.log)
            self.started()
            yield self.target
            return
        from aim_migrate.target import target  # noqa: PLC0415

        with _conninfo(self.config, self.args) as conninfo:
            self.target = target(self.config, conninfo)
            self.log = self.target.logger(self.log)
            self.started()
            yield self.target


class Command(NamedTuple):
    name: str
    help: str  # one line, for the command list
    summary: str  # one line, for `aim-migrate --help`
    options: Callable[[argparse.ArgumentParser], None]
    run: Callable[[Invocation], dict[str, Any]]
    reports: bool = False  # prints a report on stdout, so its logs go to stderr
    reports_with: str | None = None  # ... only when given this flag
    pushes_metrics: bool = False
    fans_out: bool = False  # runs on every database of --targets


# --- options ---------------------------------------------------------------------------------


def at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        stripped = text.strip()
        if not stripped.isascii() or not stripped.isdigit() or int(stripped) < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number of {minimum} or more")
        return int(stripped)

    parse.__name__ = f"number_from_{minimum}"
    return parse


def _json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")


def _target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target",
        type=at_least(0),
        default=None,
        help="migrate up to and including this version, no further",
    )


def _migrate_options(parser: argparse.ArgumentParser) -> None:
    _target(parser)


def _plan_options(parser: argparse.ArgumentParser) -> None:
    _json(parser)
    _target(parser)
    parser.add_argument("--check", action="store_true", help="exit 3 if anything is pending")


def _baseline_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--version",
        dest="at_version",
        type=at_least(0),
        required=True,
        help="the last migration the database's schema already contains",
    )


def _repair_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--reason", required=True, help="why (stored in the history and logged); required"
    )
    parser.add_argument(
        "--only",
        metavar="VERSION",
        default=None,
        help="repair only this history row (e.g. 031_add_index)",
    )


def _verify_options(parser: argparse.ArgumentParser) -> None:
    _json(parser)
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


def _consolidate_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 3 if the baseline on disk is not what the chain generates",
    )


def _new_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("description", nargs="+", help="what the migration does")


def _down_options(parser: argparse.ArgumentParser) -> None:
    how_far = parser.add_mutually_exclusive_group(required=True)
    how_far.add_argument(
        "--steps", type=at_least(1), help="revert the newest K migrations (1 or more)"
    )
    how_far.add_argument("--to", type=at_least(0), help="revert every migration above version N")
    parser.add_argument(
        "--dry-run", action="store_true", help="show what would be reverted; change nothing"
    )
    parser.add_argument(
        "--allow-data-loss",
        action="store_true",
        help="also run down files that say they destroy data",
    )


# --- running ---------------------------------------------------------------------------------


def run_migrate(inv: Invocation) -> dict[str, Any]:
    from aim_migrate import runner  # noqa: PLC0415 - keeps --help fast

    with inv.database() as target:
        outcome = runner.migrate(inv.config, target, inv.log, inv.options, inv.source)
    inv.outcome = outcome
    return {
        "track": outcome.track,
        "applied": len(outcome.applied),
        "recorded": len(outcome.recorded),
        "pending": outcome.pending,
        "current_version": outcome.current_version,
        "lock_wait_s": round(outcome.lock_wait_s, 3),
        **({"deferred": outcome.deferred} if outcome.deferred else {}),
        **({"batched_rows": outcome.batched_rows} if outcome.batched_rows else {}),
    }


def run_status(inv: Invocation) -> dict[str, Any]:
    from aim_migrate import report, runner  # noqa: PLC0415

    with inv.database() as target:
        plan = runner.inspect_plan(inv.config, target, inv.log, inv.options, inv.source)
    inv.emit(report.render_plan(plan, inv.command, as_json=inv.args.json))
    if inv.command == "plan" and inv.args.check and not plan.is_noop:
        raise ValidationError(
            f"{len(plan.pending)} migration(s) pending.",
            hint="Run 'aim-migrate migrate'.",
            event="plan.pending",
        )
    return {"track": plan.track, "pending": len(plan.pending)}


def run_validate(inv: Invocation) -> dict[str, Any]:
    """Offline: names, encoding, directives, statements of every file. With a configured
    database: also the plan (checksums, order) and the lint rules on what is pending."""
    from aim_migrate import report, runner  # noqa: PLC0415
    from aim_migrate.source import preflight  # noqa: PLC0415

    if inv.fixed is None:
        inv.started()
    source = inv.source
    every = [source.baseline.file] if source.baseline is not None else []
    for m in source.migrations:
        every += [m.file] + ([m.down] if m.down is not None else [])
    preflight(every)
    result: dict[str, Any] = {
        "files": len(source.migrations) + (source.baseline is not None),
        "baseline": source.baseline.name if source.baseline else None,
        "notices": [n.message for n in source.notices],
        "database_checked": False,
    }
    linted: LintReport | None = None
    there = inv.fixed
    conninfo = None if there is not None else _conninfo_if_configured(inv.config)
    if conninfo is not None:
        from aim_migrate.target import target  # noqa: PLC0415

        there = target(inv.config, conninfo)
    if there is not None:
        inv.target = there
        inv.log = there.logger(inv.log)
        if inv.fixed is not None:
            inv.started()
        plan = runner.inspect_plan(inv.config, there, inv.log, inv.options, source)
        result.update(database_checked=True, track=plan.track, pending=len(plan.pending))
        linted = _lint_pending(inv, there, plan)
    if linted is None:
        inv.emit(report.render_validation(result, as_json=inv.args.json))
        return result
    from aim_migrate import lint  # noqa: PLC0415

    result["lint_findings"] = len(linted.findings)
    if inv.args.json:
        inv.emit(report.render_validation({**result, "lint": linted.as_dict()}, as_json=True))
    else:
        if linted.findings:
            inv.emit(lint.render(linted, as_json=False))
        if not linted.errors:
            inv.emit(report.render_validation(result, as_json=False))
    if linted.errors:
        raise lint.failure(linted)
    return result


def _lint_pending(inv: Invocation, there: Target, plan: Plan) -> LintReport | None:
    """validate against a database: the lint rules on what is pending there, graded by the
    real table sizes."""
    if not (plan.pending or plan.deferred):
        return None
    from aim_migrate import lint, runner  # noqa: PLC0415 - imports the SQL parser

    if not lint.available():
        inv.log.warning(
            "lint.unavailable",
            message="The lint rules were not run on the pending migrations: the SQL parser "
            "they need is not installed.",
            hint="Install it with: pip install 'aim-migrate[lint]'.",
        )
        return None
    with runner.session(there, inv.config, inv.log) as conn:
        sizes = lint.table_sizes(conn, there.schema)
    return lint.lint_plan(inv.source, plan, sizes, there.schema)


def run_verify(inv: Invocation) -> dict[str, Any]:
    from aim_migrate import report  # noqa: PLC0415
    from aim_migrate import verify as drift  # noqa: PLC0415

    inv.started()
    args = inv.args
    verdict = drift.verify(
        inv.config, inv.log, inv.config.dev_database_url, ignore_names=args.ignore_names
    )
    hints = drift.fix_hints(verdict) if args.fix_hint else None
    inv.emit(report.render_verify(verdict.differences, hints, as_json=args.json))
    if verdict.differences:
        first = verdict.differences[0]
        raise ValidationError(
            f"The baseline and the incremental chain differ in {len(verdict.differences)} "
            f"place(s), first: {first.object} [{first.attribute}].",
            hint="Regenerate the baseline from the chain with 'aim-migrate consolidate' "
            "(verify --fix-hint shows the chain's SQL of each difference), then run verify again.",
            event="verify.drift",
            differences=len(verdict.differences),
        )
    return {"differences": 0}


def run_consolidate(inv: Invocation) -> dict[str, Any]:
    from aim_migrate import report  # noqa: PLC0415
    from aim_migrate.consolidate import consolidate  # noqa: PLC0415

    inv.started()
    check = inv.args.check
    result = consolidate(inv.config, inv.log, inv.config.dev_database_url, check=check)
    sys.stdout.write(report.render_consolidation(result, check=check))
    changes = result.changes
    if check and not result.up_to_date:
        what = (
            changes.summary()
            if result.existed
            else f"there is none; it would hold {result.objects} object(s)"
        )
        raise ValidationError(
            f"The baseline {result.path.name} is not what the chain generates: {what}.",
            hint="Run 'aim-migrate consolidate' and commit the regenerated baseline with the "
            "migration (never edit the baseline by hand).",
            event="consolidate.drift",
            file=str(result.path),
            baseline_version=result.version,
            declared_version=result.previous_version,
            added=changes.added[:50],
            removed=changes.removed[:50],
            changed=changes.changed[:50],
        )
    return {
        "file": str(result.path),
        "baseline_version": result.version,
        "written": result.written,
        "added": len(changes.added),
        "removed": len(changes.removed),
        "changed": len(changes.changed),
    }


def _lint_options(parser: argparse.ArgumentParser) -> None:
    _json(parser)
    parser.add_argument(
        "--since",
        type=at_least(0),
        default=None,
        metavar="N",
        help="lint only migrations above version N (those up to N count as applied; 0: a "
        "fresh database)",
    )


def run_lint(inv: Invocation) -> dict[str, Any]:
    """Offline, unless --database-url/--database-url-file is given on the command line: then
    the findings are graded by the real table sizes (DATABASE_URL alone does not do it, so a
    CI job's small test database never turns errors into notes)."""
    from aim_migrate import lint  # noqa: PLC0415 - imports the SQL parser

    args = inv.args
    sizes = None
    if args.database_url is not None or args.database_url_file is not None:
        from aim_migrate import runner  # noqa: PLC0415

        with inv.database() as target, runner.session(target, inv.config, inv.log) as conn:
            sizes = lint.table_sizes(conn, target.schema)
    else:
        inv.started()
    from aim_migrate.source import load  # noqa: PLC0415 - not runner's: offline, no psycopg

    config = inv.config
    source = load(
        config.migrations_dir, baseline_override=config.baseline_version, strict=config.strict
    )
    found = lint.lint(source, since=args.since, sizes=sizes, schema=config.schema)
    inv.emit(lint.render(found, as_json=args.json))
    if found.errors:
        raise lint.failure(found)
    return {
        "files": found.files,
        "errors": 0,
        "warnings": found.count("warning"),
        "notes": found.count("note"),
        "allowed": len(found.allowed),
    }


def run_new(inv: Invocation) -> dict[str, Any]:
    from aim_migrate.source import create_migration  # noqa: PLC0415

    inv.started()
    path = create_migration(inv.config.migrations_dir, " ".join(inv.args.description))
    inv.log.info(
        "migration.created",
        file=str(path),
        message="Write the SQL, then run 'aim-migrate consolidate' and commit both files.",
    )
    print(path)
    return {"file": str(path)}


def run_baseline(inv: Invocation) -> dict[str, Any]:
    from aim_migrate import operations  # noqa: PLC0415

    with inv.database() as target:
        outcome = operations.mark_baseline(inv.config, target, inv.log, inv.args.at_version)
    return {"recorded": len(outcome.recorded), "current_version": inv.args.at_version}


def run_repair(inv: Invocation) -> dict[str, Any]:
    from aim_migrate import operations  # noqa: PLC0415

    with inv.database() as target:
        result = operations.repair(inv.config, target, inv.log, inv.args.reason, inv.args.only)
    return {key: len(value) for key, value in result.items()}


def run_down(inv: Invocation) -> dict[str, Any]:
    from aim_migrate import operations, report  # noqa: PLC0415

    args = inv.args
    with inv.database() as target:
        reverts = operations.down(
            inv.config,
            target,
            inv.log,
            steps=args.steps,
            to=args.to,
            allow_data_loss=args.allow_data_loss,
            dry_run=args.dry_run,
        )
    if args.dry_run:
        inv.emit(report.render_down_plan(reverts))
        return {"reverted": 0}
    return {"reverted": len(reverts)}


def run_wait(inv: Invocation) -> dict[str, Any]:
    from aim_migrate import operations  # noqa: PLC0415

    timeout = inv.args.timeout if inv.args.timeout is not None else inv.config.wait_timeout
    with inv.database() as target:
        ready = operations.wait(inv.config, target, inv.log, timeout, inv.source)
    return {"ready": len(ready)}


def _wait_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        type=_duration,
        default=None,
        metavar="D",
        help="give up (exit 5) after this long, e.g. 10m [AIM_WAIT_TIMEOUT, default 10m]",
    )


def _duration(text: str) -> float:
    from aim_migrate.config import parse_duration  # noqa: PLC0415

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run_history(inv: Invocation) -> dict[str, Any]:
    from aim_migrate import operations, report  # noqa: PLC0415

    with inv.database() as target:
        rows = operations.history_rows(inv.config, target, inv.log)
    inv.emit(report.render_history(rows, as_json=inv.args.json))
    return {"rows": len(rows)}


COMMANDS: tuple[Command, ...] = (
    Command(
        "migrate",
        "apply pending migrations",
        "apply what is pending (the default command)",
        _migrate_options,
        run_migrate,
        pushes_metrics=True,
        fans_out=True,
    ),
    Command(
        "status",
        "applied / pending / track",
        "show applied and pending migrations and the detected track",
        _json,
        run_status,
        reports=True,
        fans_out=True,
    ),
    Command(
        "plan",
        "what migrate would do",
        "show what migrate would do, changing nothing (--check: exit 3 if pending)",
        _plan_options,
        run_status,
        reports=True,
        fans_out=True,
    ),
    Command(
        "validate",
        "check files (and checksums)",
        "check the files offline; with a database, also checksums and order",
        _json,
        run_validate,
        reports=True,
        fans_out=True,
    ),
    Command(
        "lint",
        "find migrations that would block production or break running pods",
        "check the migrations for blocking locks and breaking changes (--since N, --json)",
        _lint_options,
        run_lint,
        reports=True,
    ),
    Command(
        "baseline",
        "record an existing database as being at a version",
        "record an existing, unmanaged database as being at --version N",
        _baseline_options,
        run_baseline,
    ),
    Command(
        "repair",
        "clear unfinished records, accept reviewed checksum changes",
        "clear unfinished non-transactional records; accept reviewed edits (--reason)",
        _repair_options,
        run_repair,
    ),
    Command(
        "verify",
        "prove that the baseline and the incremental chain agree",
        "build the baseline and the chain in scratch databases; exit 3 if they differ",
        _verify_options,
        run_verify,
        reports=True,
    ),
    Command(
        "consolidate",
        "generate the baseline from the incremental chain",
        "build the chain in a scratch database and write the baseline from it (--check)",
        _consolidate_options,
        run_consolidate,
        reports=True,
    ),
    Command(
        "new",
        "create the next migration file",
        "create the next-numbered migration file from the template",
        _new_options,
        run_new,
        reports=True,
    ),
    Command(
        "down",
        "revert the newest migrations with their .down.sql files",
        "revert the newest migrations with their .down.sql (--steps K | --to N)",
        _down_options,
        run_down,
        reports_with="--dry-run",
    ),
    Command(
        "wait",
        "wait until this image's pre-deploy migrations are applied",
        "wait (read-only, no lock) until every pre-deploy migration is applied; exit 5 on timeout",
        _wait_options,
        run_wait,
        fans_out=True,
    ),
    Command(
        "history",
        "the audit trail: what was applied, when, by whom",
        "the audit trail of the history table (--json)",
        _json,
        run_history,
        reports=True,
        fans_out=True,
    ),
)
BY_NAME = {command.name: command for command in COMMANDS}


@contextmanager
def _conninfo(config: Config, args: argparse.Namespace) -> Iterator[str]:
    if config.embedded:
        if config.database_url or config.database_url_file:
            raise ConfigError(
                "--embedded and DATABASE_URL/DATABASE_URL_FILE are both set.",
                hint="Choose one: unset DATABASE_URL for a throwaway database, or drop --embedded.",
            )
        from aim_migrate.embedded import embedded_server  # noqa: PLC0415

        directory: Path | None = args.embedded_dir
        with embedded_server(directory) as url:
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
