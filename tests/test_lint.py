"""`aim-migrate lint`: the corpus of dangerous and safe migrations, each checked three ways
(our linter, PostgreSQL itself, squawk), the shipped set, the CLI, table sizes, deploy
phases, `allow=` directives, and that the `migrate` path never loads the SQL parser.

The corpus (tests/lint_corpus/) is written for this project: base.sql creates the tables
with rows; each case in dangerous/ and safe/ is a file (migration 002) or a directory of
files (002, 003, ...) applied after it. A dangerous case's last file names, in a
`-- expect: <rule>` comment, the rule it must be flagged with at error level.

Ground truth: every case is also applied by the real runner to a real PostgreSQL holding the
base rows. Safe cases must apply and rewrite no existing table; dangerous ones must apply
(except those whose danger is to fail), the rewrites they are flagged for must happen
(pg_class.relfilenode changes), and the lock each finding names must be the one PostgreSQL
holds on that table (pg_locks, from a second session, before the transaction ends).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import psycopg
import pytest
from aim_migrate import lint, runner
from aim_migrate import source as files
from aim_migrate.config import resolve
from aim_migrate.errors import MigrationError
from aim_migrate.lint_checks import Finding
from aim_migrate.logs import configure
from aim_migrate.plan import PlanOptions
from aim_migrate.target import target
from psycopg import sql

from tests.conftest import ROOT, Database, cli_env, run_cli, url_for, write_migrations

CORPUS = Path(__file__).resolve().parent / "lint_corpus"
SHIPPED = ROOT / "migrations"
BASE_TABLES = {
    "customers",
    "products",
    "orders",
    "order_lines",
    "audit_events",
    "customer_tags",
    "sessions_log",
}
# Rules whose danger is a rewrite (the table's relfilenode changes) ...
REWRITES = {"add-column-rewrite", "column-type-rewrite", "cluster", "vacuum-full"}
# ... or a migration that fails on a table with rows.
FAILS = {"enum-value-in-transaction", "add-required-column"}
PG_LOCK_NAMES = {
    "ACCESS EXCLUSIVE": "AccessExclusiveLock",
    "EXCLUSIVE": "ExclusiveLock",
    "SHARE ROW EXCLUSIVE": "ShareRowExclusiveLock",
    "SHARE": "ShareLock",
    "SHARE UPDATE EXCLUSIVE": "ShareUpdateExclusiveLock",
    "ROW EXCLUSIVE": "RowExclusiveLock",
}


class Case(NamedTuple):
    kind: str  # dangerous or safe
    name: str
    files: dict[str, str]  # after 001_base.sql, in order

    @property
    def last(self) -> str:
        return list(self.files)[-1]

    @property
    def expect(self) -> str | None:
        for line in self.files[self.last].splitlines():
            if line.startswith("-- expect:"):
                return line.split(":", 1)[1].strip()
        return None

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "001_base.sql").write_text(
            (CORPUS / "base.sql").read_text(encoding="utf-8"), encoding="utf-8"
        )
        for name, text in self.files.items():
            (directory / name).write_text(text, encoding="utf-8")
        return directory


def _cases(kind: str) -> list[Case]:
    found = []
    for entry in sorted((CORPUS / kind).iterdir()):
        if entry.is_dir():
            texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(entry.glob("*.sql"))}
            found.append(Case(kind, entry.name, texts))
        elif entry.suffix == ".sql":
            text = entry.read_text(encoding="utf-8")
            found.append(Case(kind, entry.stem, {f"002_{entry.stem}.sql": text}))
    return found


DANGEROUS = _cases("dangerous")
SAFE = _cases("safe")


def _lint_dir(directory: Path, **options: Any) -> lint.Report:
    return lint.lint(files.load(directory), **options)


def _errors(report: lint.Report, file_name: str | None = None) -> list[Finding]:
    return [
        f
        for f in report.findings
        if f.severity == "error" and (file_name is None or Path(f.file).name == file_name)
    ]


# --- the corpus, linted ----------------------------------------------------------------------


def test_the_corpus_is_big_enough() -> None:
    assert len(DANGEROUS) >= 40
    assert len(SAFE) >= 40
    assert all(case.expect for case in DANGEROUS), [c.name for c in DANGEROUS if not c.expect]
    assert not [c.name for c in SAFE if c.expect]


@pytest.mark.parametrize("case", DANGEROUS, ids=lambda c: c.name)
def test_every_dangerous_case_is_an_error(case: Case, tmp_path: Path) -> None:
    report = _lint_dir(case.write(tmp_path / case.name))
    found = _errors(report, case.last)
    assert case.expect in {f.rule for f in found}, report.findings
    setup = [f for f in _errors(report) if Path(f.file).name not in ("001_base.sql", case.last)]
    assert setup == []  # the case's earlier files are the safe preparation
    for finding in found:
        assert finding.fix
        if finding.lock is not None:
            assert finding.blocks


@pytest.mark.parametrize("case", SAFE, ids=lambda c: c.name)
def test_no_safe_case_is_flagged(case: Case, tmp_path: Path) -> None:
    report = _lint_dir(case.write(tmp_path / case.name))
    flagged = [f for f in report.findings if Path(f.file).name != "001_base.sql"]
    assert flagged == []  # neither an error nor a warning


# --- the corpus on PostgreSQL: what each case really does --------------------------------------


def _migrate(url: str, directory: Path, up_to: int | None = None) -> None:
    config = resolve({"database_url": url, "migrations_dir": directory}, environ={})
    log = configure("json", "error", io.StringIO())
    runner.migrate(config, target(config, url), log, PlanOptions(target=up_to))


@pytest.fixture(scope="module")
def corpus_template(admin_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database with the corpus' base migration applied, to clone for each case."""
    name = f"aimlint_base_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        directory = tmp_path_factory.mktemp("base")
        (directory / "001_base.sql").write_text(
            (CORPUS / "base.sql").read_text(encoding="utf-8"), encoding="utf-8"
        )
        url = url_for(admin_url, name)
        _migrate(url, directory)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        yield name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _clone(admin_url: str, template: str) -> str:
    name = f"aimlint_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )
    return name


def _drop(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _relfilenodes(url: str) -> dict[int, tuple[str, int]]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT c.oid::int, c.relname::text, c.relfilenode::int FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname = ANY(%s)",
            (sorted(BASE_TABLES),),
        ).fetchall()
    return {oid: (name, node) for oid, name, node in rows}


def _locks_held(url: str, migration: files.Migration) -> dict[str, set[str]] | None:
    """Run a transactional migration's statements without committing; the locks its session
    then holds on each table, as a second session sees them. None if a statement fails."""
    statements = files.statements(migration.file, transactional=True)
    with (
        psycopg.connect(url) as conn,
        psycopg.connect(url, autocommit=True) as observer,
    ):
        try:
            for statement in statements:
                conn.execute(statement.text.encode("utf-8"))
        except psycopg.Error:
            conn.rollback()
            return None
        rows = observer.execute(
            "SELECT c.relname::text, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = "
            "l.relation WHERE l.pid = %s AND l.granted",
            (conn.info.backend_pid,),
        ).fetchall()
        conn.rollback()
    held: dict[str, set[str]] = {}
    for name, mode in rows:
        held.setdefault(name, set()).add(mode)
    return held


@pytest.mark.slow  # a database per case, 107 of them
@pytest.mark.parametrize("case", DANGEROUS + SAFE, ids=lambda c: f"{c.kind}-{c.name}")
def test_the_corpus_does_on_postgresql_what_lint_says(
    case: Case, corpus_template: str, admin_url: str, tmp_path: Path
) -> None:
    directory = case.write(tmp_path / case.name)
    source = files.load(directory)
    found = _errors(lint.lint(source), case.last)
    last = next(m for m in source.migrations if m.file.path.name == case.last)
    name = _clone(admin_url, corpus_template)
    try:
        url = url_for(admin_url, name)
        if len(case.files) > 1:  # the case's own preparation first
            _migrate(url, directory, up_to=last.number - 1)
        before = _relfilenodes(url)
        held = _locks_held(url, last) if last.transactional else None
        try:
            _migrate(url, directory)
            applied = True
        except MigrationError:
            applied = False
        after = _relfilenodes(url)
    finally:
        _drop(admin_url, name)
    rewritten = {
        table for oid, (table, node) in before.items() if oid in after and after[oid][1] != node
    }
    if case.kind == "safe":
        assert applied
        assert rewritten == set()
        return
    assert applied == (case.expect not in FAILS)
    for finding in found:
        if finding.rule in REWRITES and finding.table in BASE_TABLES:
            assert finding.table in rewritten, finding
        if held is not None and finding.lock is not None and finding.table in BASE_TABLES:
            assert PG_LOCK_NAMES[finding.lock] in held.get(finding.table, set()), (finding, held)


# --- against squawk ----------------------------------------------------------------------------

# squawk's rules that are about style or settings, not about what a statement does to a
# running database (the runner sets lock_timeout itself; robust statements are about reruns).
SQUAWK_STYLE = {
    "prefer-robust-stmts",
    "prefer-bigint-over-int",
    "prefer-bigint-over-smallint",
    "prefer-identity",
    "prefer-text-field",
    "prefer-timestamp-tz",
    "ban-char-field",
    "require-enum-value-ordering",
    "require-timeout-settings",
    "require-lock-timeout",
    "require-statement-timeout",
}


def _squawk_binary() -> str | None:
    beside = Path(sys.executable).parent / "squawk"
    return str(beside) if beside.exists() else shutil.which("squawk")


def _squawk_rules(binary: str, path: Path, *, transactional: bool, cwd: Path) -> set[str]:
    args = [binary, "--reporter", "json", "--pg-version", "15"]
    if transactional:
        args.append("--assume-in-transaction")  # the runner wraps the file in a transaction
    proc = subprocess.run(
        [*args, str(path)], capture_output=True, text=True, timeout=60, check=False, cwd=cwd
    )
    assert proc.returncode in (0, 1), proc.stderr
    return {v["rule_name"] for v in json.loads(proc.stdout or "[]")}


class Score(NamedTuple):
    caught: int  # dangerous cases flagged
    false_alarms: int  # safe cases flagged


def compare_with_squawk(binary: str, work: Path) -> dict[str, Score]:
    """ours (errors), squawk (any violation), squawk without its style rules; a case counts
    when its last file (dangerous) or any of its files (safe) is flagged."""
    scores: dict[str, list[int]] = {k: [0, 0] for k in ("ours", "squawk", "squawk_safety")}
    for case in DANGEROUS + SAFE:
        directory = case.write(work / case.kind / case.name)
        source = files.load(directory)
        report = lint.lint(source)
        judged = [case.last] if case.kind == "dangerous" else list(case.files)
        ours = any(_errors(report, name) for name in judged)
        rules: set[str] = set()
        for m in source.migrations:
            if m.file.path.name in judged:
                rules |= _squawk_rules(binary, m.file.path, transactional=m.transactional, cwd=work)
        slot = 0 if case.kind == "dangerous" else 1
        scores["ours"][slot] += ours
        scores["squawk"][slot] += bool(rules)
        scores["squawk_safety"][slot] += bool(rules - SQUAWK_STYLE)
    return {k: Score(*v) for k, v in scores.items()}


def test_right_more_often_than_squawk(tmp_path: Path) -> None:
    binary = _squawk_binary()
    if binary is None:
        declared = "squawk-cli" in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
        if os.environ.get("CI") == "true" and declared:
            pytest.fail("squawk-cli is in the dev extra but its binary is not installed")
        pytest.skip("squawk is not installed (pip install 'squawk-cli>=2,<3')")
    scores = compare_with_squawk(binary, tmp_path)
    print(_table(scores))
    assert scores["ours"] == Score(len(DANGEROUS), 0)
    for other in ("squawk", "squawk_safety"):
        ours = scores["ours"].caught - scores["ours"].false_alarms
        theirs = scores[other].caught - scores[other].false_alarms
        assert ours > theirs, scores


def _table(scores: dict[str, Score]) -> str:
    rows = [
        f"| {label} | {s.caught} / {len(DANGEROUS)} | {s.false_alarms} / {len(SAFE)} | "
        f"{s.caught + len(SAFE) - s.false_alarms} / {len(DANGEROUS) + len(SAFE)} |"
        for label, s in (
            ("aim-migrate lint (errors)", scores["ours"]),
            ("squawk, default rules", scores["squawk"]),
            ("squawk, without its style rules", scores["squawk_safety"]),
        )
    ]
    head = (
        "| linter | dangerous caught | safe flagged (false alarms) | right |\n|---|---:|---:|---:|"
    )
    return "\n".join([head, *rows])


# --- the shipped migrations --------------------------------------------------------------------

SHIPPED_ERRORS = sorted(
    [
        ("003", 9, "index-not-concurrent"),
        ("023", 8, "constraint-not-valid"),
        ("023", 14, "constraint-not-valid"),
        ("025", 5, "index-not-concurrent"),
        ("025", 19, "constraint-not-valid"),
        ("025", 22, "constraint-not-valid"),
        ("025", 26, "constraint-not-valid"),
        ("026", 6, "constraint-not-valid"),
        ("028", 10, "rename-column"),
        ("028", 17, "rename-column"),
        ("029", 18, "column-type-rewrite"),
        ("029", 19, "column-type-rewrite"),
        ("029", 25, "column-type-rewrite"),
        ("030", 11, "set-not-null-old-code"),
        ("030", 11, "set-not-null-scan"),
        ("030", 12, "constraint-not-valid"),
        ("030", 26, "constraint-not-valid"),
    ]
)


def test_the_shipped_set_has_its_historical_findings() -> None:
    report = _lint_dir(SHIPPED)
    assert report.files == 30
    found = sorted((Path(f.file).name[:3], f.line, f.rule) for f in _errors(report))
    assert found == SHIPPED_ERRORS
    # 029's VARCHAR -> TEXT changes are binary coercible: not flagged; its INTEGER -> BIGINT are.
    assert not [
        f for f in _errors(report) if f.rule == "column-type-rewrite" and "audit" in f.message
    ]
    # 028 renames inside a DO block: found by parsing the PL/pgSQL body, at the inner line.
    rename = next(f for f in report.findings if f.rule == "rename-column")
    assert (rename.line, rename.column) == (10, 9)


def test_lint_cli_on_the_shipped_set() -> None:
    since = run_cli(["lint", "--since", "30"], None, SHIPPED)
    assert since.code == 0, since.stdout + since.stderr
    whole = run_cli(["lint"], None, SHIPPED)
    assert whole.code == 3, whole.stdout + whole.stderr
    failed = whole.event("lint.failed")
    assert failed["errors"] == len(SHIPPED_ERRORS)
    assert f"{len(SHIPPED_ERRORS)} error(s)" in failed["message"]
    assert (
        "003_add_agent_and_organization_columns.sql:9:1 [index-not-concurrent]"
        in (failed["message"])
    )
    # The report is on stdout, the log lines on stderr.
    assert "025_add_missing_indexes_and_checks.sql:5:1: error [index-not-concurrent]" in (
        whole.stdout
    )
    assert "lock: SHARE on agents; blocks INSERT, UPDATE and DELETE" in whole.stdout
    assert not [line for line in whole.stdout.splitlines() if line.startswith('{"')]
    as_json = run_cli(["lint", "--json"], None, SHIPPED)
    document = json.loads(as_json.stdout)
    assert document["errors"] == len(SHIPPED_ERRORS)
    first = next(f for f in document["findings"] if f["severity"] == "error")
    assert {"file", "line", "column", "rule", "severity", "table", "lock", "blocks", "fix"} <= (
        first.keys()
    )


# --- which migrations run together -------------------------------------------------------------

_CHAIN = {
    "001_t.sql": "CREATE TABLE t (id int PRIMARY KEY, c int);\n",
    "002_u.sql": "CREATE TABLE u (id int PRIMARY KEY, c int);\n",
    "003_indexes.sql": "CREATE INDEX t_c ON t (c);\nCREATE INDEX u_c ON u (c);\n",
}


def _tables_flagged(report: lint.Report) -> set[str]:
    return {f.table for f in _errors(report) if f.table}


def test_each_file_is_its_own_deploy_unless_since_says_otherwise(tmp_path: Path) -> None:
    directory = write_migrations(tmp_path / "m", _CHAIN)
    # Each file its own release: u was created by the previous one and has rows by now.
    assert _tables_flagged(_lint_dir(directory)) == {"t", "u"}
    # The database is at 1: 002 and 003 are one pending deploy, u is created in it.
    assert _tables_flagged(_lint_dir(directory, since=1)) == {"t"}
    # A fresh database: nothing exists, nothing is read.
    assert _tables_flagged(_lint_dir(directory, since=0)) == set()
    assert _lint_dir(directory, since=3).files == 0


def test_a_table_created_earlier_in_the_same_file_is_safe(tmp_path: Path) -> None:
    directory = write_migrations(
        tmp_path / "m",
        {
            "001_t.sql": "CREATE TABLE t (id int PRIMARY KEY);\n",
            "002_new.sql": "CREATE TABLE n (id int, v varchar(5));\n"
            "CREATE INDEX n_id ON n (id);\n"
            "ALTER TABLE n ALTER COLUMN v TYPE varchar(2);\n"
            "ALTER TABLE n ADD CONSTRAINT n_t FOREIGN KEY (id) REFERENCES t (id);\n",
        },
    )
    assert _lint_dir(directory).findings == ()


def test_post_deploy_sees_rows_written_by_the_new_code_in_the_same_deploy(tmp_path: Path) -> None:
    directory = write_migrations(
        tmp_path / "m",
        {
            "001_t.sql": "CREATE TABLE t (id int);\n",
            "002_u.sql": "CREATE TABLE u (id int, c int);\n",
            "003_index.sql": "-- aim-migrate: post-deploy\nCREATE INDEX u_c ON u (c);\n",
        },
    )
    # Pending since 1: by the time the post-deploy half runs, the new pods use u.
    assert _tables_flagged(_lint_dir(directory, since=1)) == {"u"}
    assert _tables_flagged(_lint_dir(directory, since=0)) == set()


# --- allow= ------------------------------------------------------------------------------------


def _one_file(tmp_path: Path, text: str) -> Path:
    return write_migrations(
        tmp_path / "m",
        {"001_t.sql": "CREATE TABLE t (id int, c int);\n", "002_x.sql": text},
    )


def test_allow_with_a_reason_silences_that_rule_for_that_statement(tmp_path: Path) -> None:
    directory = _one_file(
        tmp_path,
        "SELECT 1;\n"
        "-- aim-migrate: allow=index-not-concurrent "
        "t holds 20 rows, and no-transaction will not help\n"
        "CREATE INDEX t_c ON t (c);\n"
        "CREATE INDEX t_id ON t (id);\n",
    )
    report = _lint_dir(directory)
    assert [(f.rule, f.line) for f in report.findings] == [("index-not-concurrent", 4)]
    ((allowed, reason),) = report.allowed
    assert (allowed.line, reason) == (3, "t holds 20 rows, and no-transaction will not help")
    run = run_cli(["lint", "--json"], None, directory)
    assert run.code == 3
    assert json.loads(run.stdout)["allowed"][0]["reason"].startswith("t holds 20 rows")


def test_allow_in_the_header_is_not_read_as_directives(tmp_path: Path) -> None:
    directory = _one_file(
        tmp_path,
        "-- Migration: index t\n"
        "-- aim-migrate: allow=index-not-concurrent a lookup table; no-transaction, batched "
        "and post-deploy do not apply\n"
        "CREATE INDEX t_c ON t (c);\n",
    )
    (_, migration) = files.load(directory).migrations
    assert migration.file.directives == {}
    assert migration.transactional
    assert migration.phase == "pre-deploy"
    run = run_cli(["lint"], None, directory)
    assert run.code == 0, run.stdout + run.stderr
    assert "1 acknowledged with allow=" in run.stdout


@pytest.mark.parametrize(
    ("comment", "rule", "severity"),
    [
        ("-- aim-migrate: allow=index-not-concurrent\n", "allow-without-reason", "error"),
        (
            "-- aim-migrate: allow=index-not-concurent typo in the rule\n",
            "allow-unknown-rule",
            "error",
        ),
        ("-- aim-migrate: allow=drop-column it drops nothing\n", "allow-unused", "warning"),
    ],
)
def test_bad_allow_directives(tmp_path: Path, comment: str, rule: str, severity: str) -> None:
    report = _lint_dir(_one_file(tmp_path, f"SELECT 1;\n{comment}CREATE INDEX t_c ON t (c);\n"))
    assert (rule, severity, 2) in {(f.rule, f.severity, f.line) for f in report.findings}
    assert "index-not-concurrent" in {f.rule for f in report.findings}  # still reported


def test_allow_after_a_statement_on_its_line_is_not_for_the_next_one(tmp_path: Path) -> None:
    report = _lint_dir(
        _one_file(
            tmp_path,
            "SELECT 1; -- aim-migrate: allow=index-not-concurrent about the SELECT\n"
            "CREATE INDEX t_c ON t (c);\n",
        )
    )
    assert [f.rule for f in report.findings] == ["index-not-concurrent"]


# --- positions, parse errors -------------------------------------------------------------------


def test_positions_count_characters_not_bytes(tmp_path: Path) -> None:
    report = _lint_dir(
        _one_file(
            tmp_path,
            "-- café, naïve\nSELECT 'déjà vu'; CREATE INDEX t_c ON t (c);\n"
            "DO $$ BEGIN PERFORM 'ü'; ALTER TABLE t ALTER COLUMN c TYPE bigint; END $$;\n",
        )
    )
    assert [(f.rule, f.line, f.column) for f in report.findings] == [
        ("index-not-concurrent", 2, 19),  # the statement
        ("column-type-rewrite", 3, 53),  # the column, inside the DO block
    ]


def test_unparsable_sql_is_an_error_with_its_position(tmp_path: Path) -> None:
    report = _lint_dir(_one_file(tmp_path, "SELECT 1;\nCREATE INDEX ON;\n"))
    (finding,) = report.findings
    assert (finding.rule, finding.severity, finding.line) == ("parse-error", "error", 2)


# --- with a database: real sizes ---------------------------------------------------------------

_SIZED = {
    "001_tables.sql": "CREATE TABLE small (id int, c int);\nCREATE TABLE big (id int, c int);\n"
    "INSERT INTO small SELECT g, g FROM generate_series(1, 50) g;\n"
    "INSERT INTO big SELECT g, g FROM generate_series(1, 150000) g;\n",
    "002_indexes.sql": "CREATE INDEX small_c ON small (c);\nCREATE INDEX big_c ON big (c);\n",
}


def test_real_table_sizes_grade_the_findings(database: Database, tmp_path: Path) -> None:
    directory = write_migrations(tmp_path / "m", _SIZED)
    assert run_cli(["migrate", "--target", "1"], database.url, directory).code == 0
    with database.connect() as conn:
        conn.execute("ANALYZE small")
        conn.execute("ANALYZE big")
    run = run_cli(["lint", "--json", "--database-url", database.url], None, directory)
    assert run.code == 3, run.stdout + run.stderr
    by_table = {f["table"]: f for f in json.loads(run.stdout)["findings"]}
    assert by_table["small"]["severity"] == "note"
    assert by_table["small"]["estimate"]["rows"] == 50
    assert "~50 rows" in by_table["small"]["message"]
    assert by_table["big"]["severity"] == "error"
    assert by_table["big"]["estimate"]["rows"] > 100_000
    # DATABASE_URL alone (a CI job's variable) does not make lint look at a database.
    offline = run_cli(["lint", "--json"], database.url, directory)
    assert {f["severity"] for f in json.loads(offline.stdout)["findings"]} == {"error"}


def test_validate_lints_what_is_pending_there(database: Database, tmp_path: Path) -> None:
    directory = write_migrations(tmp_path / "m", _SIZED)
    # A fresh database: the whole chain is one deploy onto nothing; nothing is flagged.
    fresh = run_cli(["validate"], database.url, directory)
    assert fresh.code == 0, fresh.stdout + fresh.stderr
    assert run_cli(["migrate", "--target", "1"], database.url, directory).code == 0
    with database.connect() as conn:
        conn.execute("ANALYZE small")
        conn.execute("ANALYZE big")
    pending = run_cli(["validate"], database.url, directory)
    assert pending.code == 3, pending.stdout + pending.stderr
    assert pending.event("lint.failed")["errors"] == 1
    assert "002_indexes.sql:1:1: note [index-not-concurrent]" in pending.stdout
    assert "002_indexes.sql:2:1: error [index-not-concurrent]" in pending.stdout
    as_json = run_cli(["validate", "--json"], database.url, directory)
    assert json.loads(as_json.stdout)["lint"]["errors"] == 1


# --- the migrate path never loads the parser ---------------------------------------------------


def test_a_no_op_migrate_does_not_import_pglast(database: Database, tmp_path: Path) -> None:
    directory = write_migrations(tmp_path / "m", {"001_t.sql": "CREATE TABLE t (id int);\n"})
    assert run_cli(["migrate"], database.url, directory).code == 0

    def importtime(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "aim_migrate", *args],
            env=cli_env(database.url, directory),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=ROOT,
        )

    noop = importtime("migrate")
    assert noop.returncode == 0, noop.stdout + noop.stderr
    assert "pending" in noop.stdout
    assert "aim_migrate.runner" in noop.stderr  # the import log is there ...
    assert "pglast" not in noop.stderr  # ... and the parser is not in it
    assert "aim_migrate.lint" not in noop.stderr
    linted = importtime("lint")
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert "pglast" in linted.stderr  # the check can see it


if __name__ == "__main__":  # the squawk comparison table of benchmarks/results.md
    import tempfile

    found = _squawk_binary()
    if found is None:
        raise SystemExit("squawk is not installed")
    with tempfile.TemporaryDirectory() as work:
        print(_table(compare_with_squawk(found, Path(work))))
