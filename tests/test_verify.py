"""`aim-migrate verify`: the drift check between the baseline and the incremental chain."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from aim_migrate.config import resolve
from aim_migrate.logs import configure
from aim_migrate.verify import fix_hints, verify

from tests.conftest import ROOT, Database, run_cli, write_migrations

SHIPPED = ROOT / "migrations"

M001 = """\
CREATE TABLE organizations (
    id int PRIMARY KEY,
    name text NOT NULL,
    score int NOT NULL DEFAULT 0,
    CONSTRAINT chk_score CHECK (score >= 0)
);
INSERT INTO organizations VALUES (1, 'OpenA2A Admin', 0);
"""
M002 = """\
CREATE TABLE users (
    id int PRIMARY KEY,
    org_id int NOT NULL,
    CONSTRAINT fk_users_org FOREIGN KEY (org_id) REFERENCES organizations (id) ON DELETE CASCADE
);
CREATE INDEX idx_users_org_id ON users (org_id);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER trg_users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();
"""
BASELINE = "-- aim-migrate: baseline-version=2\n" + M001 + M002


def pair(tmp_path: Path, baseline: str) -> Path:
    return write_migrations(
        tmp_path / "m",
        {"V1__base.sql": baseline, "001_orgs.sql": M001, "002_users.sql": M002},
    )


def run_verify(directory: Path, admin_url: str, **kw: bool):  # type: ignore[no-untyped-def]
    config = resolve({"migrations_dir": directory}, environ={})
    return verify(config, configure("json", "error"), admin_url, **kw)


def test_identical_pair_passes(tmp_path: Path, admin_url: str) -> None:
    verdict = run_verify(pair(tmp_path, BASELINE), admin_url)
    assert verdict.differences == []


@pytest.mark.parametrize(
    ("change", "replacement", "expected"),
    [
        ("DEFAULT 0", "DEFAULT 1", ("column organizations.score", "default", "1", "0")),
        (
            "score int NOT",
            "score bigint NOT",
            ("column organizations.score", "type", "bigint", "integer"),
        ),
        (
            "CREATE INDEX idx_users_org_id ON users (org_id);",
            "",
            ("index users.idx_users_org_id", "exists", False, True),
        ),
        (
            "ON DELETE CASCADE",
            "ON DELETE RESTRICT",
            ("constraint users.fk_users_org", "definition", None, None),
        ),
        (
            "CREATE TRIGGER trg_users_touch BEFORE UPDATE",
            "CREATE TRIGGER trg_users_touch BEFORE INSERT",
            ("trigger users.trg_users_touch", "definition", None, None),
        ),
        (
            "score >= 0",
            "score >= -1",
            ("constraint organizations.chk_score", "definition", None, None),
        ),
        ("'OpenA2A Admin', 0", "'OpenA2A', 0", ("rows organizations", "row", None, None)),
        (
            "RETURN NEW; END",
            "NEW := NEW; RETURN NEW; END",
            ("function touch()", "definition", None, None),
        ),
        (
            "EXECUTE FUNCTION touch();\n",
            "EXECUTE FUNCTION touch();\nCOMMENT ON TABLE users IS 'people';\n",
            ("comment on table users", "exists", True, False),
        ),
    ],
    ids=["default", "type", "index", "fk-action", "trigger", "check", "row", "function", "comment"],
)
def test_each_kind_of_drift_is_detected(
    tmp_path: Path, admin_url: str, change: str, replacement: str, expected: tuple[object, ...]
) -> None:
    assert change in BASELINE
    drifted = BASELINE.replace(change, replacement)
    verdict = run_verify(pair(tmp_path, drifted), admin_url)
    found = {(d.object, d.attribute): d for d in verdict.differences}
    key = expected[:2]
    assert key in found, verdict.differences
    difference = found[key]
    if expected[2] is not None:
        assert (difference.baseline, difference.chain) == expected[2:]
    else:
        assert difference.baseline != difference.chain
    assert fix_hints(verdict)  # something to copy into the baseline


def test_seeded_row_difference_shows_both_rows(tmp_path: Path, admin_url: str) -> None:
    verdict = run_verify(pair(tmp_path, BASELINE.replace("'OpenA2A Admin'", "'Other'")), admin_url)
    rows = [(d.baseline, d.chain) for d in verdict.differences if d.attribute == "row"]
    assert ({"id": 1, "name": "Other", "score": 0}, None) in rows
    assert (None, {"id": 1, "name": "OpenA2A Admin", "score": 0}) in rows
    assert any(h.startswith("INSERT INTO organizations") for h in fix_hints(verdict))


def test_names_matter_unless_ignored(tmp_path: Path, admin_url: str) -> None:
    renamed = BASELINE.replace("idx_users_org_id", "users_org_id_idx")
    directory = pair(tmp_path, renamed)
    strict = run_verify(directory, admin_url)
    assert {d.object for d in strict.differences} == {
        "index users.idx_users_org_id",
        "index users.users_org_id_idx",
    }
    assert run_verify(directory, admin_url, ignore_names=True).differences == []


def test_shipped_migrations_do_not_drift(admin_url: str) -> None:
    """The project can never merge a drifted baseline."""
    run = run_cli(["verify", "--json"], None, SHIPPED, AIM_DEV_DATABASE_URL=admin_url)
    assert run.code == 0, run.stdout + run.stderr
    document = json.loads(run.stdout)
    assert document == {"identical": True, "differences": []}
    assert run.event("verify.finished")["objects"] > 300


def test_drift_exits_3_with_json_report(tmp_path: Path, admin_url: str) -> None:
    directory = pair(tmp_path, BASELINE.replace("DEFAULT 0", "DEFAULT 7"))
    run = run_cli(
        ["verify", "--json", "--fix-hint"], None, directory, AIM_DEV_DATABASE_URL=admin_url
    )
    assert run.code == 3
    document = json.loads(run.stdout)
    assert document["identical"] is False
    assert document["differences"] == [
        {
            "object": "column organizations.score",
            "attribute": "default",
            "baseline": "7",
            "chain": "0",
        }
    ]
    assert "score integer DEFAULT 0 NOT NULL" in document["fix_hints"][0]
    assert run.event("verify.drift")["differences"] == 1


def test_scratch_databases_are_dropped(tmp_path: Path, admin_url: str, database: Database) -> None:
    run_verify(pair(tmp_path, BASELINE), admin_url)
    leftovers = database.scalar(
        "SELECT count(*) FROM pg_database WHERE datname LIKE 'aim_verify_%'"
    )
    assert leftovers == 0


def test_verify_without_a_dev_server_uses_an_embedded_one(tmp_path: Path) -> None:
    run = run_cli(["verify"], None, pair(tmp_path, BASELINE))
    assert run.code == 0, run.stdout + run.stderr
    assert "identical" in run.stdout


def _pg_dump(url: str) -> list[str]:
    """The server's own major version of pg_dump if installed, else the one pgserver ships."""
    import pgserver._commands as pg
    import psycopg

    with psycopg.connect(url) as conn:
        server_major = conn.info.server_version // 10000
    for candidate in (shutil.which("pg_dump"), str(Path(pg.POSTGRES_BIN_PATH) / "pg_dump")):
        if not candidate or not Path(candidate).exists():
            continue
        version = subprocess.run(
            [candidate, "--version"], capture_output=True, text=True, check=True
        ).stdout
        if int(version.split()[-1].split(".")[0]) == server_major:
            return [candidate]
    pytest.fail(f"no pg_dump for PostgreSQL {server_major}")


def _schema_dump(url: str) -> list[str]:
    out = subprocess.run(
        [
            *_pg_dump(url),
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "--exclude-table=schema_migrations",
            "-d",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # Ordering is ignored; so are comments and the per-dump random \restrict key.
    return sorted(
        line
        for line in out.splitlines()
        if line and not line.startswith(("--", "\\restrict", "\\unrestrict"))
    )


def test_shipped_tracks_agree_by_pg_dump_too(admin_url: str, tmp_path: Path) -> None:
    import psycopg
    from psycopg import sql

    from tests.conftest import url_for

    chain_dir = tmp_path / "chain"
    chain_dir.mkdir()
    for f in SHIPPED.glob("0*.sql"):
        shutil.copy(f, chain_dir / f.name)
    names = ["aimtest_dump_baseline", "aimtest_dump_chain"]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for name in names:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        baseline_url, chain_url = (url_for(admin_url, n) for n in names)
        assert run_cli(["migrate"], baseline_url, SHIPPED).code == 0
        chained = run_cli(["migrate"], chain_url, chain_dir)
        assert chained.code == 0
        assert chained.event("db.detected")["track"] == "chain"
        assert _schema_dump(baseline_url) == _schema_dump(chain_url)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            for name in names:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


def test_new_creates_the_next_numbered_file(tmp_path: Path) -> None:
    directory = write_migrations(
        tmp_path / "m", {"001_a.sql": "CREATE TABLE a ();", "0009_b.sql": "CREATE TABLE b ();"}
    )
    run = run_cli(["new", "Add agent labels!"], None, directory)
    assert run.code == 0, run.stderr
    created = Path(run.stdout.strip())
    assert created == directory / "0010_add_agent_labels.sql"
    text = created.read_text()
    assert text.startswith("-- Migration: Add agent labels!\n")
    assert "baseline-version=10" in text
    # Until the SQL is written, the file is (deliberately) invalid.
    assert run_cli(["validate"], None, directory).code == 3
