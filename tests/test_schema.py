"""The shipped AIM schema, on both tracks, applied by a non-superuser that owns the database."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.conftest import ROOT, Database, run_cli, url_for

SHIPPED = ROOT / "migrations"
OWNER = "aimtest_owner"

FK_WITHOUT_INDEX = """
SELECT c.conrelid::regclass::text, c.conname
  FROM pg_constraint c
 WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
   AND NOT EXISTS (
       SELECT 1 FROM pg_index i
        WHERE i.indrelid = c.conrelid AND i.indpred IS NULL
          AND (i.indkey::int2[])[0:array_length(c.conkey, 1) - 1] = c.conkey)
"""


@pytest.fixture
def owned_database(admin_url: str) -> Iterator[Database]:
    """A database owned by a role that is not a superuser, as in production."""
    name = f"aimtest_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (OWNER,)).fetchone():
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER").format(sql.Identifier(OWNER)))
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(name), sql.Identifier(OWNER)
            )
        )
    try:
        yield Database(name, url_for(admin_url, name, user=OWNER), admin_url)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(params=["baseline", "chain"])
def migrated(request: pytest.FixtureRequest, owned_database: Database, tmp_path: Path) -> Database:
    directory = SHIPPED
    if request.param == "chain":
        directory = tmp_path / "chain"
        directory.mkdir()
        for f in SHIPPED.glob("0*.sql"):
            shutil.copy(f, directory / f.name)
    run = run_cli(["migrate"], owned_database.url, directory)
    assert run.code == 0, run.stdout + run.stderr
    assert run.event("db.detected")["track"] == request.param
    return owned_database


def test_runs_without_superuser(migrated: Database) -> None:
    assert migrated.scalar("SELECT current_user") == OWNER
    assert migrated.scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user") is False


def test_31_tables_besides_the_history(migrated: Database) -> None:
    assert len(migrated.tables() - {"schema_migrations"}) == 31


def test_every_foreign_key_is_indexed(migrated: Database) -> None:
    assert migrated.query(FK_WITHOUT_INDEX) == []
    assert migrated.scalar("SELECT count(*) FROM pg_constraint WHERE contype = 'f'") > 30


def test_default_organization_and_locked_admin(migrated: Database) -> None:
    assert migrated.query("SELECT name, domain FROM organizations") == [
        ("OpenA2A Admin", "opena2a.org")
    ]
    email, role, must_change, password_hash = migrated.query(
        "SELECT email, role, must_change_password, password_hash FROM users"
    )[0]
    assert (email, role, must_change) == ("admin@opena2a.org", "admin", True)
    # '!' is no bcrypt/argon2/crypt hash ('$...'), so no password can ever match it.
    assert password_hash == "!"


def test_trust_score_change_writes_an_audit_row(migrated: Database) -> None:
    with migrated.connect() as conn:
        conn.execute(
            "INSERT INTO agents (organization_id, name, display_name) "
            "SELECT id, 'probe', 'Probe' FROM organizations"
        )
        conn.execute("UPDATE agents SET trust_score = 72.5 WHERE name = 'probe'")
        conn.execute("UPDATE agents SET description = 'no score change' WHERE name = 'probe'")
        rows = conn.execute("SELECT old_score, new_score FROM trust_score_history").fetchall()
    assert [(float(a), float(b)) for a, b in rows] == [(50.0, 72.5)]
