"""`aim-migrate consolidate`: the baseline is generated from the chain, so the two tracks cannot
drift. Every test here runs the real runner and the real pg_dump against real PostgreSQL."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from aim_migrate import source as files
from aim_migrate.consolidate import clean, find_pg_dump
from aim_migrate.errors import ConfigError
from psycopg import sql

from tests.conftest import ROOT, Run, run_cli, url_for, write_migrations
from tests.test_verify import _schema_dump

SHIPPED = ROOT / "migrations"
BASELINE = "V1__consolidated_schema.sql"
OWNER = "aimtest_owner"

FEATURES_001 = """\
CREATE TABLE organizations (
    id serial PRIMARY KEY,
    name varchar(100) NOT NULL,
    kind varchar(20) NOT NULL DEFAULT 'x' CHECK (kind IN ('x', 'y'))
);
INSERT INTO organizations (name) VALUES ('first'), ('second');
CREATE TABLE items (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org int REFERENCES organizations,
    score numeric CHECK (score BETWEEN 0 AND 10 AND score <> 5),
    label text
);
INSERT INTO items (org, score, label) VALUES (1, 3, 'it''s'), (2, 4, E'two\\nlines');
"""
FEATURES_002 = """\
CREATE TABLE item_log (id serial PRIMARY KEY, item_id bigint, note text);
-- A SQL function body is checked when it is created: pg_dump puts it before the tables.
CREATE FUNCTION item_log_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM item_log $$;
CREATE FUNCTION log_item() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO item_log (item_id, note) VALUES (NEW.id, 'SET search_path = nowhere;');
    RETURN NEW;
END $$;
CREATE TRIGGER trg_items_log AFTER INSERT ON items
    FOR EACH ROW WHEN (NEW.score > 1) EXECUTE FUNCTION log_item();
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM organizations WHERE name = 'third') THEN
        INSERT INTO organizations (name, kind) VALUES ('third', 'y');
    END IF;
END $$;
INSERT INTO items (org, score, label) VALUES (3, 7, 'from the DO block''s org');
CREATE VIEW big_items AS
    SELECT i.id, i.label, o.name FROM items i JOIN organizations o ON o.id = i.org
     WHERE i.score BETWEEN 5 AND 10 AND o.kind IN ('x', 'y');
CREATE RULE items_never_deleted AS ON DELETE TO items DO INSTEAD NOTHING;
CREATE MATERIALIZED VIEW org_item_counts AS SELECT org, count(*) AS n FROM items GROUP BY org;
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
ALTER TABLE organizations ADD COLUMN mood mood, ADD COLUMN rank positive;
COMMENT ON TABLE items IS 'the items, (ARRAY[''a''::character varying])::text[] stays as is';
COMMENT ON COLUMN items.label IS 'what it''s called';
CREATE FUNCTION is_ab(x varchar) RETURNS boolean LANGUAGE sql
    BEGIN ATOMIC SELECT x IN ('a', 'b'); END;
UPDATE organizations SET name = 'first!' WHERE id = 1;
"""


def consolidate(directory: Path, dev_url: str | None, *args: str, **env: str) -> Run:
    """`aim-migrate consolidate`; without `dev_url` on an embedded server, as CI runs it."""
    if dev_url is not None:
        env["AIM_DEV_DATABASE_URL"] = dev_url
    return run_cli(["consolidate", *args], None, directory, timeout=300, **env)


def chain_only(directory: Path, tmp_path: Path) -> Path:
    """The same migrations without the baseline: a database built by the chain."""
    chain = tmp_path / "chain"
    chain.mkdir()
    for f in directory.glob("0*.sql"):
        shutil.copy(f, chain / f.name)
    return chain


@contextmanager
def scratch(admin_url: str, *, owner: str | None = None) -> Iterator[str]:
    """A new database (owned by `owner`, a role that is not a superuser, if given)."""
    name = f"aimtest_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if (
            owner
            and not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (owner,)).fetchone()
        ):
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER").format(sql.Identifier(owner)))
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if owner:
            statement += sql.SQL(" OWNER {}").format(sql.Identifier(owner))
        conn.execute(statement)
    try:
        yield url_for(admin_url, name, **({"user": owner} if owner else {}))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def rows(url: str, *tables: str) -> dict[str, list[tuple[object, ...]]]:
    with psycopg.connect(url) as conn:
        return {
            t: conn.execute(
                sql.SQL("SELECT * FROM {} ORDER BY 1").format(sql.Identifier(t))
            ).fetchall()
            for t in tables
        }


def assert_tracks_agree(
    admin_url: str, directory: Path, tmp_path: Path, tables: tuple[str, ...], **env: str
) -> None:
    """A fresh database via the baseline (applied by a non-superuser owner) and one built by
    the chain: the same pg_dump --schema-only, the same rows."""
    with scratch(admin_url, owner=OWNER) as by_baseline, scratch(admin_url) as by_chain:
        run = run_cli(["migrate"], by_baseline, directory, **env)
        assert run.code == 0, run.stdout + run.stderr
        assert run.event("db.detected")["track"] == "baseline"
        run = run_cli(["migrate"], by_chain, chain_only(directory, tmp_path), **env)
        assert run.code == 0, run.stdout + run.stderr
        assert run.event("db.detected")["track"] == "chain"
        assert _schema_dump(by_baseline) == _schema_dump(by_chain)
        assert rows(by_baseline, *tables) == rows(by_chain, *tables)


def assert_clean_baseline(path: Path, version: int) -> str:
    """What the runner needs of a baseline, and nothing that would leak or need a superuser."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith(f"-- aim-migrate: baseline-version={version}\n--\n-- GENERATED FILE")
    loaded = files.load(path.parent)
    assert loaded.baseline is not None
    assert loaded.baseline.version == version
    statements = files.statements(loaded.baseline.file, transactional=True)
    assert not [s for s in statements if s.changes_session]
    for line in text.splitlines():
        assert not line.startswith(("SET ", "\\", "COPY ", "GRANT ", "REVOKE ")) or line.startswith(
            "SET LOCAL "
        ), line
    for forbidden in (
        "set_config(",
        "Dumped from",
        "Dumped by",
        "OWNER TO",
        "COMMENT ON EXTENSION",
        "CREATE SCHEMA",
        "SESSION AUTHORIZATION",
        "schema_migrations (",
    ):
        assert forbidden not in text, forbidden
    return text


def test_shipped_baseline_is_what_the_chain_generates() -> None:
    """On the embedded server (PostgreSQL 16), as in CI: the shipped file is byte for byte what
    `consolidate` writes, so it cannot drift from 001..030."""
    run = consolidate(SHIPPED, None, "--check")
    assert run.code == 0, run.stdout + run.stderr
    assert run.stdout.startswith("up to date: V1__consolidated_schema.sql")
    assert_clean_baseline(SHIPPED / BASELINE, 30)


@pytest.mark.slow
def test_one_more_migration_on_the_shipped_set(tmp_path: Path, admin_url: str) -> None:
    directory = tmp_path / "m"
    directory.mkdir()
    for f in SHIPPED.glob("*.sql"):
        shutil.copy(f, directory / f.name)
    write_migrations(
        directory,
        {
            "031_agent_labels.sql": """\
CREATE TABLE agent_labels (
    id         INTEGER      NOT NULL,
    agent_id   UUID         NOT NULL,
    label      VARCHAR(64)  NOT NULL,
    kind       VARCHAR(16)  NOT NULL DEFAULT 'user',
    CONSTRAINT pk_agent_labels PRIMARY KEY (id),
    CONSTRAINT chk_agent_labels_kind CHECK (kind IN ('user', 'system')),
    CONSTRAINT fk_agent_labels_agent FOREIGN KEY (agent_id) REFERENCES agents (id) ON DELETE CASCADE
);
CREATE INDEX idx_agent_labels_agent_id ON agent_labels (agent_id);
ALTER TABLE agents ADD COLUMN label_count INTEGER NOT NULL DEFAULT 0;
INSERT INTO system_config (id, key, value, description, is_secret, created_at, updated_at)
VALUES ('00000000-0000-4000-a000-000000000131', 'labels.max_per_agent', '20', 'Labels per agent',
        FALSE, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z');
""",
        },
    )
    baseline = directory / BASELINE
    before = baseline.read_bytes()

    check = consolidate(directory, None, "--check")
    assert check.code == 3, check.stdout + check.stderr
    drift = check.event("consolidate.drift")
    assert {"table public.agent_labels", "index public.idx_agent_labels_agent_id"} <= set(
        drift["added"]
    )
    assert {"table public.agents", "rows public.system_config"} <= set(drift["changed"])
    assert drift["removed"] == []
    assert (drift["declared_version"], drift["baseline_version"]) == (30, 31)
    assert "added    table public.agent_labels" in check.stdout
    assert "baseline-version 30 -> 31" in check.stdout
    assert baseline.read_bytes() == before  # --check changes nothing

    run = consolidate(directory, None)
    assert run.code == 0, run.stdout + run.stderr
    first = baseline.read_bytes()
    assert_clean_baseline(baseline, 31)
    assert "CREATE TABLE public.agent_labels" in first.decode()

    again = consolidate(directory, None)
    assert again.code == 0, again.stdout + again.stderr
    assert again.event("run.finished")["written"] is False
    assert baseline.read_bytes() == first  # byte-identical
    assert consolidate(directory, None, "--check").code == 0

    verified = run_cli(["verify"], None, directory, AIM_DEV_DATABASE_URL=admin_url)
    assert verified.code == 0, verified.stdout + verified.stderr
    assert_tracks_agree(admin_url, directory, tmp_path, ("agent_labels", "system_config", "users"))


def test_without_a_baseline_it_creates_one(tmp_path: Path, admin_url: str) -> None:
    """DO blocks, triggers, views, rules, SQL and BEGIN ATOMIC functions, identity and serial
    columns, enums, domains, a materialized view, comments, and rows the chain inserted."""
    directory = write_migrations(
        tmp_path / "m", {"001_base.sql": FEATURES_001, "002_logic.sql": FEATURES_002}
    )
    run = consolidate(directory, admin_url)
    assert run.code == 0, run.stdout + run.stderr
    assert run.stdout.startswith(f"created {directory / BASELINE}")
    text = assert_clean_baseline(directory / BASELINE, 2)
    assert "--   001_base .. 002_logic (2 files)\n" in text
    assert "SET LOCAL check_function_bodies = false;" in text
    # Routine bodies and strings are kept as written.
    assert (
        "INSERT INTO item_log (item_id, note) VALUES (NEW.id, 'SET search_path = nowhere;');"
        in text
    )
    assert "IS 'the items, (ARRAY[''a''::character varying])::text[] stays as is';" in text
    assert "'from the DO block''s org'" in text
    first = (directory / BASELINE).read_bytes()

    again = consolidate(directory, admin_url)
    assert again.code == 0, again.stdout + again.stderr
    assert again.stdout.startswith("up to date")
    assert (directory / BASELINE).read_bytes() == first
    assert consolidate(directory, admin_url, "--check").code == 0

    verified = run_cli(["verify"], None, directory, AIM_DEV_DATABASE_URL=admin_url)
    assert verified.code == 0, verified.stdout + verified.stderr
    assert_tracks_agree(admin_url, directory, tmp_path, ("organizations", "items", "item_log"))


def test_check_names_what_changed_and_changes_nothing(tmp_path: Path, admin_url: str) -> None:
    directory = write_migrations(
        tmp_path / "m",
        {
            "001_a.sql": "CREATE TABLE a (id int PRIMARY KEY);\nCREATE TABLE c (id int);\n",
        },
    )
    assert consolidate(directory, admin_url).code == 0
    baseline = directory / BASELINE
    before = baseline.read_bytes()
    write_migrations(
        directory,
        {
            "002_b.sql": "CREATE TABLE b (id int PRIMARY KEY);\nINSERT INTO b VALUES (7);\n"
            "ALTER TABLE a ADD COLUMN extra text;\nDROP TABLE c;\n"
        },
    )
    check = consolidate(directory, admin_url, "--check")
    assert check.code == 3, check.stdout + check.stderr
    drift = check.event("consolidate.drift")
    assert drift["added"] == ["constraint public.b b_pkey", "rows public.b", "table public.b"]
    assert drift["removed"] == ["rows public.c", "table public.c"]
    assert drift["changed"] == ["table public.a"]
    assert "3 added (" in drift["message"]
    assert "2 removed (" in drift["message"]
    assert check.stdout.startswith("STALE: V1__consolidated_schema.sql")
    assert baseline.read_bytes() == before

    assert consolidate(directory, admin_url).code == 0
    assert baseline.read_text().startswith("-- aim-migrate: baseline-version=2\n")
    assert "INSERT INTO public.b (id) VALUES (7);" in baseline.read_text()
    assert consolidate(directory, admin_url, "--check").code == 0


def test_check_without_a_baseline_exits_3(tmp_path: Path, admin_url: str) -> None:
    directory = write_migrations(tmp_path / "m", {"001_a.sql": "CREATE TABLE a (id int);"})
    check = consolidate(directory, admin_url, "--check")
    assert check.code == 3
    assert check.stdout.startswith("MISSING: there is no baseline")
    assert not (directory / BASELINE).exists()


@pytest.mark.parametrize("extension", ["pg_trgm", "citext"])
def test_chain_with_an_extension(tmp_path: Path, admin_url: str, extension: str) -> None:
    """An extension the database owner may create (a trusted one) works on both tracks."""
    with psycopg.connect(admin_url) as conn:
        available = conn.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = %s", (extension,)
        ).fetchone()
    if available is None:
        pytest.skip(f"{extension} is not available on the test server")
    use = {
        "pg_trgm": "CREATE INDEX idx_words_trgm ON words USING gin (word gin_trgm_ops);",
        "citext": "ALTER TABLE words ADD COLUMN folded citext;",
    }[extension]
    directory = write_migrations(
        tmp_path / "m",
        {
            "001_words.sql": "CREATE TABLE words (id int PRIMARY KEY, word text NOT NULL);\n"
            "INSERT INTO words VALUES (1, 'hello');\n",
            "002_ext.sql": f"CREATE EXTENSION IF NOT EXISTS {extension};\n{use}\n",
        },
    )
    run = consolidate(directory, admin_url)
    assert run.code == 0, run.stdout + run.stderr
    text = assert_clean_baseline(directory / BASELINE, 2)
    assert f"CREATE EXTENSION IF NOT EXISTS {extension} WITH SCHEMA public;" in text
    verified = run_cli(["verify"], None, directory, AIM_DEV_DATABASE_URL=admin_url)
    assert verified.code == 0, verified.stdout + verified.stderr
    assert_tracks_agree(admin_url, directory, tmp_path, ("words",))


def test_custom_schema(tmp_path: Path, admin_url: str) -> None:
    """The runner creates the target schema itself: the baseline must not create it again."""
    directory = write_migrations(tmp_path / "m", {"001_base.sql": FEATURES_001})
    run = consolidate(directory, admin_url, AIM_SCHEMA="app")
    assert run.code == 0, run.stdout + run.stderr
    text = assert_clean_baseline(directory / BASELINE, 1)
    assert "CREATE TABLE app.items" in text
    assert "the history table app.schema_migrations." in text
    verified = run_cli(
        ["verify"], None, directory, AIM_DEV_DATABASE_URL=admin_url, AIM_SCHEMA="app"
    )
    assert verified.code == 0, verified.stdout + verified.stderr


def test_a_dump_that_builds_something_else_is_never_written(tmp_path: Path, admin_url: str) -> None:
    """pg_dump prints `varchar = ANY (ARRAY[column, ...])` as a cast that PostgreSQL reads
    back differently; consolidate finds out by building the file, and refuses."""
    directory = write_migrations(
        tmp_path / "m",
        {
            "001_pairs.sql": "CREATE TABLE pairs (a varchar(10), b varchar(10), "
            "CONSTRAINT chk_pairs CHECK (a = ANY (ARRAY[b, 'z'])));\n"
        },
    )
    run = consolidate(directory, admin_url)
    assert run.code == 3
    assert run.event("consolidate.round_trip")["objects"] == ["table public.pairs"]
    assert not (directory / BASELINE).exists()
    with psycopg.connect(admin_url) as conn:
        leftovers = conn.execute(
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'aim_consolidate_%'"
        ).fetchone()
    assert leftovers == (0,)


def test_a_failing_migration_fails_consolidate(tmp_path: Path, admin_url: str) -> None:
    directory = write_migrations(tmp_path / "m", {"001_bad.sql": "CREATE TABLE t (id nosuchtype);"})
    run = consolidate(directory, admin_url)
    assert run.code == 1
    assert run.event("migration.failed")["migration"] == "001_bad"
    assert not (directory / BASELINE).exists()


def test_without_createdb_it_refuses_before_creating_anything(
    tmp_path: Path, admin_url: str
) -> None:
    role = "aimtest_no_createdb"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOCREATEDB").format(sql.Identifier(role)))
    directory = write_migrations(tmp_path / "m", {"001_a.sql": "CREATE TABLE a (id int);"})
    run = consolidate(directory, url_for(admin_url, "postgres", user=role))
    assert run.code == 2
    assert run.event("consolidate.privilege_missing")["role"] == role


def test_nothing_to_consolidate(tmp_path: Path) -> None:
    directory = tmp_path / "empty"
    directory.mkdir()
    run = consolidate(directory, None)
    assert run.code == 3
    assert run.event("consolidate.nothing")


def test_new_says_what_comes_next(tmp_path: Path) -> None:
    directory = write_migrations(tmp_path / "m", {"001_a.sql": "CREATE TABLE a ();"})
    run = run_cli(["new", "add b"], None, directory)
    assert run.code == 0, run.stderr
    assert "'aim-migrate consolidate'" in Path(run.stdout.strip()).read_text()


def test_an_older_pg_dump_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        find_pg_dump(99)
    assert caught.value.event == "consolidate.pg_dump_missing"
    assert "pg_dump 99 or newer" in caught.value.message


# --- the clean-up, on pg_dump's text ---------------------------------------------------------

DUMP_HEAD = """\
--
-- PostgreSQL database dump
--

{restrict}-- Dumped from database version 16.{minor}
-- Dumped by pg_dump version 16.{minor}

SET statement_timeout = 0;
SET lock_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: pg_trgm; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;


--
-- Name: EXTENSION pg_trgm; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION pg_trgm IS 'text similarity measurement';


--
-- Name: f(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.f() RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
SET search_path = x;
PERFORM (ARRAY['a'::character varying])::text[];
END $$;


SET default_table_access_method = heap;

--
-- Name: t; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.t (
    id integer,
    s text
);


--
-- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: -
--

{rows}

--
-- PostgreSQL database dump complete
--

{unrestrict}"""
ROWS = [
    "INSERT INTO public.t (id, s) VALUES (2, 'SET x = 1;');",
    "INSERT INTO public.t (id, s) VALUES (1, 'two\nlines');",
    "INSERT INTO public.t (id, s) VALUES (3, '(ARRAY[''a''::character varying])::text[]');",
]


def test_clean_keeps_pg_dump_text_but_nothing_that_varies_or_leaks() -> None:
    old = DUMP_HEAD.format(restrict="", minor="2", rows="\n".join(ROWS), unrestrict="")
    key = "Zx8" + uuid.uuid4().hex
    new = DUMP_HEAD.format(
        restrict=f"\\restrict {key}\n\n",
        minor="10",
        rows="\n".join(reversed(ROWS)),
        unrestrict=f"\\unrestrict {key}\n\n",
    )
    cleaned = clean(old, "public")
    assert clean(new, "public") == cleaned  # the same bytes from any minor version, row order
    assert cleaned.startswith("--\n-- PostgreSQL database dump\n--\n\nSET LOCAL check_function")
    assert cleaned.endswith("--\n-- PostgreSQL database dump complete\n--\n\n")
    for gone in ("statement_timeout", "set_config", "16.", "COMMENT ON EXTENSION", "restrict"):
        assert gone not in cleaned, gone
    assert "SET LOCAL default_table_access_method = heap;" in cleaned
    # Routine bodies and strings are pg_dump's, byte for byte.
    assert (
        "BEGIN\nSET search_path = x;\nPERFORM (ARRAY['a'::character varying])::text[];" in cleaned
    )
    assert "\n".join(sorted(ROWS)) in cleaned
    assert (
        "CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;\n\n\n--\n-- Name: f()"
        in cleaned
    )
