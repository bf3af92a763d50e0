"""The migration files: discovery, naming rules, checksums and header directives.

File kinds in the migrations directory:
  V<n>__<description>.sql                  the baseline (at most one)
  <digits>_<description>.sql               an incremental migration ('-' may replace '_')
  <digits>_<description>.up.sql            the same, with a rollback file beside it
  <digits>_<description>.down.sql          the rollback file; never applied forward

Digits are ASCII 0-9 and the version must fit PostgreSQL's bigint. A description is letters,
digits, '_', '-' and '.' (so `0002_1.7.0_schema.up.sql` is version 2, `1.7.0_schema`).

Header directives are comment lines at the top of a file, before the first statement:
  -- aim-migrate: baseline-version=30      (baseline) the last incremental it contains
  -- aim-migrate: no-transaction           (incremental) run each statement in autocommit
  -- aim-migrate: data-loss                (down file) reverting destroys data
"""

from __future__ import annotations

import errno
import hashlib
import itertools
import operator
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from aim_migrate.errors import ValidationError
from aim_migrate.sqltext import LineIndex, SqlSyntaxError, Statement, split_statements

# [0-9], never \d: Python's \d also matches other scripts' digits ('٣١' would become 31).
_BASELINE_NAME = re.compile(r"V([0-9]+)__([A-Za-z0-9][A-Za-z0-9_.\-]*)\.sql")
_MIGRATION_NAME = re.compile(r"([0-9]+)([_-])([A-Za-z0-9][A-Za-z0-9_.\-]*?)(\.up|\.down)?\.sql")
_NAME_CHARACTERS = re.compile(r"[A-Za-z0-9_.\-]")
MAX_VERSION = 2**63 - 1  # the history's version_number is a bigint
_BOM = "\ufeff"
_DIRECTIVE = re.compile(r"--\s*aim-migrate\s*:(.*)")
_BASELINE_DIRECTIVES = {"baseline-version"}
_MIGRATION_DIRECTIVES = {"no-transaction", "post-deploy", "batched", "batch-pause"}
_VALUED_DIRECTIVES = {"baseline-version", "batch-pause"}
PRE_DEPLOY = "pre-deploy"
POST_DEPLOY = "post-deploy"
_DML = {"UPDATE", "DELETE", "INSERT", "WITH", "MERGE"}
_DOWN_DIRECTIVES = {"data-loss", "no-transaction"}


class SqlFile(NamedTuple):
    location: str  # the file's path (a str: pathlib costs more than reading a small file)
    text: str
    checksum: str  # SHA-256 of the file's bytes, hex
    directives: dict[str, tuple[str, int]]  # directive -> (value, line it is written on)
    bom: bool = False  # the bytes start with a UTF-8 byte-order mark; `text` is without it

    @property
    def path(self) -> Path:
        return Path(self.location)

    @property
    def transactional(self) -> bool:
        return "no-transaction" not in self.directives and "batched" not in self.directives

    @property
    def batched(self) -> bool:
        """One bounded DML statement, run again and again until it changes no row."""
        return "batched" in self.directives


class Migration(NamedTuple):
    number: int
    name: str  # the history key: the file name without `.up` / `.sql`
    description: str
    file: SqlFile
    down: SqlFile | None = None

    @property
    def transactional(self) -> bool:
        return self.file.transactional

    @property
    def phase(self) -> str:
        """pre-deploy (runs before the new pods start) unless marked post-deploy."""
        return POST_DEPLOY if "post-deploy" in self.file.directives else PRE_DEPLOY

    @property
    def sort_key(self) -> tuple[int, str]:
        return (self.number, self.name)


class Baseline(NamedTuple):
    name: str  # e.g. V1__consolidated_schema
    file: SqlFile
    version: int  # the last incremental version the baseline already contains
    version_source: str  # "declared" (header) or "override" (configuration)


class Notice(NamedTuple):
    """A finding that is worth a warning (or an error under --strict)."""

    code: str
    message: str
    fields: dict[str, Any]


class MigrationSet(NamedTuple):
    directory: Path
    baseline: Baseline | None
    migrations: tuple[Migration, ...]  # sorted by (number, name)
    notices: tuple[Notice, ...]

    def by_name(self) -> dict[str, Migration]:
        return {m.name: m for m in self.migrations}


def load(
    directory: Path, *, baseline_override: int | None = None, strict: bool = False
) -> MigrationSet:
    """Read every migration file, or raise ValidationError naming the offending file."""
    root = _resolve_directory(directory)
    baselines: list[tuple[int, str, SqlFile]] = []
    forward: dict[str, tuple[int, str, SqlFile]] = {}
    downs: dict[str, SqlFile] = {}
    entries = _sql_entries(root, directory)
    bom_files: list[str] = []
    for entry in entries:
        name, path = entry.name, entry.path
        migration_match = _MIGRATION_NAME.fullmatch(name)
        baseline_match = None if migration_match else _BASELINE_NAME.fullmatch(name)
        if baseline_match is None and migration_match is None:
            raise _bad_name(name, path)
        digits = (migration_match or baseline_match).group(1)  # type: ignore[union-attr]
        if int(digits) > MAX_VERSION:
            raise ValidationError(
                f"Migration file {name}: version {digits} is larger than the largest version "
                f"that can be recorded ({MAX_VERSION}, PostgreSQL's bigint).",
                hint="Use a shorter number (a timestamp such as 20240131120000 fits).",
                file=path,
            )
        sql_file = _read(entry, root)
        if sql_file.bom:
            bom_files.append(path)
        if baseline_match is not None:
            baselines.append((int(baseline_match.group(1)), name[: -len(".sql")], sql_file))
            continue
        assert migration_match is not None
        number = int(digits)
        description = migration_match.group(3)
        key = f"{digits}{migration_match.group(2)}{description}"
        if migration_match.group(4) == ".down":
            downs[key] = sql_file
            _check_directives(sql_file, _DOWN_DIRECTIVES)
            continue
        _check_directives(sql_file, _MIGRATION_DIRECTIVES)
        if key in forward:
            raise ValidationError(
                f"Two files define migration {key!r}: {forward[key][2].path.name} and {name}.",
                hint="Keep either NNN_name.sql or NNN_name.up.sql, not both.",
                file=path,
            )
        forward[key] = (number, description, sql_file)

    for key, down in downs.items():
        if key not in forward:
            raise ValidationError(
                f"Rollback file {down.path.name} has no forward migration {key}.sql.",
                hint="Rename it to match its forward migration or delete it.",
                file=str(down.path),
            )

    migrations = tuple(
        sorted(
            (
                Migration(number=num, name=key, description=desc, file=f, down=downs.get(key))
                for key, (num, desc, f) in forward.items()
            ),
            key=operator.itemgetter(0, 1),  # (number, name), as sort_key; without a call each
        )
    )
    notices = list(_duplicate_numbers(migrations))
    if strict and notices:
        first = notices[0]
        raise ValidationError(
            first.message,
            hint="--strict forbids two migrations with the same number; renumber the newer one "
            "unless both are already applied somewhere.",
            **first.fields,
        )
    baseline = _baseline(baselines, migrations, baseline_override)
    notices.extend(
        Notice(
            "source.bom_ignored",
            f"{Path(path).name} starts with a UTF-8 byte-order mark; it is ignored (the file is "
            "read from the character after it, and its checksum still covers it).",
            {"file": path},
        )
        for path in bom_files
    )
    return MigrationSet(root, baseline, migrations, tuple(notices))


def _bad_name(name: str, path: str) -> ValidationError:
    """Say which character breaks the naming rules, and what the rules are."""
    accepted = (
        "Accepted: NNN_description.sql (or NNN-description.sql, .up.sql, .down.sql) for "
        "incremental migrations and V<n>__description.sql for the baseline; NNN is ASCII "
        "digits, the description letters, digits, '_', '-' and '.'."
    )
    stem = name[: -len(".sql")]
    digits = len(stem) - len(stem.lstrip("0123456789"))
    if digits == 0 and not stem.startswith("V"):
        why = f"it starts with {_char(stem[:1])}, not a version number in ASCII digits"
    elif digits and (digits == len(stem) or stem[digits] not in "_-"):
        shown = _char(stem[digits]) if digits < len(stem) else "nothing"
        why = f"the version number must be followed by '_' or '-', not {shown}"
    else:
        bad = next((c for c in stem if not _NAME_CHARACTERS.fullmatch(c)), None)
        why = f"it contains {_char(bad)}" if bad is not None else "it does not match the pattern"
    return ValidationError(
        f"Migration file name {name!r} does not follow the naming rules: {why}.",
        hint=accepted,
        file=path,
    )


def _char(c: str) -> str:
    return f"{c!r} (U+{ord(c):04X})" if c else "nothing"


def _resolve_directory(directory: Path) -> Path:
    try:
        root = directory.resolve(strict=True)
    except (FileNotFoundError, NotADirectoryError):
        raise ValidationError(
            f"Migrations directory {str(directory)!r} does not exist.",
            hint="Set AIM_MIGRATIONS_DIR (or --migrations-dir) to the directory with the "
            ".sql files.",
            file=str(directory),
        ) from None
    except (RuntimeError, OSError) as exc:
        # Python < 3.13 reports a symlink loop as RuntimeError, 3.13 as OSError ELOOP.
        if isinstance(exc, RuntimeError) or exc.errno == errno.ELOOP:
            raise ValidationError(
                f"Migrations directory {str(directory)!r} is a symlink loop: following it "
                "never reaches a directory.",
                hint="Point AIM_MIGRATIONS_DIR at the real directory, or fix the link.",
                file=str(directory),
            ) from None
        raise ValidationError(
            f"Cannot open the migrations directory {str(directory)!r}: {exc.strerror}.",
            hint="Check the permissions of the directory and of its parents (the runner's "
            "user needs execute permission on each) and that the volume is mounted.",
            file=str(directory),
        ) from None
    if not root.is_dir():
        raise ValidationError(
            f"Migrations directory {str(directory)!r} is not a directory.",
            hint="Point AIM_MIGRATIONS_DIR at the directory that holds the .sql files.",
            file=str(directory),
        )
    return root


def _sql_entries(root: Path, directory: Path) -> list[os.DirEntry[str]]:
    """The directory's .sql entries in name order (the os.scandir block of `load`)."""
    try:
        with os.scandir(root) as scan:
            # README files, editor droppings and ConfigMap `..data` links are not migrations.
            entries = sorted(
                (e for e in scan if e.name.endswith(".sql") and not e.name.startswith(".")),
                key=lambda e: e.name,
            )
    except OSError as exc:
        raise ValidationError(
            f"Cannot read the migrations directory {str(directory)!r}: {exc.strerror}.",
            hint="Check the directory's permissions (the runner's user needs read and execute "
            "permission on it) and that the volume is mounted.",
            file=str(directory),
        ) from None
    for entry in entries:
        if not entry.is_symlink():
            continue
        try:
            os.stat(entry.path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise ValidationError(
                    f"Migration file {entry.name} is a symlink loop: following it never "
                    "reaches a file.",
                    hint="Replace the link with the file, or point it at a file in the "
                    "migrations directory.",
                    file=entry.path,
                ) from None
            # Anything else (a dangling link) is reported when the file is read.
    return entries


def _read(entry: os.DirEntry[str], root: Path) -> SqlFile:
    name, location = entry.name, entry.path
    if entry.is_symlink():
        target = Path(location).resolve()
        if not target.is_relative_to(root):
            raise ValidationError(
                f"Migration file {name} is a symlink to {str(target)!r}, outside the "
                "migrations directory.",
                hint="Copy the file into the migrations directory; links may only point inside it.",
                file=location,
            )
    if entry.is_dir():
        raise ValidationError(
            f"{name} is a directory, not a migration file.",
            hint="Rename or remove the directory.",
            file=location,
        )
    try:
        data = _read_bytes(location)
    except OSError as exc:
        raise ValidationError(
            f"Cannot read migration file {name}: {exc.strerror}.",
            hint="Check the file's permissions and that the volume is mounted.",
            file=location,
        ) from None
    nul = data.find(b"\x00")
    if nul != -1:
        # libpq sends a query as a C string: everything after a NUL would be cut off, and
        # `DELETE FROM t\0 WHERE id = 1` would delete every row.
        prefix = data[:nul].decode("utf-8", "replace")
        line, column = LineIndex(prefix).locate(len(prefix))
        raise ValidationError(
            f"{name}:{line}:{column}: the file contains a NUL byte, which PostgreSQL cannot "
            "receive: the statement would be cut off there and run incomplete.",
            hint="Remove the NUL byte (often left by a UTF-16 save or a binary paste) and save "
            "the file as UTF-8 text.",
            file=location,
            line=line,
            column=column,
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start].decode("utf-8")  # valid up to the first bad byte
        line, column = LineIndex(prefix).locate(len(prefix))
        raise ValidationError(
            f"Migration file {name} is not valid UTF-8 (line {line}, column {column}).",
            hint="Re-save the file as UTF-8.",
            file=location,
            line=line,
            column=column,
        ) from None
    bom = text.startswith(_BOM)
    if bom:
        text = text[1:]  # invisible in editors; it would hide a directive on the first line
    return SqlFile(
        location, text, hashlib.sha256(data).hexdigest(), _directives(name, location, text), bom
    )


def _read_bytes(location: str) -> bytes:
    """os-level reads: with thousands of small files, io.open's wrappers cost more than the I/O."""
    fd = os.open(location, os.O_RDONLY)
    try:
        chunks = [os.read(fd, 1 << 16)]
        while len(chunks[-1]) == 1 << 16:  # a short read of a regular file is its end
            chunks.append(os.read(fd, 1 << 16))
        return b"".join(chunks)
    finally:
        os.close(fd)


def _directives(name: str, location: str, text: str) -> dict[str, tuple[str, int]]:
    """Parse `-- aim-migrate:` lines in the leading comment block."""
    found: dict[str, tuple[str, int]] = {}
    if "aim-migrate" not in text:  # most files: no directive at all, no line-by-line scan
        return found
    pos, line_no = 0, 0
    while pos < len(text):
        end = text.find("\n", pos)
        if end == -1:
            end = len(text)
        line = text[pos:end].strip()
        line_no += 1
        pos = end + 1
        if not line:
            continue
        if not line.startswith("--"):
            break
        match = _DIRECTIVE.match(line)
        if match is None:
            continue
        for item in match.group(1).replace(",", " ").split():
            key, _, value = item.partition("=")
            if key == "allow":
                break  # `allow=<rule> <reason>`: the rest of the line is lint's (lint.py)
            if key in found:
                raise ValidationError(
                    f"{name}:{line_no}: directive {key!r} is given twice.",
                    hint="Keep one.",
                    file=location,
                    line=line_no,
                )
            found[key] = (value, line_no)
    return found


def _check_directives(sql_file: SqlFile, allowed: set[str]) -> None:
    for key, (value, line) in sql_file.directives.items():
        if key not in allowed:
            raise ValidationError(
                f"{sql_file.path.name}:{line}: unknown directive {key!r}.",
                hint="Known directives here: " + ", ".join(sorted(allowed)) + ".",
                file=str(sql_file.path),
                line=line,
            )
        if key not in _VALUED_DIRECTIVES and value:
            raise ValidationError(
                f"{sql_file.path.name}:{line}: directive {key!r} takes no value.",
                hint=f"Write '-- aim-migrate: {key}'.",
                file=str(sql_file.path),
                line=line,
            )
    _check_batch_pause(sql_file)


def _check_batch_pause(sql_file: SqlFile) -> None:
    if "batch-pause" not in sql_file.directives:
        return
    from aim_migrate.config import parse_duration  # noqa: PLC0415 - only for batched files

    value, line = sql_file.directives["batch-pause"]
    problem = None if "batched" in sql_file.directives else "goes with 'batched'"
    if problem is None:
        try:
            parse_duration(value)
        except ValueError:
            problem = f"needs a duration such as 100ms, not {value!r}"
    if problem is not None:
        raise ValidationError(
            f"{sql_file.path.name}:{line}: directive 'batch-pause' {problem}.",
            hint="Write '-- aim-migrate: batched' and '-- aim-migrate: batch-pause=100ms'.",
            file=str(sql_file.path),
            line=line,
        )


def batch_pause(sql_file: SqlFile) -> float:
    """Seconds to sleep between two batches of a batched file (0: none)."""
    if "batch-pause" not in sql_file.directives:
        return 0.0
    from aim_migrate.config import parse_duration  # noqa: PLC0415

    return parse_duration(sql_file.directives["batch-pause"][0])


def _duplicate_numbers(migrations: tuple[Migration, ...]) -> list[Notice]:
    notices = []
    for previous, current in itertools.pairwise(migrations):
        if previous.number == current.number:
            notices.append(
                Notice(
                    "source.duplicate_version",
                    f"Migrations {previous.name} and {current.name} share version "
                    f"{current.number}; they run in name order, each as its own migration.",
                    {"file": str(current.file.path), "number": current.number},
                )
            )
    return notices


def _baseline(
    found: list[tuple[int, str, SqlFile]],
    migrations: tuple[Migration, ...],
    override: int | None,
) -> Baseline | None:
    if not found:
        return None
    if len(found) > 1:
        names = ", ".join(f.path.name for _, _, f in found)
        raise ValidationError(
            f"More than one baseline file: {names}.",
            hint="Keep only the current consolidated baseline; older ones are history.",
            file=str(found[-1][2].path),
        )
    _, name, sql_file = found[0]
    _check_directives(sql_file, _BASELINE_DIRECTIVES)
    declared, line = sql_file.directives.get("baseline-version", (None, 0))
    if override is not None:
        version, source = override, "override"
    elif declared is None:
        raise ValidationError(
            f"Baseline {sql_file.path.name} does not declare which incremental migrations "
            "it contains.",
            hint="Add the header line '-- aim-migrate: baseline-version=N' (N = the last "
            "incremental version it consolidates), or set AIM_BASELINE_VERSION.",
            file=str(sql_file.path),
        )
    elif not declared.isascii() or not declared.isdigit():
        raise ValidationError(
            f"{sql_file.path.name}:{line}: baseline-version must be a number, not {declared!r}.",
            hint="Write '-- aim-migrate: baseline-version=30'.",
            file=str(sql_file.path),
            line=line,
        )
    else:
        version, source = int(declared), "declared"
    if version != 0 and not any(m.number == version for m in migrations):
        raise ValidationError(
            f"Baseline {sql_file.path.name} claims to contain migrations up to version "
            f"{version}, but no migration file has that version.",
            hint="Fix the baseline-version header (or AIM_BASELINE_VERSION) to name the last "
            "incremental migration the baseline consolidates.",
            file=str(sql_file.path),
            declared_version=version,
            source=source,
        )
    return Baseline(name=name, file=sql_file, version=version, version_source=source)


# The split, checked statements of files, by file path: what a run executes.
Statements = dict[str, list[Statement]]


def preflight(sql_files: Iterable[SqlFile], done: Statements | None = None) -> Statements:
    """Split and check every file (those not in `done` already), before anything runs."""
    checked: Statements = dict(done or {})
    for sql_file in sql_files:
        if sql_file.location not in checked:
            checked[sql_file.location] = statements(sql_file, transactional=sql_file.transactional)
    return checked


def statements(sql_file: SqlFile, *, transactional: bool) -> list[Statement]:
    """Split a file into the statements to send, refusing what would run wrongly.

    Called for every file before anything is changed, so a bad file stops the run early.
    """
    name = sql_file.path.name

    def refuse(found: tuple[Statement, ...] | list[Statement]) -> None:
        for statement in found:
            problem = _refusal(statement, transactional)
            if problem is None:
                continue
            message, hint = problem
            line = statement.line
            if statement.meta_command_at is not None:  # the backslash's own line
                line = LineIndex(sql_file.text).locate(
                    statement.offset + statement.meta_command_at
                )[0]
            raise ValidationError(
                f"{name}:{line}: {message}",
                hint=hint,
                file=str(sql_file.path),
                line=line,
            )

    try:
        found = split_statements(sql_file.text)
    except SqlSyntaxError as exc:
        # What stands before the error may explain it: the rows after COPY ... FROM stdin
        # (pg_dump output) or a psql command's argument are no SQL to begin with.
        refuse(exc.before)
        raise ValidationError(
            f"{name}:{exc.line}:{exc.column}: {exc}.",
            hint="Close the quote, comment, dollar-quoted body, parenthesis or BEGIN ATOMIC body.",
            file=str(sql_file.path),
            line=exc.line,
            column=exc.column,
        ) from None
    if not found:
        raise ValidationError(
            f"Migration file {name} contains no SQL statement.",
            hint="Write the migration, or delete the file if it was created by mistake. Empty "
            "files are refused rather than recorded as no-ops: once recorded, the SQL written "
            "into one later would be refused as an edit of an applied migration. For a "
            "deliberate placeholder (a number kept free), write 'SELECT 1;'.",
            file=str(sql_file.path),
        )
    refuse(found)
    if sql_file.batched:
        _check_batched(sql_file, found)
    return found


def _check_batched(sql_file: SqlFile, found: list[Statement]) -> None:
    """A batched file is run again and again until it changes no row: one DML statement that
    handles a bounded batch (a LIMIT), so each run is a short transaction."""
    name = sql_file.path.name
    problem = None
    if len(found) != 1:
        problem = f"holds {len(found)} statements; a batched file holds exactly one"
    elif found[0].words[:1] and found[0].words[0] not in _DML:
        problem = f"its statement is {found[0].words[0]}, not UPDATE, DELETE or INSERT"
    elif not found[0].has_keyword("LIMIT"):
        problem = "its statement has no LIMIT, so one run could change the whole table at once"
    if problem is not None:
        line = found[1].line if len(found) > 1 else found[0].line
        raise ValidationError(
            f"{name}:{line}: batched migration {problem}.",
            hint="Write one statement that changes a bounded batch and nothing once done, e.g. "
            "UPDATE t SET new = old WHERE id IN (SELECT id FROM t WHERE new IS NULL LIMIT "
            "1000); it is repeated until it changes no row.",
            file=str(sql_file.path),
            line=line,
        )


def _refusal(statement: Statement, transactional: bool) -> tuple[str, str] | None:
    at = statement.meta_command_at
    if at is not None:
        command = statement.text[at:].split(maxsplit=1)[0]
        return (
            f"psql meta-command {command} (a backslash command) is not SQL and cannot be run.",
            "The runner sends SQL only: remove it, or inline what it includes. A backslash "
            "belongs only inside a string, e.g. E'a\\nb'.",
        )
    copy = statement.client_copy
    if copy is not None:
        if copy == "FROM STDIN":
            hint = (
                "Insert the rows with INSERT ... VALUES instead (COPY FROM a server-side file "
                "is not portable either: the file would have to be on the database server)."
            )
        else:
            hint = "Remove it: a migration has no client to send the rows to."
        return (
            f"COPY ... {copy} needs a client that streams the rows (psql does); the runner "
            "sends each statement on its own and cannot.",
            hint,
        )
    if statement.disables_standard_conforming_strings:
        return (
            "setting standard_conforming_strings to off is not allowed: it changes how "
            "backslashes in '...' strings are read, and every file is split with it on.",
            "Remove the setting and write strings with backslash escapes as E'...' strings "
            "(E'it\\'s', E'a\\nb'), which read the same under either setting.",
        )
    if statement.transaction_control:
        return (
            f"transaction control statement {statement.words[0]} is not allowed.",
            "The runner wraps each migration in its own transaction; remove BEGIN/COMMIT. For "
            "statements that cannot run in a transaction, add '-- aim-migrate: no-transaction'.",
        )
    if transactional and statement.requires_no_transaction:
        return (
            f"{' '.join(statement.words[:4])} cannot run inside a transaction.",
            "Put it in its own migration file with the header line "
            "'-- aim-migrate: no-transaction'.",
        )
    return None


_TEMPLATE = """\
-- Migration: {title}
-- Purpose: <why this change is needed, in a sentence or two>
--
-- Applied once, in its own transaction, and immutable after that (its checksum is kept).
-- Directives (a line each, above the first statement):
--   '-- aim-migrate: no-transaction'  for CREATE INDEX CONCURRENTLY and friends;
--   '-- aim-migrate: post-deploy'     for what only the new code tolerates (DROP COLUMN ...);
--   '-- aim-migrate: batched'         for one bounded UPDATE repeated until it changes no row.
-- Next: run 'aim-migrate consolidate', which regenerates the baseline from the chain (now
-- with baseline-version={number}); never edit the baseline by hand. Commit both files.

"""


def create_migration(directory: Path, description: str) -> Path:
    """Write the next-numbered migration file with the header template; return its path."""
    slug = re.sub(r"[^a-z0-9]+", "_", description.lower()).strip("_")
    if not slug:
        raise ValidationError(
            f"Description {description!r} has no letters or digits to name the file with.",
            hint="Describe the change, e.g. 'add agent labels'.",
        )
    current = load(directory)
    numbers = [m.number for m in current.migrations]
    width = max((len(m.name.split("_", 1)[0]) for m in current.migrations), default=3)
    number = max(numbers, default=0) + 1
    path = current.directory / f"{number:0{width}d}_{slug}.sql"
    path.write_text(_TEMPLATE.format(title=description.strip(), number=number), encoding="utf-8")
    return path
