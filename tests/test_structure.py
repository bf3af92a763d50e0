"""The shape of the code, checked: imports point one way (no cycles), each command is declared
once and everything about it comes from that declaration, a run's state is passed (two
targets in one process keep their own log fields), and the plan says what executing does."""

from __future__ import annotations

import ast
import io
import json
import subprocess
import sys
from pathlib import Path

from aim_migrate import commands
from aim_migrate.logs import configure
from aim_migrate.plan import (
    STEP_APPLY,
    STEP_AUTOCOMMIT,
    STEP_BASELINE,
    STEP_PREPARE,
    PlanOptions,
    plan,
)
from aim_migrate.target import target

from tests.conftest import Database, cli_env, run_cli, write_migrations
from tests.test_plan import FULL, LEGACY_COLUMNS, fresh, row, source_of, state

PACKAGE = Path(__file__).resolve().parent.parent / "app" / "aim_migrate"


def _runtime_imports(path: Path) -> set[str]:
    """aim_migrate modules a module imports when it runs (lazy ones too; not TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(child) for child in ast.walk(node))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("aim_"):
            if node.module == "aim_migrate":
                found.update(f"aim_migrate.{alias.name}" for alias in node.names)
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("aim_migrate."))
    modules = {f"aim_migrate.{p.stem}" for p in PACKAGE.glob("*.py")}
    return {name for name in found if name in modules} - {f"aim_migrate.{path.stem}"}


def test_imports_point_one_way() -> None:
    graph = {f"aim_migrate.{p.stem}": _runtime_imports(p) for p in PACKAGE.glob("*.py")}
    assert len(graph) > 20
    # Depth-first search for a cycle.
    state_of: dict[str, str] = {}

    def visit(module: str, trail: list[str]) -> None:
        state_of[module] = "open"
        for dependency in sorted(graph.get(module, ())):
            if state_of.get(dependency) == "open":
                raise AssertionError(" -> ".join([*trail, module, dependency]))
            if dependency not in state_of:
                visit(dependency, [*trail, module])
        state_of[module] = "done"

    for module in sorted(graph):
        if module not in state_of:
            visit(module, [])
    # Nothing below the CLI imports it, and the planner imports no database code.
    assert not [
        m for m, deps in graph.items() if "aim_migrate.cli" in deps and m != "aim_migrate.__main__"
    ]
    for pure in ("aim_migrate.plan", "aim_migrate.rollback", "aim_migrate.source"):
        assert not graph[pure] & {
            "aim_migrate.connect",
            "aim_migrate.execute",
            "aim_migrate.lock",
            "aim_migrate.runner",
        }, pure


def test_every_command_comes_from_the_one_table() -> None:
    names = [c.name for c in commands.COMMANDS]
    assert len(names) == len(set(names)) == len(commands.BY_NAME)
    env = cli_env(None, None)
    top = subprocess.run(
        [sys.executable, "-m", "aim_migrate", "--help"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    for command in commands.COMMANDS:
        assert f"  {command.name:<11} {command.summary}" in top
        own = subprocess.run(
            [sys.executable, "-m", "aim_migrate", command.name, "--help"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert own.returncode == 0, (command.name, own.stderr)
        assert "--migrations-dir" in own.stdout


def test_two_targets_in_one_process_keep_their_own_log_fields(admin_url: str) -> None:
    out = io.StringIO()
    root = configure("json", "info", out, run_id="r1")
    config_env = cli_env(None, None)
    from aim_migrate.config import resolve

    config = resolve({}, {k: v for k, v in config_env.items() if k.startswith("AIM_")})
    a = target(config, "host=db-a.example port=5433 dbname=tenant_a")
    b = target(config, "host=db-b.example dbname=tenant_b")
    log_a, log_b = a.logger(root), b.logger(root)
    log_a.info("one")
    log_b.info("two")
    root.info("three")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(e["event"], e.get("db_name"), e.get("db_host")) for e in lines] == [
        ("one", "tenant_a", "db-a.example"),
        ("two", "tenant_b", "db-b.example"),
        ("three", None, None),
    ]
    assert {e["run_id"] for e in lines} == {"r1"}


def test_verify_reports_no_scratch_database_as_its_own(admin_url: str) -> None:
    run = run_cli(
        ["verify"],
        None,
        Path(__file__).resolve().parent.parent / "migrations",
        timeout=300,
        AIM_DEV_DATABASE_URL=admin_url,
    )
    assert run.code == 0, run.stdout + run.stderr
    finished = run.event("run.finished")
    assert "db_name" not in finished  # the scratch databases were dropped; verify has no target
    migrated = [e for e in run.events if e["event"] == "migration.applied"]
    assert migrated
    assert all(e["db_name"].startswith("aim_verify_") for e in migrated)


def test_the_plan_says_where_the_history_table_is_created(tmp_path: Path) -> None:
    chain = source_of(tmp_path / "a", ["001_a.sql", "002_b.sql"])
    steps = plan(chain, fresh(), PlanOptions()).steps
    assert [(s.kind, s.creates_history) for s in steps] == [
        (STEP_APPLY, True),
        (STEP_APPLY, False),
    ]
    autocommit_first = source_of(
        tmp_path / "b",
        [],
        **{"001_a.sql": "-- aim-migrate: no-transaction\nCREATE INDEX CONCURRENTLY i ON t (c);"},
    )
    steps = plan(autocommit_first, fresh(), PlanOptions()).steps
    assert [s.kind for s in steps] == [STEP_PREPARE, STEP_AUTOCOMMIT]
    with_baseline = source_of(
        tmp_path / "c",
        ["001_a.sql", "002_b.sql"],
        **{"V1__base.sql": "-- aim-migrate: baseline-version=1\nSELECT 1;"},
    )
    steps = plan(with_baseline, fresh(), PlanOptions()).steps
    assert [(s.kind, s.creates_history) for s in steps] == [
        (STEP_BASELINE, False),
        (STEP_APPLY, False),
    ]
    older_table = LEGACY_COLUMNS
    first = chain.migrations[0]
    existing = plan(chain, state([row(first)], columns=older_table), PlanOptions()).steps
    assert [s.kind for s in existing] == [STEP_PREPARE, STEP_APPLY]
    assert plan(chain, state([row(first)], columns=FULL), PlanOptions()).steps[0].kind == (
        STEP_APPLY
    )


def test_down_refuses_unfinished_records_as_a_validation_error(
    database: Database, tmp_path: Path
) -> None:
    migrations = write_migrations(
        tmp_path / "m",
        {
            "001_a.sql": "CREATE TABLE a (id int);",
            "001_a.down.sql": "DROP TABLE a;",
            "002_b.sql": "CREATE TABLE b (id int);",
            "002_b.down.sql": "DROP TABLE b;",
        },
    )
    assert run_cli(["migrate"], database.url, migrations).code == 0
    with database.connect() as conn:
        conn.execute("UPDATE schema_migrations SET status = 'started' WHERE version = '001_a'")
    run = run_cli(["down", "--steps", "1"], database.url, migrations)
    assert run.code == 3, run.stdout + run.stderr
    assert run.event("rollback.refused")["migrations"] == ["001_a"]
    assert {"a", "b"} <= database.tables()  # nothing reverted
    assert [r[0] for r in database.history()] == ["001_a", "002_b"]
