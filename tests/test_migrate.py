"""The runner against a real PostgreSQL: every database state, both tracks, failures."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.conftest import Database, run_cli, write_migrations

BASELINE = """\
-- aim-migrate: baseline-version=2
-- Consolidates 001..002.
CREATE TABLE organizations (id serial PRIMARY KEY, name text NOT NULL, domain text);
CREATE TABLE users (id serial PRIMARY KEY, org_id int REFERENCES organizations(id), email text);
INSERT INTO organizations (name, domain) VALUES ('OpenA2A Admin', 'opena2a.org');
"""
M001 = """\
-- Migration: initial schema
CREATE TABLE organizations (id serial PRIMARY KEY, name text NOT NULL);
INSERT INTO organizations (name) VALUES ('OpenA2A Admin');
"""
M002 = """\
ALTER TABLE organizations ADD COLUMN domain text; -- a comment; with a semicolon
UPDATE organizations SET domain = 'opena2a.org';
CREATE TABLE users (id serial PRIMARY KEY, org_id int REFERENCES organizations(id), email text);
"""
M003 = """\
CREATE TABLE agents (id serial PRIMARY KEY, name text);
DO $$
BEGIN
    RAISE NOTICE 'naïve 100%% → ok; still one statement';
EXCEPTION WHEN others THEN
    RAISE;
END
$$;
"""


def files(**extra: str) -> dict[str, str]:
    base = {
        "V1__consolidated_schema.sql": BASELINE,
        "001_initial_schema.sql": M001,
        "002_add_domain_and_users.sql": M002,
        "003_agents.sql": M003,
    }
    base.update(extra)
    return base


@pytest.fixture
def migrations(tmp_path: Path) -> Path:
    return write_migrations(tmp_path / "migrations", files())


def test_fresh_database_takes_the_baseline_track_then_newer_incrementals(
    database: Database, migrations: Path
) -> None:
    run = run_cli(["migrate"], database.url, migrations)
    assert run.code == 0, run.stdout + run.stderr
    assert run.event("db.detected")["track"] == "baseline"
    assert database.tables() >= {"organizations", "users", "agents", "schema_migrations"}
    history = {row[0]: row[1:3] for row in database.history()}
    assert history == {
        "V1__consolidated_schema": ("baseline", "applied"),
        "001_initial_schema": ("contained", "applied"),
        "002_add_domain_and_users": ("contained", "applied"),
        "003_agents": ("incremental", "applied"),
    }
    checksums = {row[0]: row[3] for row in database.history()}
    expected = hashlib.sha256((migrations / "003_agents.sql").read_bytes()).hexdigest()
    assert checksums["003_agents"] == expected
    assert run.event("run.finished")["applied"] == 2  # the baseline and 003

    again = run_cli(["migrate"], database.url, migrations)
    assert again.code == 0
    assert again.event("run.finished")["applied"] == 0
    assert "lock.acquired" not in again.names()  # nothing pending: no lock needed
    assert len(database.history()) == 4


def test_fresh_database_without_baseline_applies_the_whole_chain(
    database: Database, tmp_path: Path
) -> None:
    chain = {k: v for k, v in files().items() if not k.startswith("V1")}
    migrations = write_migrations(tmp_path / "m", chain)
    run = run_cli(["migrate"], database.url, migrations)
    assert run.code == 0, run.stdout + run.stderr
    assert run.event("db.detected")["track"] == "chain"
    assert [r[1] for r in database.history()] == ["incremental"] * 3
    assert database.scalar("SELECT domain FROM organizations") == "opena2a.org"


def test_existing_database_gets_only_pending_migrations(database: Database, tmp_path: Path) -> None:
    first = write_migrations(tmp_path / "m", {"001_initial_schema.sql": M001})
    assert run_cli(["migrate"], database.url, first).code == 0
    write_migrations(first, {"002_add_domain_and_users.sql": M002, "003_agents.sql": M003})
    run = run_cli(["migrate"], database.url, first)
    assert run.code == 0, run.stdout + run.stderr
    assert run.event("db.detected")["track"] == "incremental"
    assert [r[0] for r in database.history()] == [
        "001_initial_schema",
        "002_add_domain_and_users",
        "003_agents",
    ]
    # The organisation row from 001 survived; nothing was re-applied.
    assert database.scalar("SELECT count(*) FROM organizations") == 1


def test_legacy_history_is_adopted_in_place(database: Database, migrations: Path) -> None:
    with database.connect() as conn:
        conn.execute(M001)
        conn.execute(M002)
        conn.execute(
            "CREATE TABLE schema_migrations (version VARCHAR(255) PRIMARY KEY, "
            "applied_at TIMESTAMPTZ DEFAULT now())"
        )
        conn.execute(
            "INSERT INTO schema_migrations VALUES ('001_initial_schema', '2024-01-01'), "
            "('002_add_domain_and_users.up', '2024-02-01'), ('000_removed_long_ago', '2023-01-01')"
        )
    run = run_cli(["migrate"], database.url, migrations)
    assert run.code == 0, run.stdout + run.stderr
    assert run.event("history.adopted")["rows_completed"] == 2
    assert "history.orphan" in run.names()
    rows = database.query(
        "SELECT version, track, checksum IS NOT NULL, applied_at::date::text "
        "FROM schema_migrations ORDER BY version"
    )
    assert rows == [
        ("000_removed_long_ago", "legacy", False, "2023-01-01"),
        ("001_initial_schema", "legacy", True, "2024-01-01"),
        ("002_add_domain_and_users.up", "legacy", True, "2024-02-01"),
        ("003_agents", "incremental", True, rows[3][3]),
    ]
    assert database.scalar("SELECT count(*) FROM organizations") == 1
    # Adopted checksums now guard the old files too.
    (migrations / "001_initial_schema.sql").write_text(M001 + "-- edited\n")
    tampered = run_cli(["migrate"], database.url, migrations)
    assert tampered.code == 3
    assert tampered.event("validation.checksum_mismatch")["file"].endswith("001_initial_schema.sql")


def test_baseline_that_creates_its_own_history_table_is_adopted(
    database: Database, tmp_path: Path
) -> None:
    baseline = (
        "-- aim-migrate: baseline-version=1\n"
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version VARCHAR(255) PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW());\n"
        "INSERT INTO schema_migrations (version) VALUES ('V1__consolidated_schema');\n"
        "CREATE TABLE organizations (id serial PRIMARY KEY, name text NOT NULL);\n"
    )
    migrations = write_migrations(
        tmp_path / "m", {"V1__consolidated_schema.sql": baseline, "001_initial_schema.sql": M001}
    )
    run = run_cli(["migrate"], database.url, migrations)
    assert run.code == 0, run.stdout + run.stderr
    assert {r[0]: r[1] for r in database.history()} == {
        "V1__consolidated_schema": "baseline",
        "001_initial_schema": "contained",
    }
    assert run_cli(["migrate"], database.url, migrations).event("run.finished")["applied"] == 0


def test_tables_without_history_are_refused_until_baselined(
    database: Database, migrations: Path
) -> None:
    with database.connect() as conn:
        conn.execute(M001)
        conn.execute(M002)
    run = run_cli(["migrate"], database.url, migrations)
    assert run.code == 3
    event = run.event("db.unmanaged")
    assert "aim-migrate baseline --version" in event["hint"]
    assert "schema_migrations" not in database.tables()

    marked = run_cli(["baseline", "--version", "2"], database.url, migrations)
    assert marked.code == 0, marked.stdout + marked.stderr
    run = run_cli(["migrate"], database.url, migrations)
    assert run.code == 0, run.stdout + run.stderr
    assert {r[0]: r[1] for r in database.history()} == {
        "001_initial_schema": "marked",
        "002_add_domain_and_users": "marked",
        "003_agents": "incremental",
    }


def test_history_without_sentinel_is_an_existing_database(
    database: Database, tmp_path: Path
) -> None:
    migrations = write_migrations(tmp_path / "m", {"001_a.sql": "CREATE TABLE a (id int);"})
    assert run_cli(["migrate"], database.url, migrations).code == 0
    write_migrations(migrations, {"002_b.sql": "CREATE TABLE b (id int);"})
    run = run_cli(["migrate"], database.url, migrations, AIM_SENTINEL_TABLE="nonexistent")
    assert run.code == 0
    assert run.event("db.detected")["track"] == "incremental"
    assert database.tables() == {"a", "b", "schema_migrations"}


def test_custom_schema_is_detected_and_used(database: Database, migrations: Path) -> None:
    run = run_cli(["migrate"], database.url, migrations, AIM_SCHEMA="tenant one")
    assert run.code == 0, run.stdout + run.stderr
    assert database.tables("tenant one") >= {"organizations", "agents", "schema_migrations"}
    assert "organizations" not in database.tables("public")
    again = run_cli(["migrate"], database.url, migrations, AIM_SCHEMA="tenant one")
    assert again.event("run.finished")["applied"] == 0


def test_failing_migration_keeps_earlier_ones_and_names_file_line_column(
    database: Database, tmp_path: Path
) -> None:
    migrations = write_migrations(
        tmp_path / "m",
        {
            "001_a.sql": "CREATE TABLE a (id int);",
            "002_b.sql": "CREATE TABLE b (id int);\n\nINSERT INTO b VALUES (1);\n"
            "SELECT * FROM\n  missing_table;\n",
            "003_c.sql": "CREATE TABLE c (id int);",
        },
    )
    run = run_cli(["migrate"], database.url, migrations)
    assert run.code == 1
    failed = run.event("migration.failed")
    assert failed["file"].endswith("002_b.sql")
    assert (failed["line"], failed["column"]) == (5, 3)
    assert failed["sqlstate"] == "42P01"
    assert "missing_table" in failed["error"]
    assert database.tables() == {"a", "schema_migrations"}  # b rolled back, c never started
    assert [r[0] for r in database.history()] == ["001_a"]

    (migrations / "002_b.sql").write_text("CREATE TABLE b (id int);\n")
    fixed = run_cli(["migrate"], database.url, migrations)
    assert fixed.code == 0
    assert database.tables() == {"a", "b", "c", "schema_migrations"}


def test_runtime_error_inside_do_block_points_at_the_line(
    database: Database, tmp_path: Path
) -> None:
    body = (
        "CREATE TABLE a (id int);\nDO $$\nBEGIN\n  PERFORM 1;\n"
        "  RAISE EXCEPTION 'boom %', 42;\nEND\n$$;\n"
    )
    migrations = write_migrations(tmp_path / "m", {"001_a.sql": body})
    run = run_cli(["migrate"], database.url, migrations)
    assert run.code == 1
    failed = run.event("migration.failed")
    assert failed["line"] == 5
    assert failed["error"] == "boom 42"
    assert "a" not in database.tables()


def test_changed_applied_migration_stops_the_run_before_any_change(
    database: Database, tmp_path: Path
) -> None:
    migrations = write_migrations(tmp_path / "m", {"001_a.sql": "CREATE TABLE a (id int);"})
    assert run_cli(["migrate"], database.url, migrations).code == 0
    write_migrations(
        migrations,
        {"001_a.sql": "CREATE TABLE a (id bigint);", "002_b.sql": "CREATE TABLE b (id int);"},
    )
    run = run_cli(["migrate"], database.url, migrations)
    assert run.code == 3
    assert run.event("validation.checksum_mismatch")["files"] == [str(migrations / "001_a.sql")]
    assert "b" not in database.tables()

    repaired = run_cli(["repair", "--reason", "reviewed in PR 7"], database.url, migrations)
    assert repaired.code == 0
    assert repaired.event("repair.checksum_updated")["reason"] == "reviewed in PR 7"
    assert database.scalar("SELECT reason FROM schema_migrations WHERE version = '001_a'") == (
        "reviewed in PR 7"
    )
    assert run_cli(["migrate"], database.url, migrations).code == 0
    assert "b" in database.tables()


def test_out_of_order_migration_is_refused_unless_allowed(
    database: Database, tmp_path: Path
) -> None:
    migrations = write_migrations(
        tmp_path / "m", {"001_a.sql": "CREATE TABLE a ();", "003_c.sql": "CREATE TABLE c ();"}
    )
    assert run_cli(["migrate"], database.url, migrations).code == 0
    write_migrations(migrations, {"002_b.sql": "CREATE TABLE b ();"})
    refused = run_cli(["migrate"], database.url, migrations)
    assert refused.code == 3
    assert refused.event("validation.out_of_order")["migrations"] == ["002_b"]
    assert "b" not in database.tables()
    allowed = run_cli(["migrate", "--out-of-order"], database.url, migrations)
    assert allowed.code == 0
    assert "b" in database.tables()


def test_duplicate_numbers_run_in_name_order_with_a_warning(
    database: Database, tmp_path: Path
) -> None:
    migrations = write_migrations(
        tmp_path / "m",
        {
            "0099_z.sql": "CREATE TABLE z ();",
            "100_b.sql": "CREATE TABLE b ();",
            "099_a.sql": "CREATE TABLE a ();",
        },
    )
    run = run_cli(["migrate"], database.url, migrations)
    assert run.code == 0
    assert "source.duplicate_version" in run.names()
    applied = [e["migration"] for e in run.events if e["event"] == "migration.applied"]
    assert applied == ["0099_z", "099_a", "100_b"]
    strict = run_cli(["validate", "--strict"], None, migrations)
    assert strict.code == 3


def test_non_transactional_migration_runs_concurrent_index(
    database: Database, tmp_path: Path
) -> None:
    migrations = write_migrations(
        tmp_path / "m",
        {
            "001_a.sql": "CREATE TABLE a (id int, name text);",
            "002_idx.sql": "-- aim-migrate: no-transaction\n"
            "CREATE INDEX CONCURRENTLY idx_a_name ON a (name);\n"
            "CREATE INDEX CONCURRENTLY idx_a_id ON a (id);\n",
        },
    )
    run = run_cli(["migrate"], database.url, migrations)
    assert run.code == 0, run.stdout + run.stderr
    assert (
        database.scalar(
            "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname IN ('idx_a_name', 'idx_a_id') AND i.indisvalid"
        )
        == 2
    )
    assert [r[2] for r in database.history()] == ["applied", "applied"]


def test_failed_non_transactional_migration_is_recorded_and_blocks_reruns(
    database: Database, tmp_path: Path
) -> None:
    migrations = write_migrations(
        tmp_path / "m",
        {
            "001_a.sql": "CREATE TABLE a (id int); INSERT INTO a VALUES (1), (1);",
            "002_idx.sql": "-- aim-migrate: no-transaction\n"
            "CREATE UNIQUE INDEX CONCURRENTLY idx_a_id ON a (id);\n",
        },
    )
    run = run_cli(["migrate"], database.url, migrations)
    assert run.code == 1
    assert run.event("migration.failed")["sqlstate"] == "23505"
    assert database.query("SELECT version, status FROM schema_migrations ORDER BY 1") == [
        ("001_a", "applied"),
        ("002_idx", "failed"),
    ]
    rerun = run_cli(["migrate"], database.url, migrations)
    assert rerun.code == 1
    incomplete = rerun.event("migration.incomplete")
    assert incomplete["migration"] == "002_idx"
    assert "INVALID" in incomplete["hint"]

    # The operator removes the duplicate and the invalid index, then clears the record.
    with database.connect() as conn:
        conn.execute("DELETE FROM a WHERE ctid <> (SELECT min(ctid) FROM a)")
        conn.execute("DROP INDEX idx_a_id")
    repaired = run_cli(["repair", "--reason", "deduplicated a"], database.url, migrations)
    assert repaired.code == 0
    assert repaired.event("repair.cleared")["migration"] == "002_idx"
    assert run_cli(["migrate"], database.url, migrations).code == 0
    assert database.query("SELECT version, status FROM schema_migrations ORDER BY 1") == [
        ("001_a", "applied"),
        ("002_idx", "applied"),
    ]


def test_transaction_control_in_a_file_is_refused_before_anything_runs(
    database: Database, tmp_path: Path
) -> None:
    migrations = write_migrations(
        tmp_path / "m",
        {
            "001_a.sql": "CREATE TABLE a ();",
            "002_b.sql": "BEGIN;\nCREATE TABLE b ();\nCOMMIT;\n",
        },
    )
    run = run_cli(["migrate"], database.url, migrations)
    assert run.code == 3
    event = run.event("validation.failed")
    assert (Path(event["file"]).name, event["line"]) == ("002_b.sql", 1)
    assert database.tables() == set()


def test_concurrent_index_in_transactional_file_is_refused(
    database: Database, tmp_path: Path
) -> None:
    migrations = write_migrations(
        tmp_path / "m",
        {"001_a.sql": "CREATE TABLE a (x int);\nCREATE INDEX CONCURRENTLY i ON a (x);\n"},
    )
    run = run_cli(["migrate"], database.url, migrations)
    assert run.code == 3
    assert "no-transaction" in run.event("validation.failed")["hint"]
    assert database.tables() == set()


def test_session_settings_changed_by_a_migration_do_not_leak(
    database: Database, tmp_path: Path
) -> None:
    migrations = write_migrations(
        tmp_path / "m",
        {
            "001_a.sql": "CREATE SCHEMA other;\nSET search_path = other;\nCREATE TABLE a ();",
            "002_b.sql": "CREATE TABLE b ();",
        },
    )
    run = run_cli(["migrate"], database.url, migrations)
    assert run.code == 0, run.stdout + run.stderr
    assert database.tables("other") == {"a"}
    assert database.tables("public") == {"b", "schema_migrations"}


def test_status_and_plan_report_without_changing_anything(
    database: Database, migrations: Path
) -> None:
    import json

    plan = run_cli(["plan", "--json"], database.url, migrations)
    assert plan.code == 0, plan.stderr
    document = json.loads(plan.stdout)
    assert document["track"] == "baseline"
    assert document["baseline"]["records"] == ["001_initial_schema", "002_add_domain_and_users"]
    assert [p["name"] for p in document["pending"]] == ["003_agents"]
    check = run_cli(["plan", "--check"], database.url, migrations)
    assert check.code == 3
    assert database.tables() == set()

    assert run_cli(["migrate"], database.url, migrations).code == 0
    status = run_cli(["status", "--json"], database.url, migrations)
    assert status.code == 0
    document = json.loads(status.stdout)
    assert document["pending"] == []
    assert document["current_version"] == 3
    assert run_cli(["plan", "--check"], database.url, migrations).code == 0


def test_target_stops_at_the_given_version(database: Database, migrations: Path) -> None:
    run = run_cli(["migrate", "--target", "2"], database.url, migrations)
    assert run.code == 0
    assert "agents" not in database.tables()
    assert run_cli(["migrate"], database.url, migrations).code == 0
    assert "agents" in database.tables()


SHIPPED = Path(__file__).resolve().parent.parent / "migrations"


def test_shipped_migrations_fresh_run_then_no_op(database: Database) -> None:
    run = run_cli(["migrate"], database.url, SHIPPED)
    assert run.code == 0, run.stdout + run.stderr
    assert run.event("db.detected")["track"] == "baseline"
    assert run.event("run.finished")["recorded"] == 30
    assert len(database.tables() - {"schema_migrations"}) == 31
    again = run_cli(["migrate"], database.url, SHIPPED)
    assert again.code == 0
    assert again.event("run.finished")["applied"] == 0


def test_libpq_environment_variables_are_accepted(database: Database, tmp_path: Path) -> None:
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(database.url)
    migrations = write_migrations(tmp_path / "m", {"001_a.sql": "CREATE TABLE a ();"})
    run = run_cli(
        ["migrate"],
        None,
        migrations,
        PGHOST=str(params["host"]),
        PGPORT=str(params.get("port", 5432)),
        PGUSER=str(params["user"]),
        PGDATABASE=database.name,
    )
    assert run.code == 0, run.stdout + run.stderr
    assert "a" in database.tables()


def test_validate_offline_and_against_the_database(database: Database, tmp_path: Path) -> None:
    offline = run_cli(["validate", "--json"], None, SHIPPED)
    assert offline.code == 0, offline.stderr
    assert '"database_checked": false' in offline.stdout
    bad = write_migrations(tmp_path / "bad", {"001_a.sql": "CREATE TABLE a ('unterminated);"})
    broken = run_cli(["validate"], None, bad)
    assert broken.code == 3
    assert broken.event("validation.failed")["line"] == 1
    online = run_cli(["validate", "--json"], database.url, SHIPPED)
    assert online.code == 0
    assert '"database_checked": true' in online.stdout
    assert database.tables() == set()
