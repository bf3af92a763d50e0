"""`aim-migrate lint`: the migrations that would block production or break the running pods.

Which migrations run together decides what is dangerous, so the files are first grouped into
*deploys* (see `plan_units`), then each file is checked statement by statement against a
model of the schema the earlier files built (lint_checks.py) with the rules of
lint_rules.py. Then the acknowledged findings are set aside: a comment
`-- aim-migrate: allow=<rule> <reason>` before a statement (in the file's header too)
silences that rule for that statement; the reason is required.

Imported only by `lint` and `validate` (it imports the PostgreSQL parser, pglast).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from aim_migrate.errors import ConfigError, ValidationError

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg.rows import TupleRow

    from aim_migrate.lint_checks import FileChecker, Finding, TableSize, Unit
    from aim_migrate.plan import Plan
    from aim_migrate.source import Migration, MigrationSet

_PREFIX = "aim-migrate"


def _parser() -> Any:
    """pglast, or a configuration error saying how to install it."""
    try:
        from pglast import parser  # noqa: PLC0415 - the one optional import of lint
    except ImportError:
        raise ConfigError(
            "lint needs the PostgreSQL parser package (pglast), which is not installed.",
            hint="Install it with: pip install 'aim-migrate[lint]'.",
        ) from None
    return parser


def available() -> bool:
    try:
        _parser()
    except ConfigError:
        return False
    return True


class Allow(NamedTuple):
    line: int
    column: int
    rules: tuple[str, ...]
    reason: str
    statement: int  # char offset of the statement it applies to (-1: none follows)


class Report(NamedTuple):
    files: int
    findings: tuple[Finding, ...]  # what is reported (not allowed), in file order
    allowed: tuple[tuple[Finding, str], ...]  # (finding, reason) acknowledged in the files

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def errors(self) -> int:
        return self.count("error")

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "errors": self.errors,
            "warnings": self.count("warning"),
            "notes": self.count("note"),
            "findings": [f.as_dict() for f in self.findings],
            "allowed": [{**f.as_dict(), "reason": reason} for f, reason in self.allowed],
        }


# --- which files run together --------------------------------------------------------------


def plan_units(
    migrations: Sequence[Migration],
    *,
    since: int | None = None,
    pending: Iterable[str] | None = None,
    fresh: bool = False,
) -> list[Unit]:
    """How each migration is linted: its deploy, and whether it is reported on.

    * Neither `since` nor `pending`: every file is its own deploy onto a database that has
      everything before it (how a chain reaches production, one release at a time).
    * `since=N`: files up to N are history (they build the model, nothing is reported); the
      newer ones are one pending deploy. `since=0` is a fresh database: nothing exists.
    * `pending` (validate against a database): those files are one deploy, the others
      history; `fresh` when the database is empty (the baseline or chain track).
    """
    from aim_migrate.lint_checks import Unit  # noqa: PLC0415

    names = set(pending) if pending is not None else None
    units = []
    for index, m in enumerate(migrations):
        if names is not None:
            in_batch = fresh or m.name in names
            deploy, report, is_fresh = (1 if in_batch else 0), m.name in names, fresh
        elif since is not None:
            in_batch = m.number > since
            deploy, report, is_fresh = (1 if in_batch else 0), in_batch, since == 0
        else:
            deploy, report, is_fresh = index + 1, True, False
        units.append(
            Unit(
                index=index,
                deploy=deploy,
                phase=m.phase,
                fresh=is_fresh and deploy == 1,
                transactional=m.transactional,
                batched=m.file.batched,
                lint=report,
            )
        )
    return units


def lint(
    source: MigrationSet,
    *,
    since: int | None = None,
    pending: Iterable[str] | None = None,
    fresh: bool = False,
    sizes: Mapping[str, TableSize] | None = None,
    schema: str = "public",
) -> Report:
    """Lint the incremental migrations of `source` (see plan_units for which, and how)."""
    _parser()
    from aim_migrate.lint_checks import FileChecker, Schema  # noqa: PLC0415

    migrations = source.migrations
    units = plan_units(migrations, since=since, pending=pending, fresh=fresh)
    model = Schema(schema)
    findings: list[Finding] = []
    allowed: list[tuple[Finding, str]] = []
    files = 0
    for m, unit in zip(migrations, units, strict=True):
        checker = FileChecker(model, unit, _shown(m.file.location), m.file.text, sizes)
        found = checker.run()
        if not unit.lint:
            continue
        files += 1
        kept, acknowledged = _apply_allows(checker, found)
        findings += kept
        allowed += acknowledged
    return Report(files, tuple(findings), tuple(allowed))


def _shown(location: str) -> str:
    """A path to print: relative to the working directory when it is below it."""
    try:
        relative = os.path.relpath(location)
    except ValueError:  # another drive (Windows)
        return location
    return location if relative.startswith("..") else relative


# --- allow= directives ---------------------------------------------------------------------


def allows(text: str, statements: Sequence[tuple[int, int]]) -> list[Allow]:
    """The allow= directives of a file, each attached to its statement: the one whose text
    contains the comment, or else the next one. A directive must be a `--` comment on a line
    of its own (after a statement on the same line, it would read as being about that one)."""
    from aim_migrate.lint_checks import LineStarts  # noqa: PLC0415

    parser = _parser()
    lines = LineStarts(text)
    found = []
    for token in parser.scan(text):
        if token.name != "SQL_COMMENT":
            continue
        comment = text[token.start : token.end + 1]
        body = comment[2:].strip()
        if not body.startswith(_PREFIX):
            continue
        directive = body[len(_PREFIX) :].lstrip()
        if not directive.startswith(":"):
            continue
        line, column = lines.locate(token.start)
        if text[lines.start_of(line) : token.start].strip():
            continue  # not on a line of its own
        at = directive.find("allow=")
        if at == -1 or directive[at - 1] not in ": \t,":
            continue
        rules, reason = _allow_parts(directive[at + len("allow=") :])
        statement = next((start for start, end in statements if token.start < end), -1)
        found.append(Allow(line, column, rules, reason, statement))
    return found


def _allow_parts(text: str) -> tuple[tuple[str, ...], str]:
    """`a,b the reason, in words` -> (('a', 'b'), 'the reason, in words')."""
    rules: list[str] = []
    rest = text.strip()
    while rest:
        word, _, after = rest.partition(" ")
        rules += [r for r in word.split(",") if r]
        rest = after.strip()
        if not word.endswith(",") and not rest.startswith(","):
            break
        rest = rest.lstrip(",").strip()
    return tuple(rules), rest


def _apply_allows(
    checker: FileChecker, found: list[Finding]
) -> tuple[list[Finding], list[tuple[Finding, str]]]:
    from aim_migrate.lint_checks import Finding  # noqa: PLC0415
    from aim_migrate.lint_rules import RULES  # noqa: PLC0415

    kept: list[Finding] = []
    acknowledged: list[tuple[Finding, str]] = []
    directives = allows(checker.text, checker.statements) if "allow=" in checker.text else []
    used: set[tuple[int, str]] = set()
    for finding in found:
        reason = next(
            (
                a.reason
                for a in directives
                if a.reason and a.statement == finding.statement and finding.rule in a.rules
            ),
            None,
        )
        if reason is None:
            kept.append(finding)
        else:
            acknowledged.append((finding, reason))
            used.add((finding.statement, finding.rule))

    def meta(rule_id: str, allow: Allow, message: str) -> Finding:
        rule = RULES[rule_id]
        return Finding(
            rule_id, rule.severity, checker.path, allow.line, allow.column, message, rule.fix
        )

    for allow in directives:
        unknown = [r for r in allow.rules if r not in RULES]
        if not allow.rules or unknown:
            named = ", ".join(unknown) if unknown else "no rule"
            kept.append(meta("allow-unknown-rule", allow, f"allow= names {named}"))
            continue
        if not allow.reason:
            kept.append(
                meta(
                    "allow-without-reason",
                    allow,
                    f"allow={','.join(allow.rules)} gives no reason: an acknowledged danger "
                    "must say why it is safe here",
                )
            )
            continue
        for rule_id in allow.rules:
            if (allow.statement, rule_id) not in used:
                kept.append(
                    meta(
                        "allow-unused",
                        allow,
                        f"allow={rule_id} silences nothing: the statement after it has no "
                        f"{rule_id} finding",
                    )
                )
    kept.sort(key=lambda f: (f.line, f.column))
    return kept, acknowledged


# --- table sizes ---------------------------------------------------------------------------

_SIZES = """
SELECT n.nspname, c.relname, c.relkind, c.reltuples, pg_table_size(c.oid)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'm')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\\_toast%'
"""


def table_sizes(conn: Connection[TupleRow], schema: str) -> dict[str, TableSize]:
    """Every table's estimated rows (pg_class.reltuples) and size (pg_table_size), keyed as
    the linter names tables: `name` in the target schema, `schema.name` elsewhere."""
    from aim_migrate.lint_checks import TableSize  # noqa: PLC0415

    sizes = {}
    for namespace, name, kind, tuples, size in conn.execute(_SIZES).fetchall():
        key = name if namespace == schema else f"{namespace}.{name}"
        if kind == "p":  # a partitioned table holds nothing itself: its size is unknown
            sizes[key] = TableSize(None, None)
            continue
        rows = float(tuples) if tuples is not None and tuples >= 0 else None
        sizes[key] = TableSize(rows, int(size) if size is not None else None)
    return sizes


# --- output --------------------------------------------------------------------------------


def render(report: Report, *, as_json: bool) -> str:
    if as_json:
        return json.dumps(report.as_dict(), indent=2) + "\n"
    lines = []
    for f in report.findings:
        lines.append(f"{f.file}:{f.line}:{f.column}: {f.severity} [{f.rule}] {f.message}.")
        if f.lock is not None and f.table is not None:
            lines.append(f"    lock: {f.lock} on {f.table}; blocks {f.blocks}")
        lines.append(f"    fix: {f.fix}")
    summary = (
        f"{report.errors} error(s), {report.count('warning')} warning(s), "
        f"{report.count('note')} note(s) in {report.files} file(s)"
    )
    if report.allowed:
        summary += f"; {len(report.allowed)} acknowledged with allow="
    lines.append(("lint: " if report.findings else "ok: no findings; ") + summary)
    return "\n".join(lines) + "\n"


def failure(report: Report) -> ValidationError:
    """The error `lint` (and `validate`) raise when there is an error-level finding."""
    first = next(f for f in report.findings if f.severity == "error")
    return ValidationError(
        f"lint found {report.errors} error(s); first: {first.file}:{first.line}:{first.column} "
        f"[{first.rule}] {first.message}.",
        hint="Write each the safe way (its 'fix'), or, when it is safe here, acknowledge it "
        "with '-- aim-migrate: allow=<rule> <reason>' on the line before the statement.",
        event="lint.failed",
        errors=report.errors,
        file=first.file,
        line=first.line,
        column=first.column,
        rule=first.rule,
    )


# --- validate ------------------------------------------------------------------------------


def lint_plan(
    source: MigrationSet, plan: Plan, sizes: Mapping[str, TableSize] | None, schema: str
) -> Report:
    """The rules on what `plan` would apply: its pending (and deferred) migrations as one
    deploy onto the database it was made for (an empty one on the baseline and chain tracks)."""
    from aim_migrate.plan import TRACK_BASELINE, TRACK_CHAIN  # noqa: PLC0415

    pending = [m.name for m in (*plan.pending, *plan.deferred)]
    fresh = plan.track in (TRACK_BASELINE, TRACK_CHAIN)
    return lint(source, pending=pending, fresh=fresh, sizes=sizes, schema=schema)
