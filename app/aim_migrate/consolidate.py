"""`aim-migrate consolidate`: generate the baseline from the incremental chain, so that the
two tracks cannot drift.

Every incremental migration is applied, in order and through the real runner, to a scratch
database (on the server of AIM_DEV_DATABASE_URL, or on an embedded PostgreSQL, as verify
does); then pg_dump writes what the chain built: the schema and the rows the chain inserted,
without the history table. The baseline file is that dump, kept as pg_dump wrote it except
for what must not reach a baseline that the runner applies in one transaction:

- pg_dump's session settings: `SET statement_timeout = 0` and friends, and the
  `set_config('search_path', '', false)`, would override the runner's own settings (and
  outlive the baseline's SQL); the settings that shape what the statements create
  (check_function_bodies, which pg_dump's order of objects needs, default_table_access_method,
  xmloption) become `SET LOCAL`;
- the `\\restrict`/`\\unrestrict` psql commands of newer pg_dump versions (a random key) and
  the "Dumped from/by version" comments (minor versions): the file would differ between runs
  and machines;
- `COMMENT ON EXTENSION` (the extension's script sets it; on plpgsql only a superuser may) and
  `CREATE SCHEMA` of the target schema (the runner creates it before the baseline runs).

Ownership and privileges are left out by pg_dump itself (--no-owner --no-privileges), the rows
are INSERT statements (--column-inserts: the runner refuses COPY FROM stdin), and each table's
INSERTs are sorted, so that the file does not depend on where the rows happen to lie on disk.
The same chain gives the same bytes on every machine with the same PostgreSQL major version:
the scratch database is created from template0 with the C locale, and nothing that varies
(time, minor version, random key) is written.

`--check` builds the same file and compares it with the one on disk, changing nothing.
"""

from __future__ import annotations

import dataclasses
import os
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aim_migrate import source as files
from aim_migrate.errors import ConfigError, ValidationError
from aim_migrate.scratch import connect as scratch_connect
from aim_migrate.scratch import server as scratch_server
from aim_migrate.sqltext import Statement, split_statements

if TYPE_CHECKING:
    from aim_migrate.config import Config
    from aim_migrate.logs import Logger

DEFAULT_NAME = "V1__consolidated_schema.sql"
# Settings pg_dump sets that decide what the following statements create or how they parse:
# kept, for the baseline's transaction only. Every other session setting goes.
_LOCAL_SETTINGS = {
    "check_function_bodies",
    "default_table_access_method",
    "default_tablespace",
    "xmloption",
}
_PREAMBLE = re.compile(
    r"\A(--\n-- PostgreSQL database dump\n--\n\n)"
    r"(?:\\restrict [^\n]*\n\n?)?"
    r"(?:-- Dumped from database version [^\n]*\n)?"
    r"(?:-- Dumped by pg_dump version [^\n]*\n)?"
    r"\n?"
)
_TAIL = re.compile(r"\n\\unrestrict [^\n]*\n*\Z")
# pg_dump's section headers: `-- Name: x; Type: T; Schema: s; Owner: o` (and `Data for Name`).
_HEADER = re.compile(
    r"^--\n-- (?P<data>Data for )?Name: (?P<name>.*?); Type: (?P<type>[^;\n]*); "
    r"Schema: (?P<schema>[^;\n]*);[^\n]*\n--\n",
    re.MULTILINE,
)
_TRAILER = "--\n-- PostgreSQL database dump complete\n--\n"
# Quoted text and parentheses, to find expressions outside strings and identifiers.
_TOKEN = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|[()]""")
_CONNECTIVE = re.compile(r" (AND|OR) ")
_NAME = r'(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")'
_TYPE = rf"{_NAME}(?:\.{_NAME})?(?: [a-z]+)*(?:\([0-9]+(?:,[0-9]+)?\))?"
_LITERAL = r"(?:'(?:[^']|'')*'|NULL)"
_ARRAY_CAST = re.compile(
    rf"\(ARRAY\[{_LITERAL}::(?P<type>{_TYPE})(?:, {_LITERAL}::(?P=type))*(?P<end>\])\)::"
)
_DOLLAR_QUOTE = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$")
_VERSION = re.compile(r"\(PostgreSQL\)\s+([0-9]+)")


@dataclasses.dataclass(frozen=True, slots=True)
class Changes:
    """How the baseline on disk differs from the generated one, by pg_dump object."""

    added: list[str]
    removed: list[str]
    changed: list[str]
    header: bool  # the banner or directive differs (e.g. the baseline-version)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.header)

    def summary(self, limit: int = 8) -> str:
        parts = []
        for label, keys in (
            ("added", self.added),
            ("removed", self.removed),
            ("changed", self.changed),
        ):
            if keys:
                shown = ", ".join(keys[:limit]) + (
                    f", and {len(keys) - limit} more" if len(keys) > limit else ""
                )
                parts.append(f"{len(keys)} {label} ({shown})")
        if self.header:
            parts.append("the header differs")
        return "; ".join(parts) or "the text differs (order or whitespace only)"


@dataclasses.dataclass(frozen=True, slots=True)
class Consolidation:
    path: Path
    version: int  # the baseline-version written (the last incremental version)
    migrations: int
    objects: int
    changes: Changes
    previous_version: int | None  # what the file on disk declared, if there was one
    existed: bool
    written: bool  # False: the file was already what the chain generates, or --check

    @property
    def up_to_date(self) -> bool:
        return self.existed and self.changes.empty


def consolidate(
    config: Config, log: Logger, dev_url: str | None, *, check: bool = False
) -> Consolidation:
    """Build the chain, dump it, and write (or, with `check`, compare) the baseline file."""
    if dev_url:
        from aim_migrate.config import check_conninfo  # noqa: PLC0415

        check_conninfo(dev_url, "AIM_DEV_DATABASE_URL")
    # The baseline on disk is about to be replaced: only its name matters, so a stale or
    # broken declared version must not stop its regeneration (override 0 skips that check).
    source = files.load(config.migrations_dir, baseline_override=0, strict=config.strict)
    if not source.migrations:
        raise ValidationError(
            f"There is no incremental migration in {str(source.directory)!r} to consolidate.",
            hint="consolidate builds the baseline from the numbered migrations; create one "
            "with 'aim-migrate new DESCRIPTION'.",
            event="consolidate.nothing",
        )
    path = source.baseline.file.path if source.baseline else source.directory / DEFAULT_NAME
    version = source.migrations[-1].number
    text, objects = generate(config, log, dev_url, source, round_trip=not check)
    existed = path.exists()
    old = path.read_bytes().decode("utf-8", "replace") if existed else ""
    changes = compare(old, text) if existed else Changes(sorted(_objects(text)), [], [], True)
    written = False
    if not check and (not existed or old != text):
        _write(path, text)
        written = True
    result = Consolidation(
        path=path,
        version=version,
        migrations=len(source.migrations),
        objects=objects,
        changes=changes,
        previous_version=_declared(old) if existed else None,
        existed=existed,
        written=written,
    )
    log.info(
        "consolidate.checked" if check else "consolidate.finished",
        file=str(path),
        baseline_version=version,
        objects=objects,
        written=written,
        up_to_date=result.up_to_date,
    )
    return result


def generate(
    config: Config,
    log: Logger,
    dev_url: str | None,
    source: files.MigrationSet,
    *,
    round_trip: bool = True,
) -> tuple[str, int]:
    """The baseline's text as the chain of `source` builds it, and how many objects it has.

    With `round_trip`, the text is also applied as a baseline to a second scratch database,
    which must dump the same: a baseline that does not build what the chain builds is never
    written."""
    from aim_migrate import runner  # noqa: PLC0415
    from aim_migrate.plan import PlanOptions  # noqa: PLC0415
    from aim_migrate.target import target  # noqa: PLC0415

    started = time.monotonic()
    chain = source._replace(baseline=None)
    path = source.baseline.file.path if source.baseline else source.directory / DEFAULT_NAME
    with scratch_server(dev_url) as admin_url:
        server_major = _check_server(admin_url)
        pg_dump, dump_major = find_pg_dump(server_major)
        with _scratch(admin_url, server_major) as url:
            scratch = target(config, url)
            runner.migrate(
                config, scratch, scratch.logger(log).bind(step="chain"), PlanOptions(), chain
            )
            body = clean(_dump(pg_dump, url, config.schema, config.history_table), config.schema)
        text = banner(chain, config, server_major, dump_major) + body
        _check_statements(text, path)
        if round_trip:
            with _scratch(admin_url, server_major) as url:
                scratch = target(config, url)
                as_baseline = _with_baseline(chain, path, text)
                runner.migrate(
                    config,
                    scratch,
                    scratch.logger(log).bind(step="round-trip"),
                    PlanOptions(),
                    as_baseline,
                )
                rebuilt = clean(
                    _dump(pg_dump, url, config.schema, config.history_table), config.schema
                )
            if rebuilt != body:
                raise _not_round_trip(compare(body, rebuilt))
    log.info(
        "consolidate.built",
        migrations=len(chain.migrations),
        through=chain.migrations[-1].number,
        server_version=server_major,
        pg_dump=pg_dump,
        pg_dump_version=dump_major,
        round_trip=round_trip,
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    return text, len(_objects(body))


def _with_baseline(chain: files.MigrationSet, path: Path, text: str) -> files.MigrationSet:
    import hashlib  # noqa: PLC0415

    version = chain.migrations[-1].number
    sql_file = files.SqlFile(
        str(path),
        text,
        hashlib.sha256(text.encode("utf-8")).hexdigest(),
        {"baseline-version": (str(version), 1)},
    )
    baseline = files.Baseline(path.name[: -len(".sql")], sql_file, version, "declared")
    return chain._replace(baseline=baseline)


def _not_round_trip(changes: Changes) -> ValidationError:
    objects = changes.changed + changes.added + changes.removed
    return ValidationError(
        "The dump of the chain does not build the same database again: pg_dump prints "
        f"{len(objects)} object(s) in a form that PostgreSQL reads back as a different "
        f"(equivalent) definition: {', '.join(objects[:8]) or 'the rows or order'}. The "
        "baseline was not written.",
        hint="Write these definitions the way the server prints them back (pg_dump shows it), "
        "in a new migration that recreates them, so that both tracks build the same objects; "
        "or report the construct so that consolidate learns to keep it.",
        event="consolidate.round_trip",
        objects=objects[:50],
    )


def banner(chain: files.MigrationSet, config: Config, server_major: int, dump_major: int) -> str:
    first, last = chain.migrations[0], chain.migrations[-1]
    count = len(chain.migrations)
    return (
        f"-- aim-migrate: baseline-version={last.number}\n"
        "--\n"
        "-- GENERATED FILE: do not edit it by hand.\n"
        "-- 'aim-migrate consolidate' wrote it: the database that the incremental migrations\n"
        f"--   {first.name} .. {last.name} ({count} file{'s' if count > 1 else ''})\n"
        "-- build, applied in order through the runner to a scratch PostgreSQL "
        f"{server_major} database\n"
        f"-- and dumped by pg_dump {dump_major}: the schema and the rows the migrations "
        "inserted,\n"
        f"-- without the history table {config.schema}.{config.history_table}.\n"
        "-- To change the schema: 'aim-migrate new', write the migration, then\n"
        "-- 'aim-migrate consolidate', and commit both; 'aim-migrate consolidate --check'\n"
        "-- fails while this file is not what the chain generates.\n"
        "\n"
    )


# --- the dump --------------------------------------------------------------------------------


def find_pg_dump(server_major: int) -> tuple[str, int]:
    """The pg_dump to use: the embedded server's, or one on PATH, of the server's major version
    if there is one, else the oldest newer one (pg_dump refuses an older version's dump of a
    newer server). In that order, so the same machine always picks the same one."""
    import importlib.util  # noqa: PLC0415
    import shutil  # noqa: PLC0415

    candidates: list[str] = []
    spec = importlib.util.find_spec("pgserver")
    if spec is not None and spec.origin is not None:
        shipped = Path(spec.origin).parent / "pginstall" / "bin" / "pg_dump"
        if shipped.is_file():
            candidates.append(str(shipped))
    on_path = shutil.which("pg_dump")
    if on_path is not None:
        candidates.append(on_path)
    found = [(path, major) for path in candidates if (major := _major(path)) is not None]
    usable = [(path, major) for path, major in found if major >= server_major]
    if usable:
        return min(usable, key=lambda item: item[1])  # min() keeps the first of equals
    seen = ", ".join(f"{path} ({major})" for path, major in found) or "none"
    raise ConfigError(
        f"consolidate needs pg_dump {server_major} or newer for the PostgreSQL {server_major} "
        f"server it builds the chain on; found: {seen}.",
        hint=f"Install the PostgreSQL {server_major} client tools (e.g. postgresql-client-"
        f"{server_major}) so that pg_dump is on PATH, or unset AIM_DEV_DATABASE_URL to use the "
        "embedded server and its pg_dump (pip install 'aim-migrate[embedded]').",
        event="consolidate.pg_dump_missing",
        server_version=server_major,
        found=[path for path, _ in found],
    )


def _major(pg_dump: str) -> int | None:
    import subprocess  # noqa: PLC0415 - only consolidate runs programs

    try:
        out = subprocess.run(
            [pg_dump, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = _VERSION.search(out)
    return int(match.group(1)) if match else None


def _dump(pg_dump: str, url: str, schema: str, history_table: str) -> str:
    import subprocess  # noqa: PLC0415

    from psycopg import conninfo as pg_conninfo  # noqa: PLC0415

    params: dict[str, Any] = pg_conninfo.conninfo_to_dict(url)
    env = dict(os.environ)
    password = params.pop("password", None)
    if password is not None:  # in the environment, not on a command line that ps shows
        env["PGPASSWORD"] = str(password)
    args = [
        pg_dump,
        "--no-owner",
        "--no-privileges",
        "--no-tablespaces",
        "--no-subscriptions",
        "--column-inserts",
        "--encoding=UTF8",
        f"--exclude-table={_pattern(schema)}.{_pattern(history_table)}",
        "--dbname",
        pg_conninfo.make_conninfo("", **params),
    ]
    proc = subprocess.run(args, capture_output=True, env=env, check=False)
    if proc.returncode != 0:
        reason = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ConfigError(
            f"pg_dump failed (exit {proc.returncode}): {' '.join(reason[:3])}",
            hint="Check that this pg_dump can dump the server (its version must not be older "
            "than the server's).",
            event="consolidate.pg_dump_failed",
            pg_dump=pg_dump,
        )
    return proc.stdout.decode("utf-8").replace("\r\n", "\n")


def _pattern(name: str) -> str:
    """A name as a pg_dump pattern that matches it alone: quoted, so `*`, `?` and `.` in it
    are literal and its case is kept."""
    return '"' + name.replace('"', '""') + '"'


# --- the clean-up ----------------------------------------------------------------------------


def clean(raw: str, schema: str) -> str:
    """pg_dump's output without what must not reach a baseline (see the module docstring);
    everything else byte for byte."""
    text = _TAIL.sub("\n", _PREAMBLE.sub(r"\1", raw, count=1), count=1)
    statements = split_statements(text)
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), in order
    section: re.Match[str] | None = None
    rows: list[tuple[Statement, int]] = []  # the INSERTs of the current TABLE DATA section
    pos = 0
    for statement in statements:
        headers = list(_HEADER.finditer(text, pos, statement.offset))
        if headers:
            edits.extend(_sorted_rows(text, rows))
            rows = []
            section = headers[-1]
        end = _end(text, statement)
        pos = end
        words = statement.words
        if section is not None and section["data"] and words[:2] == ("INSERT", "INTO"):
            rows.append((statement, end))
            continue
        if words[:1] == ("SET",) and words[1:2] != ("LOCAL",):
            setting = words[1].lower() if len(words) > 1 else ""
            if setting in _LOCAL_SETTINGS:
                edits.append((statement.offset, statement.offset + 3, "SET LOCAL"))
            else:
                edits.append((statement.offset, _line_end(text, end), ""))
        elif statement.text.startswith("SELECT pg_catalog.set_config("):
            edits.append((statement.offset, _line_end(text, end), ""))
        elif words[:3] == ("COMMENT", "ON", "EXTENSION") or _creates(statement, section, schema):
            start = section.start() if headers and section is not None else statement.offset
            edits.append((start, _blank_lines_end(text, end), ""))
        else:
            edits.extend(_stable_expressions(statement))
    edits.extend(_sorted_rows(text, rows))
    out, at = [], 0
    for start, end, replacement in sorted(edits):
        out.append(text[at:start])
        out.append(replacement)
        at = end
    out.append(text[at:])
    return "".join(out)


def _stable_expressions(statement: Statement) -> list[tuple[int, int, str]]:
    """Insertions that make the server's printed expressions read back as the same
    expressions (not just equivalent ones), where PostgreSQL's own text does not:

    - a cast of an ARRAY[...], as printed for `varchar_column IN ('a', 'b')`:
      `(ARRAY['a'::character varying, 'b'::character varying])::text[]`. Read back, the cast
      is pushed into the elements (`ARRAY['a'::character varying::text, ...]`); with the
      array's own type cast first, `(ARRAY[...]::character varying[])::text[]`, it is not;
    - an AND (OR) whose first operand is an AND (OR) the server made, e.g. from BETWEEN:
      `(((x >= 0) AND (x <= 9)) AND (y > 0))`. Read back, the parser merges the first operand
      into one three-way AND; `((x >= 0) AND (x <= 9))::boolean` (a cast to its own type,
      which leaves no trace) keeps it apart.

    Routine bodies are left alone: their text is kept as written, not printed."""
    text = statement.text
    if "(" not in text or _DOLLAR_QUOTE.search(text):
        return []
    opened: list[int] = []
    groups: dict[int, int] = {}  # where a parenthesis opens -> where it closes
    joins: dict[int, set[str]] = {}  # a group's own connectives (outside nested groups)
    edits: list[tuple[int, str]] = []  # (where, what to insert)
    at = 0
    for token in _TOKEN.finditer(text):
        if opened:
            joins.setdefault(opened[-1], set()).update(_CONNECTIVE.findall(text, at, token.start()))
        at = token.end()
        if token.group() == "(":
            opened.append(token.start())
            cast = _ARRAY_CAST.match(text, token.start())
            if cast is not None:
                edits.append((statement.offset + cast.end("end"), f"::{cast['type']}[]"))
        elif token.group() == ")" and opened:
            groups[opened.pop()] = token.start()
    for start, end in groups.items():
        if start == 0 or text[start - 1] != "(" or (start - 1) not in groups:
            continue
        following = _CONNECTIVE.match(text, end + 1)
        if following is not None and following.group(1) in joins.get(start, ()):
            edits.append((statement.offset + end + 1, "::boolean"))
    return [(position, position, insertion) for position, insertion in edits]


def _creates(statement: Statement, section: re.Match[str] | None, schema: str) -> bool:
    """CREATE SCHEMA of the target schema, which the runner creates itself, or of public,
    which every database has (and only its owner may create again)."""
    return (
        statement.words[:2] == ("CREATE", "SCHEMA")
        and section is not None
        and section["type"] == "SCHEMA"
        and section["name"] in (schema, "public")
    )


def _end(text: str, statement: Statement) -> int:
    end = statement.offset + len(statement.text)
    return end + 1 if text.startswith(";", end) else end


def _line_end(text: str, end: int) -> int:
    return end + 1 if text.startswith("\n", end) else end


def _blank_lines_end(text: str, end: int) -> int:
    while text.startswith("\n", end):
        end += 1
    return end


def _sorted_rows(text: str, rows: list[tuple[Statement, int]]) -> list[tuple[int, int, str]]:
    """One TABLE DATA section's INSERTs in a stable order: pg_dump writes them in the order
    they lie on disk, which updates, deletes and vacuum can change."""
    if len(rows) < 2:
        return []
    start, end = rows[0][0].offset, rows[-1][1]
    pieces = [text[s.offset : e] for s, e in rows]
    if "\n".join(pieces) != text[start:end]:  # not one INSERT a line: leave it as it is
        return []
    return [(start, end, "\n".join(sorted(pieces)))]


def _check_statements(text: str, path: Path) -> None:
    """The result must be a baseline the runner accepts, and leave no session setting."""
    sql_file = files.SqlFile(str(path), text, "", {})
    try:
        found = files.statements(sql_file, transactional=True)
    except ValidationError as exc:
        raise ValidationError(
            f"The generated baseline would not pass the runner's checks: {exc.message}",
            hint="pg_dump wrote something the runner cannot apply; please report it with the "
            "migration that creates the object.",
            event="consolidate.unusable_dump",
        ) from None
    leaks = [s for s in found if s.changes_session]
    if leaks:
        raise ValidationError(
            f"The generated baseline would change the session: {leaks[0].text[:80]!r}.",
            hint="Please report it with the migration that creates the object.",
            event="consolidate.unusable_dump",
        )


# --- comparing -------------------------------------------------------------------------------


def compare(old: str, new: str) -> Changes:
    """What differs between two baselines, by pg_dump object (its section header)."""
    if old == new:
        return Changes([], [], [], header=False)
    before, after = _objects(old), _objects(new)
    return Changes(
        added=sorted(after.keys() - before.keys()),
        removed=sorted(before.keys() - after.keys()),
        changed=sorted(k for k in after.keys() & before.keys() if after[k] != before[k]),
        header=_preamble(old) != _preamble(new),
    )


def _objects(text: str) -> dict[str, str]:
    """pg_dump object key (e.g. `table public.agents`, `rows public.agents`) -> its SQL."""
    matches = list(_HEADER.finditer(text))
    found: dict[str, str] = {}
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        body = text[match.end() : end].replace(_TRAILER, "").strip()
        key = _key(match)
        n = 1
        while (unique := key if n == 1 else f"{key} #{n}") in found:
            n += 1
        found[unique] = body
    return found


def _key(match: re.Match[str]) -> str:
    name, kind, schema = match["name"], match["type"], match["schema"]
    qualified = name if schema == "-" else f"{schema}.{name}"
    if match["data"]:
        return f"rows {qualified}"
    if kind == "COMMENT":  # Name: TABLE agents, COLUMN agents.name, EXTENSION x
        what, _, rest = name.partition(" ")
        return f"comment on {what.lower()} {rest if schema == '-' else f'{schema}.{rest}'}"
    return f"{kind.lower()} {qualified}"


def _preamble(text: str) -> str:
    match = _HEADER.search(text)
    return text[: match.start()] if match else text


def _declared(text: str) -> int | None:
    match = re.search(r"^--\s*aim-migrate\s*:.*?baseline-version=([0-9]+)", text, re.MULTILINE)
    return int(match.group(1)) if match else None


def _write(path: Path, text: str) -> None:
    """Atomically: a reader (or an interrupted run) sees the old file or the new one."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")  # ignored by load
    try:
        temporary.write_bytes(text.encode("utf-8"))
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


# --- the scratch server ----------------------------------------------------------------------


def _check_server(admin_url: str) -> int:
    """The server's major version; refused before anything is created without CREATEDB."""
    from psycopg import sql  # noqa: PLC0415

    with scratch_connect(admin_url, "consolidate") as conn:
        row = conn.execute(
            "SELECT current_user, rolcreatedb OR rolsuper FROM pg_roles "
            "WHERE rolname = current_user"
        ).fetchone()
        major = conn.info.server_version // 10000
    if row is not None and row[1]:
        return major
    user = str(row[0]) if row is not None else "?"
    quoted = sql.Identifier(user).as_string(None) if user != "?" else "<role>"
    raise ConfigError(
        f"The role {user!r} on the server for consolidate (AIM_DEV_DATABASE_URL) lacks the "
        "CREATEDB privilege, which consolidate needs to build the chain in a scratch database.",
        hint=f"Grant it on that development server (ALTER ROLE {quoted} CREATEDB), use a role "
        "that has it, or unset AIM_DEV_DATABASE_URL to use an embedded server.",
        event="consolidate.privilege_missing",
        privilege="CREATEDB",
        role=user,
    )


@contextmanager
def _scratch(admin_url: str, server_major: int) -> Iterator[str]:
    """A new database from template0 with the C locale: nothing a server's template1 or its
    default locale holds can reach the dump."""
    from psycopg import conninfo as pg_conninfo  # noqa: PLC0415
    from psycopg import sql  # noqa: PLC0415

    name = f"aim_consolidate_{uuid.uuid4().hex[:10]}"
    provider = " LOCALE_PROVIDER libc" if server_major >= 15 else ""
    with scratch_connect(admin_url, "consolidate") as conn:
        conn.execute(
            sql.SQL(
                "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' "
                "LC_CTYPE 'C'" + provider
            ).format(sql.Identifier(name))
        )
    try:
        params: dict[str, Any] = {**pg_conninfo.conninfo_to_dict(admin_url), "dbname": name}
        yield pg_conninfo.make_conninfo("", **params)
    finally:
        with scratch_connect(admin_url, "consolidate") as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
