"""Fan-out over many real databases: one process, --parallel targets at once, shards that
split the list with no overlap, failure isolation, and convergence after a killed shard.
Every test checks each database afterwards (history rows, locks)."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from aim_migrate.config import resolve
from aim_migrate.fanout import identity, shard_of, worst
from psycopg import sql

from tests.conftest import (
    PLANTED_PASSWORD,
    Pushgateway,
    Run,
    finish,
    run_cli,
    start_cli,
    url_for,
    write_migrations,
)
from tests.test_concurrency import wait_for

COUNT = 52
# pg_locks is cluster-wide: count only the locks in the database the query runs in.
OWN_ADVISORY_LOCKS = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
    "(SELECT oid FROM pg_database WHERE datname = current_database())"
)
FILES = {
    "001_a.sql": "CREATE TABLE a (id int PRIMARY KEY);",
    "002_b.sql": "CREATE TABLE b (id int REFERENCES a);",
    "003_c.sql": "INSERT INTO a VALUES (1), (2), (3);",
}


class Fleet:
    def __init__(self, admin_url: str, names: list[str]) -> None:
        self.admin_url = admin_url
        self.names = names
        self.urls = [url_for(admin_url, name) for name in names]

    def write_targets(self, path: Path, urls: list[str] | None = None) -> Path:
        lines = ["# tenants of the test", ""]
        lines += urls if urls is not None else self.urls
        path.write_text("\n".join(lines) + "\n")
        return path

    def each(self, query: str) -> dict[str, object]:
        out = {}
        for name, url in zip(self.names, self.urls, strict=True):
            with psycopg.connect(url, autocommit=True) as conn:
                row = conn.execute(query).fetchone()  # type: ignore[arg-type]
                out[name] = row[0] if row else None
        return out

    def reset(self) -> None:
        for url in self.urls:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")


@pytest.fixture(scope="module")
def fleet(admin_url: str) -> Iterator[Fleet]:
    names = [f"aimfleet_{i:02d}" for i in range(COUNT)]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for name in names:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield Fleet(admin_url, names)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            for name in names:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


@pytest.fixture
def clean(fleet: Fleet) -> Fleet:
    fleet.reset()
    return fleet


def _history_counts(fleet: Fleet) -> dict[str, object]:
    """Applied history rows per database (0 where there is no history table)."""
    out: dict[str, object] = {}
    for name, url in zip(fleet.names, fleet.urls, strict=True):
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
            count = (
                conn.execute(
                    "SELECT count(*) FROM schema_migrations WHERE status = 'applied'"
                ).fetchone()
                if row and row[0]
                else (0,)
            )
            out[name] = count[0] if count else 0
    return out


def _targets_finished(run: Run) -> list[str]:
    return [e["db_name"] for e in run.events if e["event"] == "target.finished"]


def test_fresh_then_no_op_fan_out(clean: Fleet, tmp_path: Path) -> None:
    migrations = write_migrations(tmp_path / "m", FILES)
    targets = clean.write_targets(tmp_path / "targets")
    run = run_cli(["migrate", "--targets", str(targets), "--parallel", "4"], None, migrations)
    assert run.code == 0, run.stderr[-2000:]
    finished = run.event("fanout.finished")
    assert finished["outcomes"] == {"ok": COUNT}
    assert set(_history_counts(clean).values()) == {3}
    assert sorted(_targets_finished(run)) == sorted(clean.names)
    # Every line about a target names it; the run-wide ones do not.
    for event in run.events:
        if event["event"] in ("migration.applied", "db.connected", "target.finished"):
            assert event["db_name"] in clean.names
    assert "db_name" not in run.event("run.finished")
    again = run_cli(["migrate"], None, migrations, AIM_TARGETS_FILE=str(targets))
    assert again.code == 0
    assert all(e["applied"] == 0 for e in again.events if e["event"] == "target.finished")
    assert set(clean.each(OWN_ADVISORY_LOCKS).values()) == {0}
    # Reporting commands fan out too, one report per target.
    status = run_cli(["status", "--json", "--targets", str(targets)], None, migrations)
    assert status.code == 0
    headers = [line for line in status.stdout.splitlines() if line.startswith("# ")]
    assert sorted(h.rsplit("/", 1)[1] for h in headers) == sorted(clean.names)
    assert status.stdout.count('"current_version": 3') == COUNT


def test_a_broken_target_never_stops_the_others(clean: Fleet, tmp_path: Path) -> None:
    broken = clean.urls[7]
    with psycopg.connect(broken, autocommit=True) as conn:
        conn.execute("CREATE TABLE a (id int)")  # 001 will fail there: 'a' already exists
    migrations = write_migrations(tmp_path / "m", FILES)
    targets = clean.write_targets(tmp_path / "targets")
    run = run_cli(["migrate", "--targets", str(targets)], None, migrations)
    assert run.code == 1, run.stderr[-2000:]
    finished = run.event("fanout.finished")
    assert finished["outcomes"] == {"ok": COUNT - 1, "exit_1": 1}
    (failed,) = finished["failed"]
    assert failed["target"].endswith(f"/{clean.names[7]}")
    assert failed["event"] == "migration.failed"
    assert failed["hint"]
    counts = _history_counts(clean)
    assert counts.pop(clean.names[7]) == 0  # rolled back there, nothing recorded
    assert set(counts.values()) == {3}


def test_fail_fast_starts_no_target_after_the_first_failure(clean: Fleet, tmp_path: Path) -> None:
    with psycopg.connect(clean.urls[0], autocommit=True) as conn:
        conn.execute("CREATE TABLE a (id int)")
    migrations = write_migrations(tmp_path / "m", FILES)
    targets = clean.write_targets(tmp_path / "targets")
    run = run_cli(
        ["migrate", "--targets", str(targets), "--parallel", "1", "--fail-fast"], None, migrations
    )
    assert run.code == 1
    finished = run.event("fanout.finished")
    assert finished["outcomes"] == {"exit_1": 1, "not_started": COUNT - 1}
    assert set(_history_counts(clean).values()) == {0}


def test_four_shards_split_the_targets_with_no_overlap(clean: Fleet, tmp_path: Path) -> None:
    migrations = write_migrations(tmp_path / "m", FILES)
    targets = clean.write_targets(tmp_path / "targets")
    shards = [
        start_cli(
            ["migrate"],
            None,
            migrations,
            AIM_TARGETS_FILE=str(targets),
            AIM_SHARD_COUNT="4",
            JOB_COMPLETION_INDEX=str(index),
        )
        for index in range(4)
    ]
    runs = [finish(proc) for proc in shards]
    assert [r.code for r in runs] == [0, 0, 0, 0], [r.stderr[-500:] for r in runs]
    touched = [_targets_finished(r) for r in runs]
    assert all(touched), "every shard gets some of 52 targets"
    flat = [name for names in touched for name in names]
    assert sorted(flat) == sorted(clean.names)  # each database by exactly one shard
    assert set(_history_counts(clean).values()) == {3}
    # Every migration was applied once in all: no shard repeated another's work.
    applied = [e for r in runs for e in r.events if e["event"] == "migration.applied"]
    assert len(applied) == COUNT * len(FILES)


def test_a_killed_shard_converges_on_rerun(clean: Fleet, tmp_path: Path) -> None:
    migrations = write_migrations(
        tmp_path / "m", {**FILES, "004_slow.sql": "SELECT pg_sleep(0.3);"}
    )
    targets = clean.write_targets(tmp_path / "targets")
    env = {"AIM_TARGETS_FILE": str(targets), "AIM_SHARD_COUNT": "4", "JOB_COMPLETION_INDEX": "0"}
    victim = start_cli(["migrate", "--parallel", "2"], None, migrations, **env)
    others = [
        start_cli(["migrate"], None, migrations, **{**env, "JOB_COMPLETION_INDEX": str(index)})
        for index in (1, 2, 3)
    ]
    mine = [n for n, u in zip(clean.names, clean.urls, strict=True) if shard_of(u, 4) == 0]
    assert mine

    def started_some() -> bool:
        counts = _history_counts(clean)
        return any(counts[n] for n in mine)

    wait_for(started_some, "the first shard to migrate some targets")
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=30)
    assert [finish(p).code for p in others] == [0, 0, 0]
    rerun = run_cli(["migrate"], None, migrations, **env)
    assert rerun.code == 0, rerun.stderr[-2000:]
    assert set(_history_counts(clean).values()) == {4}
    assert set(clean.each(OWN_ADVISORY_LOCKS).values()) == {0}


def test_shard_assignment_is_stable_whatever_the_order(fleet: Fleet) -> None:
    first = {identity(u): shard_of(u, 4) for u in fleet.urls}
    second = {identity(u): shard_of(u, 4) for u in reversed(fleet.urls)}
    assert first == second
    assert set(first.values()) == {0, 1, 2, 3}


def test_the_worst_exit_code_wins_in_the_documented_order() -> None:
    assert worst([0, 5, 4]) == 4
    assert worst([0, 3, 1, 2]) == 1
    assert worst([0, 2, 4, 5]) == 2
    assert worst([1, 143]) == 143
    assert worst([]) == 0


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("# nothing here\n\n", "lists no database"),
        ("postgresql://u:Sup3r@ecret@db-a/x\n", "ambiguous"),
        ("host=db-a dbname=x\nhost=db-a dbname=x port=5432\n", "same database as line 1"),
    ],
)
def test_bad_targets_files_are_refused_before_any_change(
    tmp_path: Path, content: str, says: str
) -> None:
    targets = tmp_path / "targets"
    targets.write_text(content)
    run = run_cli(
        ["migrate", "--targets", str(targets)], None, write_migrations(tmp_path / "m", FILES)
    )
    assert run.code == 2, run.stdout + run.stderr
    assert says in run.event("config.invalid")["message"]
    assert "ecret" not in run.stdout + run.stderr
    assert PLANTED_PASSWORD not in run.stdout + run.stderr


def test_commands_on_one_database_refuse_targets(tmp_path: Path, fleet: Fleet) -> None:
    targets = fleet.write_targets(tmp_path / "targets")
    run = run_cli(
        ["repair", "--reason", "x", "--targets", str(targets)],
        None,
        write_migrations(tmp_path / "m", FILES),
    )
    assert run.code == 2
    assert run.event("usage.invalid")["hint"]


def test_a_config_reads_the_fan_out_options() -> None:
    config = resolve(
        {},
        {"AIM_TARGETS_FILE": "/t", "AIM_PARALLEL": "8", "AIM_SHARD": "1/3", "AIM_FAIL_FAST": "1"},
    )
    assert (str(config.targets_file), config.parallel, config.shard, config.fail_fast) == (
        "/t",
        8,
        (1, 3),
        True,
    )
    assert json.dumps(config.shard) == "[1, 3]"


def test_sigterm_cancels_every_running_target_and_exits_143(clean: Fleet, tmp_path: Path) -> None:
    migrations = write_migrations(tmp_path / "m", {**FILES, "004_slow.sql": "SELECT pg_sleep(30);"})
    targets = clean.write_targets(tmp_path / "targets", clean.urls[:8])
    proc = start_cli(["migrate", "--targets", str(targets), "--parallel", "4"], None, migrations)

    def sleeping() -> int:
        with psycopg.connect(clean.admin_url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%%'"
                " AND datname LIKE 'aimfleet_%%' AND state = 'active'"
            ).fetchone()
            return int(row[0]) if row else 0

    wait_for(lambda: sleeping() == 4, "four targets in their slow migration")
    proc.send_signal(signal.SIGTERM)
    run = finish(proc, timeout=60)
    assert run.code == 143, run.stderr[-2000:]
    assert run.event("fanout.finished")["outcomes"]["not_started"] == 4
    wait_for(lambda: sleeping() == 0, "the cancelled statements to end", 15)
    counts = _history_counts(clean)
    started = [n for n in clean.names[:8] if counts[n]]
    assert len(started) == 4
    assert {counts[n] for n in started} == {3}  # 004 rolled back and not recorded
    assert set(clean.each(OWN_ADVISORY_LOCKS).values()) == {0}


def test_each_target_and_the_shard_push_their_own_metrics(
    clean: Fleet, tmp_path: Path, pushgateway: Pushgateway
) -> None:
    migrations = write_migrations(tmp_path / "m", FILES)
    targets = clean.write_targets(tmp_path / "targets", clean.urls[:3])
    run = run_cli(
        ["migrate", "--targets", str(targets), "--shard", "0/1"],
        None,
        migrations,
        AIM_PUSHGATEWAY_URL=pushgateway.url,
        AIM_PUSHGATEWAY_GROUPING="release=fanout",
    )
    assert run.code == 0, run.stderr[-2000:]
    for name in clean.names[:3]:
        metrics = pushgateway.metrics(release="fanout", database=name)
        assert metrics["aim_migrate_last_run_migrations_applied"][0] == 3
        assert metrics["aim_migrate_last_run_success"][0] == 1
    (group,) = [
        g
        for g in pushgateway.groups()
        if g["labels"].get("shard") == "0-of-1" and g["labels"].get("release") == "fanout"
    ]
    (sample,) = group["aim_migrate_fanout_targets"]["metrics"]
    assert (sample["labels"]["outcome"], float(sample["value"])) == ("ok", 3.0)
