"""Rollback and day-2 commands: down, history, dry runs and every refusal, on a real database."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import psycopg
import pytest
from aim_migrate.catalog import compare, snapshot

from tests.conftest import ROOT, Database, run_cli, write_migrations

FILES = {
    "001_orgs.sql": "CREATE TABLE orgs (id int PRIMARY KEY, name text NOT NULL);\n"
    "INSERT INTO orgs VALUES (1, 'OpenA2A Admin');\n",
    "001_orgs.down.sql": "-- aim-migrate: data-loss\n-- Drops orgs and its rows.\n"
    "DROP TABLE orgs;\n",
    "002_agents.sql": "CREATE TABLE agents (id int PRIMARY KEY, org_id int REFERENCES orgs (id));\n"
    "CREATE INDEX idx_agents_org_id ON agents (org_id);\n",
    "002_agents.down.sql": "-- aim-migrate: data-loss\n-- Drops agents and its rows.\n"
    "DROP TABLE agents;\n",
    "003_agent_name.sql": "ALTER TABLE agents ADD COLUMN name text NOT NULL DEFAULT 'x';\n",
    "003_agent_name.down.sql": "-- aim-migrate: data-loss\n-- Drops agents.name.\n"
    "ALTER TABLE agents DROP COLUMN name;\n",
    "004_agent_index.sql": "CREATE INDEX idx_agents_name ON agents (name);\n",
    "004_agent_index.down.sql": "DROP INDEX idx_agents_name;\n",
}


def schema_of(database: Database) -> dict[str, dict[str, object]]:
    with psycopg.connect(database.url, autocommit=True) as conn:
        return snapshot(conn, "public", "schema_migrations")


def history(database: Database) -> list[str]:
    return [row[0] for row in database.history()]


@pytest.fixture
def migrations(tmp_path: Path) -> Path:
    return write_migrations(tmp_path / "m", FILES)


def test_down_then_up_round_trip_restores_schema_and_keeps_other_rows(
    database: Database, migrations: Path
) -> None:
    assert run_cli(["migrate"], database.url, migrations).code == 0
    before = schema_of(database)
    with database.connect() as conn:
        conn.execute("INSERT INTO orgs VALUES (2, 'Ünïcode, Ltd.')")
        conn.execute("INSERT INTO agents (id, org_id, name) VALUES (7, 2, 'probe')")
    orgs_before = database.query("SELECT to_jsonb(o)::text FROM orgs o ORDER BY id")

    down = run_cli(["down", "--steps", "2", "--allow-data-loss"], database.url, migrations)
    assert down.code == 0, down.stdout + down.stderr
    assert [e["migration"] for e in down.events if e["event"] == "migration.reverted"] == [
        "004_agent_index",
        "003_agent_name",
    ]
    assert history(database) == ["001_orgs", "002_agents"]
    assert (
        database.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_agents_name'") == 0
    )

    up = run_cli(["migrate"], database.url, migrations)
    assert up.code == 0
    # The schema is what it was; only the rows added above differ from the first snapshot.
    after = schema_of(database)
    assert [d for d in compare(before, after) if not d.object.startswith("rows ")] == []
    # orgs was not touched by 003/004: its rows are byte for byte what they were.
    assert database.query("SELECT to_jsonb(o)::text FROM orgs o ORDER BY id") == orgs_before
    assert history(database) == ["001_orgs", "002_agents", "003_agent_name", "004_agent_index"]


def test_down_to_zero_empties_the_database(database: Database, migrations: Path) -> None:
    assert run_cli(["migrate"], database.url, migrations).code == 0
    down = run_cli(["down", "--to", "0", "--allow-data-loss"], database.url, migrations)
    assert down.code == 0
    assert database.tables() == {"schema_migrations"}
    assert history(database) == []
    assert run_cli(["migrate"], database.url, migrations).code == 0
    assert history(database) == ["001_orgs", "002_agents", "003_agent_name", "004_agent_index"]


def assert_unchanged(
    database: Database, before: dict[str, dict[str, object]], rows: list[str]
) -> None:
    assert compare(before, schema_of(database)) == []
    assert history(database) == rows


def test_data_loss_needs_consent_and_dry_run_changes_nothing(
    database: Database, migrations: Path
) -> None:
    assert run_cli(["migrate"], database.url, migrations).code == 0
    before, rows = schema_of(database), history(database)
    refused = run_cli(["down", "--steps", "2"], database.url, migrations)
    assert refused.code == 3
    assert refused.event("rollback.data_loss")["migrations"] == ["003_agent_name"]
    assert_unchanged(database, before, rows)

    dry = run_cli(["down", "--steps", "2", "--dry-run"], database.url, migrations)
    assert dry.code == 0
    assert dry.stdout.splitlines() == [
        "would revert 004_agent_index with 004_agent_index.down.sql",
        "would revert 003_agent_name with 003_agent_name.down.sql  [data loss]",
    ]
    assert_unchanged(database, before, rows)

    # A non-destructive step needs no consent.
    assert run_cli(["down", "--steps", "1"], database.url, migrations).code == 0
    assert history(database) == rows[:-1]


def test_missing_down_file_is_refused(database: Database, migrations: Path) -> None:
    assert run_cli(["migrate"], database.url, migrations).code == 0
    (migrations / "004_agent_index.down.sql").unlink()
    before, rows = schema_of(database), history(database)
    run = run_cli(["down", "--steps", "1"], database.url, migrations)
    assert run.code == 3
    assert run.event("rollback.missing_down")["migrations"] == ["004_agent_index"]
    assert_unchanged(database, before, rows)


def test_more_steps_than_applied_and_unknown_version_are_refused(
    database: Database, migrations: Path
) -> None:
    assert run_cli(["migrate", "--target", "2"], database.url, migrations).code == 0
    before, rows = schema_of(database), history(database)
    too_many = run_cli(["down", "--steps", "3", "--allow-data-loss"], database.url, migrations)
    assert too_many.code == 3
    assert too_many.event("rollback.refused")
    no_such = run_cli(["down", "--to", "9"], database.url, migrations)
    assert no_such.code == 3
    assert_unchanged(database, before, rows)
    # --to above what is applied reverts nothing: pending 003/004 have no down to run.
    nothing = run_cli(["down", "--to", "3"], database.url, migrations)
    assert nothing.code == 0
    assert nothing.event("run.finished")["reverted"] == 0
    assert_unchanged(database, before, rows)


def test_below_the_baseline_is_refused(database: Database, migrations: Path) -> None:
    baseline = (
        "-- aim-migrate: baseline-version=2\n" + FILES["001_orgs.sql"] + FILES["002_agents.sql"]
    )
    write_migrations(migrations, {"V1__base.sql": baseline})
    assert run_cli(["migrate"], database.url, migrations).code == 0
    reverted = run_cli(["down", "--steps", "2", "--allow-data-loss"], database.url, migrations)
    assert reverted.code == 0  # 004 and 003, which are newer than the baseline
    before, rows = schema_of(database), history(database)
    run = run_cli(["down", "--steps", "1", "--allow-data-loss"], database.url, migrations)
    assert run.code == 3
    assert run.event("rollback.below_baseline")["migrations"] == ["002_agents"]
    assert_unchanged(database, before, rows)


def test_failing_down_rolls_back_its_own_transaction(database: Database, migrations: Path) -> None:
    assert run_cli(["migrate"], database.url, migrations).code == 0
    (migrations / "004_agent_index.down.sql").write_text(
        "DROP INDEX idx_agents_name;\nSELECT 1 / 0;\n"
    )
    before, rows = schema_of(database), history(database)
    run = run_cli(["down", "--steps", "1"], database.url, migrations)
    assert run.code == 1
    failed = run.event("migration.failed")
    assert (Path(failed["file"]).name, failed["line"]) == ("004_agent_index.down.sql", 2)
    assert_unchanged(database, before, rows)  # the index is still there, and its history row


def test_down_needs_the_lock(database: Database, migrations: Path) -> None:
    from aim_migrate.lock import lock_key

    assert run_cli(["migrate"], database.url, migrations).code == 0
    with database.connect() as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (lock_key("public.schema_migrations"),))
        run = run_cli(["down", "--steps", "1"], database.url, migrations, AIM_LOCK_TIMEOUT="500ms")
    assert run.code == 5
    assert len(history(database)) == 4


def test_history_is_the_audit_trail(database: Database, migrations: Path) -> None:
    assert run_cli(["migrate"], database.url, migrations).code == 0
    (migrations / "004_agent_index.sql").write_text(
        "CREATE INDEX idx_agents_name ON agents (name);\n-- reviewed\n"
    )
    assert (
        run_cli(["repair", "--reason", "comment added in review"], database.url, migrations).code
        == 0
    )
    run = run_cli(["history", "--json"], database.url, migrations)
    assert run.code == 0
    rows = json.loads(run.stdout)
    assert [r["version"] for r in rows] == [
        "001_orgs",
        "002_agents",
        "003_agent_name",
        "004_agent_index",
    ]
    assert set(rows[0]) == {
        "version",
        "track",
        "status",
        "checksum",
        "applied_at",
        "applied_by",
        "duration_ms",
        "phase",
        "reason",
    }
    assert {r["phase"] for r in rows} == {"pre-deploy"}
    assert rows[3]["reason"] == "comment added in review"
    assert all(re.fullmatch(r"[0-9a-f]{64}", r["checksum"]) for r in rows)
    text = run_cli(["history"], database.url, migrations)
    assert "004_agent_index" in text.stdout


SHIPPED = ROOT / "migrations"


def _chain(tmp_path: Path) -> Path:
    directory = tmp_path / "chain"
    directory.mkdir()
    for f in SHIPPED.glob("0*.sql"):
        shutil.copy(f, directory / f.name)
    return directory


def test_shipped_migrations_round_trip(database: Database, tmp_path: Path) -> None:
    """The shipped chain, all 30 down files: up, down to 20 and to 0, up again."""
    chain = _chain(tmp_path)
    assert len(list(chain.glob("*.down.sql"))) == 30
    assert run_cli(["migrate"], database.url, chain).code == 0
    before = schema_of(database)
    with database.connect() as conn:
        conn.execute(
            "INSERT INTO organizations (id, name, domain) "
            "VALUES ('00000000-0000-4000-a000-0000000000aa', 'Ünïcode Corp', 'uni.example')"
        )
        conn.execute(
            "INSERT INTO tags (organization_id, name, color) "
            "VALUES ('00000000-0000-4000-a000-0000000000aa', 'prod', '#00ff00')"
        )
    untouched = "SELECT to_jsonb(t)::text FROM {} t ORDER BY 1"
    kept = {t: database.query(untouched.format(t)) for t in ("organizations", "tags")}

    partial = run_cli(["down", "--to", "20", "--allow-data-loss"], database.url, chain)
    assert partial.code == 0, partial.stdout + partial.stderr
    assert len(history(database)) == 20
    assert run_cli(["migrate"], database.url, chain).code == 0
    # 021..030 neither alter organizations nor tags: their rows survive byte for byte.
    assert {t: database.query(untouched.format(t)) for t in kept} == kept
    structural = [
        d for d in compare(before, schema_of(database)) if not d.object.startswith("rows ")
    ]
    assert structural == []

    with database.connect() as conn:  # the extra rows would block 001's down (foreign keys)
        conn.execute("DELETE FROM tags")
        conn.execute("DELETE FROM organizations WHERE name = 'Ünïcode Corp'")
    full = run_cli(["down", "--to", "0", "--allow-data-loss"], database.url, chain)
    assert full.code == 0, full.stdout + full.stderr
    assert database.tables() == {"schema_migrations"}
    assert run_cli(["migrate"], database.url, chain).code == 0
    assert compare(before, schema_of(database)) == []
