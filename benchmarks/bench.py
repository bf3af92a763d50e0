"""Benchmark harness: aim-migrate against peer migration tools and floors.

Run through ``benchmarks/run`` (which installs the peers into ``benchmarks/.cache`` first).
Every timed run is a whole CLI process: start, connect, read files, apply, exit. Each tool
gets a fresh database per repetition, created and dropped here (untimed). A run that exits
non-zero, times out or leaves the wrong schema behind is a failure and is never timed.

See README.md beside this file for the workloads and the caveats.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CACHE = BENCH / ".cache"
WORK = CACHE / "work"
LOGS = CACHE / "logs"
VENV_BIN = ROOT / ".venv" / "bin"
AIM = VENV_BIN / "aim-migrate"
PY = VENV_BIN / "python"
SHIPPED = ROOT / "migrations"
NPM_MODULES = CACHE / "npm" / "node_modules"
YOYO = CACHE / "venv-yoyo" / "bin" / "yoyo"
YOYO_PY = CACHE / "venv-yoyo" / "bin" / "python"
NPM_BIN = NPM_MODULES / ".bin" / "node-pg-migrate"

PG_HOST = os.environ.get("BENCH_PGHOST", "127.0.0.1")
PG_PORT = int(os.environ.get("BENCH_PGPORT", "5432"))
PG_USER = os.environ.get("BENCH_PGUSER", "postgres")
DB_PREFIX = "aimbench_"
RUN_TIMEOUT_S = float(os.environ.get("BENCH_RUN_TIMEOUT", "900"))

WORKLOADS = ("noop", "fresh", "scale", "concurrent", "importtime")
# Tables that hold a tool's own bookkeeping, not the schema under test.
HISTORY_TABLES = ("schema_migrations", "pgmigrations", "yoyo_lock")


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def url(db: str, scheme: str = "postgresql", query: str = "") -> str:
    return f"{scheme}://{PG_USER}@{PG_HOST}:{PG_PORT}/{db}{query}"


def base_env() -> dict[str, str]:
    """The caller's environment without anything that would steer the tools elsewhere."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIM_", "PG")) and k not in {"DATABASE_URL"}
    }


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def capture(argv: list[str], **kw: object) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False, **kw)  # type: ignore[call-overload]
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable ({exc.__class__.__name__})"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else ""


# --------------------------------------------------------------------------------------------
# Databases
# --------------------------------------------------------------------------------------------


class Databases:
    """Creates and drops the per-repetition databases through one admin connection."""

    def __init__(self) -> None:
        self.admin = psycopg.connect(
            host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True
        )
        self.counter = 0

    def cleanup_stale(self) -> None:
        """Drop databases left by an earlier harness process that is no longer alive."""
        rows = self.admin.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (DB_PREFIX + "%",)
        ).fetchall()
        for (name,) in rows:
            match = re.match(rf"{DB_PREFIX}(\d+)_", name)
            if match and pid_alive(int(match.group(1))):
                continue
            self.drop(name)

    def create(self, tag: str) -> str:
        self.counter += 1
        name = f"{DB_PREFIX}{os.getpid()}_{self.counter}_{tag}"[:63]
        self.admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def drop(self, name: str) -> None:
        self.admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )

    def query(self, db: str, text: str) -> object:
        with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=db) as conn:
            row = conn.execute(text).fetchone()  # type: ignore[arg-type]
            return row[0] if row else None


def pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --------------------------------------------------------------------------------------------
# Migration sets, one directory per tool format
# --------------------------------------------------------------------------------------------


@dataclass
class Migration:
    num: int
    stem: str  # file name without .sql, e.g. 001_initial_schema
    name: str  # the part after the number
    up: str
    down: str | None = None


@dataclass
class MigrationSet:
    """A list of migrations and its rendering in every tool's format."""

    key: str
    items: list[Migration]
    source: Path | None = None  # aim-migrate gets a verbatim copy of this directory
    baseline: Path | None = None  # V1 file for aim-migrate's baseline track
    dirs: dict[str, Path] = field(default_factory=dict)

    @property
    def span(self) -> str:
        return f"{self.items[0].stem.split('_')[0]}..{self.items[-1].stem.split('_')[0]}"

    @property
    def baseline_name(self) -> str:
        return self.baseline.name if self.baseline else "no baseline"

    def materialise(self) -> None:
        root = WORK / self.key
        if root.exists():
            shutil.rmtree(root)
        formats = ("aim", "aim-chain", "aim-baseline", "dbmate", "yoyo", "npm")
        for fmt in formats:
            (root / fmt).mkdir(parents=True)
        script = []
        for m in self.items:
            up = m.up if m.up.endswith("\n") else m.up + "\n"
            down = m.down or ""
            (root / "aim-chain" / f"{m.stem}.sql").write_text(up)
            (root / "yoyo" / f"{m.stem}.sql").write_text(up)
            npm_text = "-- Up Migration\n" + up
            if m.down is not None:
                (root / "aim-chain" / f"{m.stem}.down.sql").write_text(down)
                (root / "yoyo" / f"{m.stem}.rollback.sql").write_text(down)
                npm_text += "\n-- Down Migration\n" + down
            (root / "npm" / f"{m.stem}.sql").write_text(npm_text)
            version = 20240101000000 + m.num
            (root / "dbmate" / f"{version}_{m.name}.sql").write_text(
                "-- migrate:up\n" + up + "\n-- migrate:down\n" + down
            )
            script.append(f"BEGIN;\n\\i {root / 'aim-chain' / m.stem}.sql\nCOMMIT;\n")
        if self.source is not None:
            for path in self.source.glob("*.sql"):
                shutil.copy2(path, root / "aim" / path.name)
        else:
            for path in (root / "aim-chain").iterdir():
                shutil.copy2(path, root / "aim" / path.name)
        (root / "psql-chain.sql").write_text("".join(script))
        # aim-migrate's baseline track for the same set: every up file consolidated into one
        # V1 that declares the last version it contains, beside the chain.
        consolidated = "".join(m.up if m.up.endswith("\n") else m.up + "\n" for m in self.items)
        (root / "aim-baseline" / "V1__consolidated.sql").write_text(
            f"-- aim-migrate: baseline-version={self.items[-1].num}\n" + consolidated
        )
        for path in (root / "aim-chain").iterdir():
            shutil.copy2(path, root / "aim-baseline" / path.name)
        self.dirs = {fmt: root / fmt for fmt in formats}
        self.dirs["psql-chain"] = root / "psql-chain.sql"


def shipped_set() -> MigrationSet:
    """The shipped directory: NNN_name.sql (up), NNN_name.down.sql (down), V1__name.sql."""
    found: dict[str, Migration] = {}
    baseline = None
    for path in sorted(SHIPPED.glob("*.sql")):
        match = re.fullmatch(r"((\d+)_(.+?))(\.up|\.down)?\.sql", path.name)
        if match:
            stem, num, name, direction = match.groups()
            m = found.setdefault(stem, Migration(int(num), stem, name, ""))
            if direction == ".down":
                m.down = path.read_text()
            else:
                m.up = path.read_text()
        elif re.fullmatch(r"V\d+__.+\.sql", path.name):
            baseline = path
    items = sorted(found.values(), key=lambda m: m.num)
    return MigrationSet("shipped", items, SHIPPED, baseline)


def synthetic_set(count: int) -> MigrationSet:
    items = [
        Migration(
            i,
            f"{i:04d}_t{i}",
            f"t{i}",
            f"CREATE TABLE t_{i} (id int primary key, v text);\n"
            f"INSERT INTO t_{i} VALUES (1, 'x');\n",
        )
        for i in range(1, count + 1)
    ]
    return MigrationSet(f"synthetic-{count}", items)


# --------------------------------------------------------------------------------------------
# Tools: each turns (database, migration set) into argv + env
# --------------------------------------------------------------------------------------------

Command = tuple[list[str], dict[str, str]]


def dbmate_binary() -> Path | None:
    for candidate in sorted(NPM_MODULES.glob("@dbmate/*/bin/dbmate")):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def aim_cmd(db: str, mdir: Path) -> Command:
    env = base_env() | {"DATABASE_URL": url(db), "AIM_MIGRATIONS_DIR": str(mdir)}
    return [str(AIM), "migrate"], env


def dbmate_cmd(db: str, mdir: Path) -> Command:
    binary = dbmate_binary()
    assert binary is not None
    argv = [
        str(binary),
        "--url",
        url(db, query="?sslmode=disable"),
        "--migrations-dir",
        str(mdir),
        "--no-dump-schema",
        "migrate",
    ]
    return argv, base_env()


def yoyo_cmd(db: str, mdir: Path) -> Command:
    argv = [
        str(YOYO),
        "apply",
        "--batch",
        "--no-config-file",
        "--database",
        url(db, scheme="postgresql+psycopg"),
        str(mdir),
    ]
    return argv, base_env()


def npm_cmd(db: str, mdir: Path, *, wait_for_lock: bool = False) -> Command:
    argv = [str(NPM_BIN), "up", "-m", str(mdir), "--no-single-transaction", "--no-verbose"]
    if wait_for_lock:
        argv += ["--advisory-lock-mode", "wait"]
    return argv, base_env() | {"DATABASE_URL": url(db)}


def psql_cmd(db: str, *args: str) -> Command:
    return ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url(db), *args], base_env()


def peers_available() -> dict[str, str | None]:
    """Peer name -> None when usable, else why not."""
    out: dict[str, str | None] = {}
    out["dbmate"] = None if dbmate_binary() else "dbmate binary not found under .cache/npm"
    out["yoyo"] = None if YOYO.exists() else "yoyo not installed in .cache/venv-yoyo"
    out["node-pg-migrate"] = None if NPM_BIN.exists() else "node-pg-migrate not in .cache/npm"
    if shutil.which("node") is None:
        out["node-pg-migrate"] = "node not on PATH"
    return out


# --------------------------------------------------------------------------------------------
# Execution and bookkeeping
# --------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    ok: bool
    seconds: float
    detail: str = ""


@dataclass
class Phase:
    """One step of a job's repetition: untimed set-up, or a timed measurement."""

    table: str | None  # result table key; None = untimed set-up
    build: Callable[[str], Command]
    verify: Callable[[str], str | None] | None = None
    runners: int = 1  # >1: that many processes at once, wall time until all have exited
    noop: bool = False  # may be repeated on the same database when the job is capped


@dataclass
class Job:
    label: str
    kind: str  # "aim", "peer" or "floor"
    phases: list[Phase]
    reps_allowed: int = 0
    done: int = 0
    capped: bool = False


@dataclass
class Cell:
    label: str
    kind: str
    samples: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    failed_seconds: list[float] = field(default_factory=list)
    capped: bool = False
    per_db: int = 1


def run_processes(argv: list[str], env: dict[str, str], count: int, stem: str) -> Outcome:
    """Start ``count`` copies of a command at once; wall time until the last has exited.

    The wait is a blocking waitpid: ``Popen.wait(timeout=...)`` (and so ``subprocess.run``
    with a timeout) polls with sleeps of up to 50 ms, which would round every sample up to
    the next poll. The time-out is enforced by a timer thread that kills what is left.
    stdout goes to a log file (overwritten by the next run) only so that a failure can be
    explained; it is not read otherwise.
    """
    names = [stem] if count == 1 else [f"{stem}.{i}" for i in range(count)]
    outs = [(LOGS / f"{n}.out").open("wb") for n in names]
    errs = [(LOGS / f"{n}.err").open("wb") for n in names]
    procs: list[subprocess.Popen[bytes]] = []
    expired = threading.Event()

    def kill_all() -> None:
        expired.set()
        for proc in procs:
            if proc.poll() is None:
                proc.kill()

    timer = threading.Timer(RUN_TIMEOUT_S, kill_all)
    timer.daemon = True
    try:
        start = time.perf_counter()
        for out, err in zip(outs, errs, strict=True):
            procs.append(
                subprocess.Popen(
                    argv,
                    env=env,
                    cwd=WORK,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                )
            )
        timer.start()
        codes = [proc.wait() for proc in procs]
        elapsed = time.perf_counter() - start
    except OSError as exc:  # the command itself is missing or not executable
        return Outcome(False, 0.0, f"cannot start {argv[0]}: {exc}")
    finally:
        timer.cancel()
        for proc in procs:  # only if something above raised
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for f in (*outs, *errs):
            f.close()
    if expired.is_set():
        return Outcome(False, elapsed, f"timed out after {RUN_TIMEOUT_S:.0f} s")
    bad = [(n, c) for n, c in zip(names, codes, strict=True) if c != 0]
    if not bad:
        return Outcome(True, elapsed)
    why = failure_reason(bad[0][0])
    if count == 1:
        return Outcome(False, elapsed, f"exit {bad[0][1]}: {why}")
    exits = sorted({c for _, c in bad})
    return Outcome(False, elapsed, f"{len(bad)}/{count} runners failed (exit {exits}): {why}")


# Most telling first: a structured error log line, an "error: ..." line, anything error-ish.
ERROR_PATTERNS = (r'"level": "error"', r"(?i)(^|\s)error:", r"(?i)error|fail|fatal")


def failure_reason(name: str) -> str:
    """The last line that looks like an error: stderr first, then stdout (aim-migrate's log)."""
    for suffix in (".err", ".out"):
        try:
            text = (LOGS / f"{name}{suffix}").read_text(errors="replace")
        except OSError:
            continue
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        for pattern in ERROR_PATTERNS:
            hits = [ln for ln in lines if re.search(pattern, ln)]
            if hits:
                return hits[-1][:400]
        if lines and suffix == ".err":
            return lines[-1][:400]
    return "(no output)"


def run_once(argv: list[str], env: dict[str, str], stem: str) -> Outcome:
    return run_processes(argv, env, 1, stem)


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.dbs = Databases()
        self.cells: dict[str, dict[str, Cell]] = {}
        self.notes: dict[str, list[str]] = {}
        self.titles: dict[str, str] = {}
        self.expected_tables = 0
        self.peers = peers_available()
        self.source_at_start = source_hash()

    # -- verification -----------------------------------------------------------------------

    def count_schema_tables(self, db: str) -> int:
        text = (
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', "
            "'information_schema') AND tablename NOT LIKE '\\_yoyo\\_%' AND tablename NOT IN ("
            + ", ".join(f"'{t}'" for t in HISTORY_TABLES)
            + ")"
        )
        return int(self.dbs.query(db, text))  # type: ignore[call-overload]

    def verify_shipped(self, db: str) -> str | None:
        got = self.count_schema_tables(db)
        if got != self.expected_tables:
            return f"verification: {got} tables, expected {self.expected_tables}"
        return None

    def verify_synthetic(self, count: int) -> Callable[[str], str | None]:
        def check(db: str) -> str | None:
            got = int(
                self.dbs.query(  # type: ignore[call-overload]
                    db,
                    "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename ~ '^t_[0-9]+$'",
                )
            )
            return None if got == count else f"verification: {got} tables, expected {count}"

        return check

    def reference_schema(self, mset: MigrationSet) -> None:
        """Count the shipped baseline's tables once (psql -1 -f V1) to verify every tool."""
        assert mset.baseline is not None
        db = self.dbs.create("reference")
        try:
            argv, env = psql_cmd(db, "-1", "-f", str(mset.baseline))
            out = run_once(argv, env, "reference")
            if not out.ok:
                sys.exit(f"bench: cannot build the reference schema with psql: {out.detail}")
            self.expected_tables = self.count_schema_tables(db)
        finally:
            self.dbs.drop(db)

    # -- the loop ---------------------------------------------------------------------------

    def cell(self, table: str, job: Job) -> Cell:
        return self.cells.setdefault(table, {}).setdefault(job.label, Cell(job.label, job.kind))

    def execute(self, phase: Phase, db: str, stem: str) -> Outcome:
        argv, env = phase.build(db)
        out = run_processes(argv, env, phase.runners, stem)
        if out.ok and phase.verify is not None:
            problem = phase.verify(db)
            if problem:
                out = Outcome(False, out.seconds, problem)
        return out

    def run_jobs(self, jobs: list[Job], *, warmup: int) -> None:
        reps = self.args.reps
        for job in jobs:
            job.reps_allowed = reps
            for phase in job.phases:
                if phase.table:
                    self.cell(phase.table, job)
        for rnd in range(warmup + reps):
            measuring = rnd >= warmup
            for job in jobs:
                if measuring and job.done >= job.reps_allowed:
                    continue
                self.run_rep(job, measuring)
            if not measuring:
                continue
            sys.stdout.write(".")
            sys.stdout.flush()
        print()

    def run_rep(self, job: Job, measuring: bool) -> None:
        """One repetition of a job on its own fresh database."""
        db = self.dbs.create(slug(job.label)[:20])
        slowest = 0.0
        try:
            failed = ""
            for phase in job.phases:
                if failed:
                    if measuring and phase.table:
                        self.cell(phase.table, job).failures.append(f"not run: {failed}")
                    continue
                repeat = 1
                if phase.noop and job.capped:
                    repeat = math.ceil(self.args.reps / self.args.capped_reps)
                for _ in range(repeat):
                    out = self.execute(phase, db, slug(f"{phase.table or 'setup'}-{job.label}"))
                    if phase.table and out.ok:
                        slowest = max(slowest, out.seconds)
                    if measuring and phase.table:
                        self.record(self.cell(phase.table, job), out, repeat)
                    if not out.ok:
                        failed = f"{phase.table or 'set-up'} failed ({out.detail})"
                        if not measuring:
                            print(f"\n  warm-up of {job.label}: {out.detail}", file=sys.stderr)
                        break
        finally:
            self.dbs.drop(db)
        if measuring:
            job.done += 1
        self.maybe_cap(job, slowest)

    def maybe_cap(self, job: Job, slowest: float) -> None:
        """A job whose timed step took over --cap-seconds runs only --capped-reps times."""
        if slowest > self.args.cap_seconds and not job.capped:
            job.capped = True
            job.reps_allowed = min(job.reps_allowed, self.args.capped_reps)
            for phase in job.phases:
                if phase.table:
                    self.cell(phase.table, job).capped = True

    @staticmethod
    def record(cell: Cell, out: Outcome, per_db: int) -> None:
        if out.ok:
            cell.samples.append(out.seconds)
        else:
            cell.failures.append(out.detail)
            cell.failed_seconds.append(out.seconds)
        cell.per_db = max(cell.per_db, per_db)

    # -- workloads --------------------------------------------------------------------------

    def peer_jobs(
        self,
        mset: MigrationSet,
        verify: Callable[[str], str | None],
        *,
        fresh_table: str | None,
        noop_table: str | None,
        concurrent: int = 1,
    ) -> list[Job]:
        """aim-migrate plus one job per installed peer, for a fresh apply and/or a no-op."""
        aim_dir = mset.dirs["aim"]
        builders: list[tuple[str, str, Callable[[str], Command]]] = [
            ("aim-migrate", "aim", lambda db: aim_cmd(db, aim_dir)),
            ("dbmate", "peer", lambda db: dbmate_cmd(db, mset.dirs["dbmate"])),
            ("yoyo", "peer", lambda db: yoyo_cmd(db, mset.dirs["yoyo"])),
            (
                "node-pg-migrate",
                "peer",
                lambda db: npm_cmd(db, mset.dirs["npm"], wait_for_lock=concurrent > 1),
            ),
        ]
        jobs = []
        for label, kind, build in builders:
            if kind == "peer" and self.peers.get(label):
                continue
            phases = [
                Phase(fresh_table, build, verify, runners=concurrent),
            ]
            if noop_table:
                phases.append(Phase(noop_table, build, verify, noop=True))
            jobs.append(Job(label, kind, phases))
        return jobs

    def workload_noop(self, mset: MigrationSet) -> None:
        table = "noop"
        self.titles[table] = (
            f"1. No-op run: the shipped history ({len(mset.items)} migrations) already applied"
        )
        jobs = self.peer_jobs(mset, self.verify_shipped, fresh_table=None, noop_table=table)
        jobs += self.floor_noop_jobs(table, mset)
        self.run_jobs(jobs, warmup=self.args.warmup)
        self.notes[table] = [
            "Each repetition: fresh database, the migrations applied once (untimed), then one "
            "timed run of the tool's apply command that finds nothing to do.",
            f"aim-migrate gets a copy of the shipped directory ({mset.baseline_name} + "
            f"{mset.span}), so its history is the baseline track's; the peers get {mset.span} "
            "converted to their formats (down migrations included where the shipped set has "
            "them: dbmate's `migrate:down` section, yoyo's `.rollback.sql`, node-pg-migrate's "
            "`Down Migration` section).",
            "Floors: interpreter start + `import psycopg` (project venv), the same plus one "
            "connection and `SELECT 1` ('Python floor for our stack'), and "
            "`psql -X -c 'SELECT 1'`; each on a database where psql applied V1 first (untimed), "
            "so no floor pays for the first connection to a new database.",
        ]

    def floor_noop_jobs(self, table: str, mset: MigrationSet) -> list[Job]:
        """Floors for a no-op, each timed on a database that already holds the schema."""
        assert mset.baseline is not None
        v1 = str(mset.baseline)
        setup = Phase(None, lambda db: psql_cmd(db, "-1", "-f", v1), self.verify_shipped)

        def import_only(_db: str) -> Command:
            return [str(PY), "-c", "import psycopg"], base_env()

        def connect(db: str) -> Command:
            code = (
                f"import psycopg; c=psycopg.connect({url(db)!r}); "
                "c.execute('select 1').fetchone(); c.close()"
            )
            return [str(PY), "-c", code], base_env()

        def psql_select(db: str) -> Command:
            return psql_cmd(db, "-c", "SELECT 1")

        return [
            Job("floor: python -c 'import psycopg'", "floor", [setup, Phase(table, import_only)]),
            Job(
                "floor: Python floor for our stack (connect + SELECT 1)",
                "floor",
                [setup, Phase(table, connect)],
            ),
            Job("floor: psql -c 'SELECT 1'", "floor", [setup, Phase(table, psql_select)]),
        ]

    def workload_fresh(self, mset: MigrationSet) -> None:
        table = "fresh"
        n = len(mset.items)
        self.titles[table] = f"2. Fresh deploy of the shipped set ({n} migrations)"
        jobs = self.peer_jobs(mset, self.verify_shipped, fresh_table=table, noop_table=None)
        chain_dir = mset.dirs["aim-chain"]
        jobs.insert(
            1,
            Job(
                f"aim-migrate (chain: {mset.span}, no baseline file)",
                "aim",
                [Phase(table, lambda db: aim_cmd(db, chain_dir), self.verify_shipped)],
            ),
        )
        assert mset.baseline is not None
        v1 = str(mset.baseline)
        script = str(mset.dirs["psql-chain"])
        jobs += [
            Job(
                f"floor: psql -1 -f {mset.baseline.name}",
                "floor",
                [Phase(table, lambda db: psql_cmd(db, "-1", "-f", v1), self.verify_shipped)],
            ),
            Job(
                f"floor: psql, {n} files (1 process, 1 txn/file)",
                "floor",
                [Phase(table, lambda db: psql_cmd(db, "-f", script), self.verify_shipped)],
            ),
        ]
        self.run_jobs(jobs, warmup=self.args.warmup)
        self.notes[table] = [
            "Timed: one run of the apply command on an empty, freshly created database.",
            f"aim-migrate (first row) takes its baseline track: {mset.baseline_name} in one "
            f"transaction, recording the versions it contains. The chain row gives aim-migrate "
            f"only {mset.span} (no baseline file), like the peers, each file in its own "
            "transaction.",
            f"Peers apply {mset.span} one by one, each file in its own transaction (dbmate and "
            "yoyo by default; node-pg-migrate with --no-single-transaction).",
            "psql floors: `psql -X -q -v ON_ERROR_STOP=1 -1 -f V1__...sql`; and ONE psql process "
            "running a script of `BEGIN; \\i NNN_....sql COMMIT;` for each of the files "
            "(no history table is written by either).",
            f"Every run is checked afterwards: the database must hold the "
            f"{self.expected_tables} tables of the shipped schema.",
        ]

    def workload_scale(self, size: int) -> None:
        mset = synthetic_set(size)
        mset.materialise()
        fresh, noop = f"scale-{size}-fresh", f"scale-{size}-noop"
        self.titles[fresh] = f"3a. Scale: fresh apply of {size:,} small synthetic migrations"
        self.titles[noop] = f"3b. Scale: no-op with {size:,} synthetic migrations applied"
        verify = self.verify_synthetic(size)
        jobs = self.peer_jobs(mset, verify, fresh_table=fresh, noop_table=noop)
        baseline_dir = mset.dirs["aim-baseline"]
        jobs.insert(
            1,
            Job(
                f"aim-migrate (baseline track: one V1 consolidating all {size:,})",
                "aim",
                [
                    Phase(fresh, lambda db: aim_cmd(db, baseline_dir), verify),
                    Phase(noop, lambda db: aim_cmd(db, baseline_dir), verify, noop=True),
                ],
            ),
        )
        script = str(mset.dirs["psql-chain"])
        jobs.append(
            Job(
                f"floor: psql, {size:,} files (1 process, 1 txn/file)",
                "floor",
                [Phase(fresh, lambda db: psql_cmd(db, "-f", script), verify)],
            )
        )
        self.run_jobs(jobs, warmup=self.args.warmup if size <= 1000 else 0)
        self.notes[fresh] = [
            "Each migration: `CREATE TABLE t_N (id int primary key, v text); INSERT INTO t_N "
            "VALUES (1, 'x');`, each file in its own transaction; no baseline file, so "
            "aim-migrate runs its incremental chain.",
            "The baseline-track row gives aim-migrate the same files plus a V1 that consolidates "
            "all of them (declaring the last version): what a fresh environment gets in "
            "production, applied in one transaction.",
            f"Checked afterwards: exactly {size:,} tables t_N exist.",
        ]
        self.notes[noop] = [
            "Timed: the apply command run again on the database the fresh apply of the same "
            "repetition left behind (nothing pending).",
        ]
        if size > 1000:
            self.notes[fresh].append("No warm-up repetition at this size.")

    def workload_concurrent(self, mset: MigrationSet) -> None:
        table = "concurrent"
        runners = self.args.runners
        self.titles[table] = f"4. {runners} runners at once on a fresh database (shipped set)"
        jobs = self.peer_jobs(
            mset, self.verify_shipped, fresh_table=table, noop_table=None, concurrent=runners
        )
        self.run_jobs(jobs, warmup=self.args.warmup)
        self.notes[table] = [
            f"Timed: wall time from starting {runners} processes (as fast as Popen allows) until "
            f"all have exited. A repetition counts only if all {runners} exit 0 and the schema "
            "is complete afterwards; otherwise it is a failure (its time is not in "
            "min/median/max).",
            "aim-migrate serialises on a PostgreSQL advisory lock; yoyo on its lock table; "
            "node-pg-migrate on an advisory lock, run with `--advisory-lock-mode wait` (its "
            "default, `fail`, makes the losers exit non-zero by design); dbmate takes no lock.",
        ]

    # -- import time ------------------------------------------------------------------------

    def importtime(self, mset: MigrationSet) -> Path:
        db = self.dbs.create("importtime")
        target = self.args.importtime_out
        try:
            argv, env = aim_cmd(db, mset.dirs["aim"])
            out = run_once(argv, env, "importtime-setup")
            if not out.ok:
                target.write_text(f"set-up failed: {out.detail}\n")
                return target
            cmd = [str(PY), "-X", "importtime", "-m", "aim_migrate", "migrate"]
            for _ in range(2):  # the first warms the page cache; keep the second
                start = time.perf_counter()
                proc = subprocess.run(
                    cmd,
                    env=env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                    check=False,
                    timeout=RUN_TIMEOUT_S,
                )
                elapsed = time.perf_counter() - start
        finally:
            self.dbs.drop(db)
        rows = []
        for line in proc.stderr.splitlines():
            match = re.match(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(.+)$", line)
            if match:
                rows.append((int(match.group(2)), int(match.group(1)), match.group(4).strip()))
        rows.sort(reverse=True)
        lines = [
            "# python -X importtime: one aim-migrate no-op run (shipped set already applied)",
            f"# date: {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}",
            f"# command: DATABASE_URL=... AIM_MIGRATIONS_DIR=... {PY} -X importtime -m aim_migrate migrate",
            f"# exit code: {proc.returncode}; "
            f"wall time under -X importtime: {elapsed * 1000:.0f} ms",
            f"# modules imported: {len(rows)}; sum of self times: "
            f"{sum(r[1] for r in rows) / 1000:.1f} ms",
            "# top 20 by cumulative time (a package's cumulative time includes its children,",
            "# so rows nest and do not add up)",
            "",
            f"{'cumulative ms':>14} {'self ms':>9}  module",
        ]
        lines += [f"{c / 1000:14.1f} {s / 1000:9.1f}  {name}" for c, s, name in rows[:20]]
        target.write_text("\n".join(lines) + "\n")
        return target


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}" if seconds < 10 else f"{seconds * 1000:,.0f}"


def machine_description(bench: Bench) -> list[str]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "unknown"
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = f"{line.split('=', 1)[1].strip(chr(34))} (kernel {platform.release()})"
    except OSError:
        pass
    server = bench.dbs.admin.execute("SELECT version()").fetchone()
    load = os.getloadavg()
    versions = tool_versions(bench)
    lines = [
        f"- CPU: {cpu}, {os.cpu_count()} cores",
        f"- Memory: {mem}",
        f"- OS: {os_name}",
        f"- PostgreSQL server: {server[0] if server else '?'} at {PG_HOST}:{PG_PORT}",
        f"- Python (project venv): {platform.python_version()}, psycopg {psycopg.__version__}",
        f"- Load average at the end of the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
        f"- aim-migrate source: {versions.pop('_source')}",
    ]
    lines += [f"- {name}: {version}" for name, version in versions.items()]
    return lines


def package_version(name: str) -> str:
    try:
        return json.loads((NPM_MODULES / name / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "not installed"


def source_hash() -> str:
    """A fingerprint of the code under test (app/aim_migrate/*.py), to match results to code."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "app" / "aim_migrate").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def tool_versions(bench: Bench) -> dict[str, str]:
    head = git_head()
    now = source_hash()
    source = f"app/aim_migrate/*.py sha256 {now}" + (f", checkout at commit {head[:12]}" if head else "")
    if now != bench.source_at_start:
        source += (
            f". **app/ changed during the run** (sha256 {bench.source_at_start} at the start): "
            "the numbers mix code versions"
        )
    versions = {
        "_source": source,
        "aim-migrate": capture([str(AIM), "--version"]),
    }
    binary = dbmate_binary()
    versions["dbmate"] = capture([str(binary), "--version"]) if binary else "not installed"
    if YOYO_PY.exists():
        code = (
            "import importlib.metadata as m; "
            "print('yoyo-migrations', m.version('yoyo-migrations'), "
            "'/ psycopg', m.version('psycopg'))"
        )
        versions["yoyo"] = capture([str(YOYO_PY), "-c", code])
    else:
        versions["yoyo"] = "not installed"
    versions["node-pg-migrate"] = (
        f"{package_version('node-pg-migrate')} (pg {package_version('pg')}, node "
        f"{capture(['node', '--version'])})"
    )
    versions["psql"] = capture(["psql", "--version"])
    for name, why in bench.peers.items():
        if why:
            versions[name] += f" — skipped: {why}"
    return versions


def git_head() -> str:
    """The checked-out commit, read from .git (no git command is run)."""
    gitdir = ROOT / ".git"
    try:
        head = (gitdir / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head
        ref = head[5:]
        if (gitdir / ref).exists():
            return (gitdir / ref).read_text().strip()
        for line in (gitdir / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split()[0]
    except OSError:
        pass
    return ""


def render_table(bench: Bench, key: str) -> list[str]:
    cells = list(bench.cells.get(key, {}).values())
    peers = [c for c in cells if c.kind == "peer" and c.samples]
    best = min((statistics.median(c.samples) for c in peers), default=None)
    best_name = next(
        (c.label for c in peers if best is not None and statistics.median(c.samples) == best), ""
    )
    out = [
        f"### {bench.titles[key]}",
        "",
        "| tool | ok / runs | min ms | median ms | max ms | median / best peer |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for c in cells:
        runs = len(c.samples) + len(c.failures)
        note = " (capped)" if c.capped else ""
        count = f"{len(c.samples)} / {runs}{note}"
        name = f"**{c.label}**" if c.kind == "aim" else c.label
        if not c.samples:
            out.append(f"| {name} | {count} | FAILED | - | - | - |")
            continue
        med = statistics.median(c.samples)
        ratio = f"{med / best:.2f}x" if best else "-"
        out.append(
            f"| {name} | {count} | {ms(min(c.samples))} | {ms(med)} | {ms(max(c.samples))} "
            f"| {ratio} |"
        )
    out.append("")
    notes = list(bench.notes.get(key, []))
    if best_name:
        notes.insert(0, f"Best peer (ratio 1.00x): {best_name}.")
    for c in cells:
        if c.capped:
            extra = (
                f"; after that its no-op ran {c.per_db}x per database, to keep enough samples"
                if c.per_db > 1
                else ""
            )
            notes.append(
                f"{c.label}: a repetition took over {bench.args.cap_seconds:.0f} s, so its "
                f"repetitions were capped (at {bench.args.capped_reps}, or where they stood when "
                f"the cap was hit){extra}."
            )
        if c.failures:
            distinct = sorted(set(c.failures), key=c.failures.index)
            timing = (
                f" (failed runs took {ms(min(c.failed_seconds))}-{ms(max(c.failed_seconds))} ms)"
                if c.failed_seconds
                else ""
            )
            notes.append(
                f"**{c.label}: {len(c.failures)} failed run(s)**{timing}: "
                + "; ".join(f"`{d}`" for d in distinct[:3])
            )
    out += [f"- {n}" for n in notes]
    out.append("")
    return out


def growth_table(bench: Bench) -> list[str]:
    base = bench.cells.get("noop", {})
    sizes = sorted(
        int(k.split("-")[1]) for k in bench.cells if k.startswith("scale-") and k.endswith("-noop")
    )
    if not base or not sizes:
        return []
    largest = sizes[-1]
    header = "| tool | no-op, 30 (workload 1) | " + " | ".join(f"no-op, {s:,}" for s in sizes)
    out = [
        f"### No-op growth: 30 → {largest:,} applied migrations",
        "",
        header + f" | growth 30 → {largest:,} | per extra migration |",
        "| --- | ---: |" + " ---: |" * len(sizes) + " ---: | ---: |",
    ]
    for label, cell in base.items():
        if cell.kind == "floor":
            continue
        meds = [statistics.median(cell.samples)] if cell.samples else [math.nan]
        for s in sizes:
            c = bench.cells[f"scale-{s}-noop"].get(label)
            meds.append(statistics.median(c.samples) if c and c.samples else math.nan)
        growth = meds[-1] - meds[0]
        per = growth / (largest - 30) * 1e6
        cols = " | ".join("FAILED" if math.isnan(m) else ms(m) for m in meds)
        gcol = "-" if math.isnan(growth) else f"{growth * 1000:+,.0f} ms"
        pcol = "-" if math.isnan(per) else f"{per:,.0f} µs"
        out.append(f"| {label} | {cols} | {gcol} | {pcol} |")
    out += [
        "",
        "- Medians in ms. The 30 column is workload 1 (the real shipped schema; for "
        "aim-migrate the baseline-track history), the others workload 3b (synthetic files), "
        "so the growth also includes that difference (file contents, and for "
        "aim-migrate baseline vs chain history).",
        "",
    ]
    return out


def write_report(bench: Bench, started: float, selected: list[str]) -> Path:
    target: Path = bench.args.out
    now = dt.datetime.now(dt.UTC)
    order = [
        "noop",
        "fresh",
        *sorted(
            (k for k in bench.cells if k.startswith("scale-")),
            key=lambda k: (int(k.split("-")[1]), k.endswith("noop")),
        ),
        "concurrent",
    ]
    lines = [
        "# aim-migrate benchmarks",
        "",
        f"Generated by `{' '.join(['benchmarks/run', *selected])}` on "
        f"{now.strftime('%Y-%m-%d %H:%M UTC')}; the whole run took "
        f"{(time.time() - started) / 60:.1f} min. Repetitions per cell: {bench.args.reps} "
        f"(+{bench.args.warmup} untimed warm-up), unless marked capped.",
        "",
        "Times are wall-clock for whole CLI processes (start, connect, work, exit), in "
        "milliseconds. Compare only numbers from the same run: this is a small shared "
        "machine and the PostgreSQL server is on it too.",
        "",
        "## Machine",
        "",
        *machine_description(bench),
        "",
        "## Results",
        "",
    ]
    for key in order:
        if key in bench.cells:
            lines += render_table(bench, key)
    lines += growth_table(bench)
    if "importtime" in selected:
        lines += [
            "### Import time",
            "",
            f"`python -X importtime` of one aim-migrate no-op run: see "
            f"[{bench.args.importtime_out.name}]({bench.args.importtime_out.name}).",
            "",
        ]
    target.write_text("\n".join(lines))
    raw = {
        key: {
            label: {
                "kind": c.kind,
                "samples_s": c.samples,
                "failures": c.failures,
                "capped": c.capped,
            }
            for label, c in cells.items()
        }
        for key, cells in bench.cells.items()
    }
    (CACHE / "results.json").write_text(json.dumps(raw, indent=1))
    return target


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    env = os.environ
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "workloads",
        nargs="*",
        help=f"any of {', '.join(WORKLOADS)}, or all (default)",
    )
    parser.add_argument(
        "--reps", type=int, default=int(env.get("REPS", "10")), help="per cell [REPS, 10]"
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=int(env.get("WARMUP", "1")),
        help="untimed repetitions first (not for sizes over 1000) [WARMUP, 1]",
    )
    parser.add_argument("--cap-seconds", type=float, default=float(env.get("CAP_SECONDS", "30")))
    parser.add_argument("--capped-reps", type=int, default=int(env.get("CAPPED_REPS", "3")))
    parser.add_argument("--sizes", default=env.get("SIZES", "300,3000"))
    parser.add_argument("--runners", type=int, default=int(env.get("RUNNERS", "8")))
    parser.add_argument("--out", type=Path, default=Path(env["OUT"]) if env.get("OUT") else None)
    args = parser.parse_args(argv)
    chosen = args.workloads or ["all"]
    bad = [w for w in chosen if w not in (*WORKLOADS, "all")]
    if bad:
        parser.error(f"unknown workload(s) {bad}; choose from {', '.join(WORKLOADS)} or all")
    args.selected = list(WORKLOADS) if "all" in chosen else [w for w in WORKLOADS if w in chosen]
    args.full = args.selected == list(WORKLOADS)
    if args.out is None:
        args.out = BENCH / "results.md" if args.full else CACHE / "results-partial.md"
    args.importtime_out = BENCH / "importtime.txt"
    args.size_list = [int(s) for s in re.split(r"[,\s]+", args.sizes.strip()) if s]
    if args.reps < 1:
        parser.error("--reps must be at least 1")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    # A SIGTERM unwinds like an exception, so running tools are killed and databases dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.time()
    for path in (WORK, LOGS):
        path.mkdir(parents=True, exist_ok=True)
    if not AIM.exists():
        sys.exit(f"bench: {AIM} is missing; install the project first (scripts/test does)")
    bench = Bench(args)
    bench.dbs.cleanup_stale()
    for name, why in bench.peers.items():
        if why:
            print(f"bench: skipping {name}: {why}", file=sys.stderr)
    shipped = shipped_set()
    shipped.materialise()
    bench.reference_schema(shipped)
    print(
        f"bench: workloads {' '.join(args.selected)}; {args.reps} reps "
        f"(+{args.warmup} warm-up); shipped schema has {bench.expected_tables} tables"
    )
    steps: list[tuple[str, Callable[[], object]]] = []
    if "noop" in args.selected:
        steps.append(("noop", lambda: bench.workload_noop(shipped)))
    if "fresh" in args.selected:
        steps.append(("fresh", lambda: bench.workload_fresh(shipped)))
    if "scale" in args.selected:
        for size in args.size_list:
            steps.append((f"scale {size}", lambda size=size: bench.workload_scale(size)))
    if "concurrent" in args.selected:
        steps.append(("concurrent", lambda: bench.workload_concurrent(shipped)))
    if "importtime" in args.selected:
        steps.append(("importtime", lambda: print(f"  wrote {bench.importtime(shipped)}")))
    for name, step in steps:
        t0 = time.time()
        print(f"bench: {name} ", end="", flush=True)
        step()
        print(f"bench: {name} done in {time.time() - t0:.0f} s", flush=True)
    report = write_report(bench, started, args.selected if not args.full else [])
    print(f"bench: wrote {report} ({(time.time() - started) / 60:.1f} min)")
    failures = sum(len(c.failures) for cells in bench.cells.values() for c in cells.values())
    if failures:
        print(f"bench: {failures} failed run(s); see the notes in the report", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
