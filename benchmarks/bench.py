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
import random
import re
import resource
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

WORKLOADS = ("noop", "fresh", "scale", "concurrent", "backfill", "fanout", "importtime")
# Run only when named (`benchmarks/run fanout`, or `all fanout` for a full report with it):
# fanout adds 5 to 6.5 minutes, which would take a full run past 25.
OPT_IN = ("fanout",)
DEFAULT_WORKLOADS = tuple(w for w in WORKLOADS if w not in OPT_IN)
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
    extra: dict[str, float] | None = None  # e.g. the probe's statistics for this run


@dataclass
class Phase:
    """One step of a job's repetition: untimed set-up, or a timed measurement."""

    table: str | None  # result table key; None = untimed set-up
    build: Callable[[str], Command]
    verify: Callable[[str], str | None] | None = None
    runners: int = 1  # >1: that many processes at once, wall time until all have exited
    noop: bool = False  # may be repeated on the same database when the job is capped
    probe: Callable[[str], Probe | CpuMeter] | None = None  # runs beside the timed command
    # reads the command's stdout log after a successful run: (problem or None, extra stats)
    log_check: Callable[[Path], tuple[str | None, dict[str, float]]] | None = None


@dataclass
class Job:
    label: str
    kind: str  # "aim", "peer" or "floor"
    phases: list[Phase]
    reps_allowed: int = 0
    done: int = 0
    capped: bool = False
    database: bool = True  # False: the job brings its own databases (fan-out); none per rep


@dataclass
class Cell:
    label: str
    kind: str
    samples: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    failed_seconds: list[float] = field(default_factory=list)
    extras: list[dict[str, float]] = field(default_factory=list)  # one per sample, if any
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


def plan_nodes(node: dict[str, object]) -> list[str]:
    """The joins and scans of an EXPLAIN (FORMAT JSON) plan, in pre-order."""
    kind = str(node.get("Node Type", "?"))
    join = node.get("Join Type")
    if join and join != "Inner" and kind.endswith("Join"):
        kind = f"{kind[: -len('Join')]}{join} Join"  # Hash Join + Semi: Hash Semi Join
    found = []
    if (
        "Join" in kind
        or kind == "Nested Loop"
        or (kind.endswith("Scan") and "Subquery" not in kind)
    ):
        target = node.get("Index Name") or node.get("Relation Name")
        found.append(f"{kind} ({target})" if target else kind)
    for child in node.get("Plans", []) or []:  # type: ignore[attr-defined]
        found += plan_nodes(child)
    return found


# --------------------------------------------------------------------------------------------
# Backfill: a probe that plays the application while a timed command runs
# --------------------------------------------------------------------------------------------

BACKFILL_ROWS = 1_000_000
PROBE_INTERVAL_S = 0.010
PROBE_MAX_QUERIES = 200_000  # a bound only: at one per 10 ms that is over half an hour
PROBE_SQL = "UPDATE items SET old = old WHERE id = %s"


class Probe:
    """An application's writes beside a timed command: on its own autocommit connection,
    every ~10 ms, ``UPDATE items SET old = old WHERE id = <random id>`` (it needs the row
    lock that a backfill holds on the rows it has changed until it commits), timing each
    statement. Started before the command, stopped when it has exited; bounded in count
    (PROBE_MAX_QUERIES) and time (the run time-out), and each statement by a
    statement_timeout, so a command that dies holding locks cannot hang the harness.
    """

    def __init__(self, db: str, seed: int) -> None:
        self.db = db
        self.rng = random.Random(seed)  # noqa: S311 - which rows to probe, not a secret
        self.latencies: list[float] = []
        self.error = ""
        self.stopping = threading.Event()
        self.conn: psycopg.Connection[tuple[object, ...]] | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.conn = psycopg.connect(
            host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=self.db, autocommit=True
        )
        timeout_ms = int((RUN_TIMEOUT_S + 60) * 1000)
        self.conn.execute("SELECT set_config('statement_timeout', %s, false)", (str(timeout_ms),))
        self.conn.execute(PROBE_SQL, (1,))  # connect and plan before the clock starts
        self.thread = threading.Thread(target=self.loop, name="probe", daemon=True)
        self.thread.start()

    def loop(self) -> None:
        assert self.conn is not None
        deadline = time.perf_counter() + RUN_TIMEOUT_S + 60
        try:
            while not self.stopping.is_set() and len(self.latencies) < PROBE_MAX_QUERIES:
                row = self.rng.randint(1, BACKFILL_ROWS)
                start = time.perf_counter()
                if start > deadline:
                    break
                self.conn.execute(PROBE_SQL, (row,))
                self.latencies.append(time.perf_counter() - start)
                # the next statement ~10 ms after this one started (at once after a long wait)
                self.stopping.wait(max(0.0, start + PROBE_INTERVAL_S - time.perf_counter()))
        except psycopg.Error as exc:
            self.error = f"probe: {exc.__class__.__name__}: {str(exc).strip()[:200]}"

    def stop(self) -> dict[str, float]:
        """Stop after the statement in flight (it may still be waiting for a lock the command
        held); return the statistics in milliseconds."""
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(60)
            if self.thread.is_alive() and self.conn is not None:
                self.conn.cancel_safe()
                self.thread.join(10)
        if self.conn is not None and not (self.thread and self.thread.is_alive()):
            self.conn.close()
        lat = sorted(self.latencies)
        if not lat:
            return {"queries": 0}
        p99 = lat[max(0, math.ceil(0.99 * len(lat)) - 1)]
        return {
            "queries": len(lat),
            "max_ms": lat[-1] * 1000,
            "p99_ms": p99 * 1000,
            "median_ms": statistics.median(lat) * 1000,
        }


# --------------------------------------------------------------------------------------------
# Fan-out: CPU use beside a timed command
# --------------------------------------------------------------------------------------------

FANOUT_TARGETS = 100
FANOUT_PARALLEL = (1, 4, 8)
FANOUT_NOOP_GOAL_S = 3.0  # goals, printed next to the numbers, not enforced
FANOUT_SPEEDUP_GOAL = 1.8  # fresh fan-out at --parallel 4 against --parallel 1
CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_stat(pid: int | str) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state, ppid, ...), or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rfind(")") + 2 :].split()


def postmaster_pid(admin: psycopg.Connection[tuple[object, ...]]) -> int | None:
    """The local server's postmaster (the parent of our admin backend), or None when the
    server is not a process this machine's /proc shows (remote, another pid namespace)."""
    row = admin.execute("SELECT pg_backend_pid()").fetchone()
    fields = proc_stat(int(row[0])) if row else None  # type: ignore[call-overload]
    if fields is None:
        return None
    parent = int(fields[1])
    try:
        comm = Path(f"/proc/{parent}/comm").read_text().strip()
    except OSError:
        return None
    return parent if comm in ("postgres", "postmaster") else None


class CpuMeter:
    """CPU time used while a timed command runs, read from /proc before and after (no
    sampling, so it costs nothing during the run):

    - the PostgreSQL server: utime+stime of the postmaster and of its live children, plus the
      postmaster's cutime+cstime, which holds every backend that exited and was reaped in
      between (each target's connection is a backend of its own);
    - the command (aim-migrate): this process's RUSAGE_CHILDREN, which grows only by the
      children waited for in between, that is the timed command;
    - the whole machine: busy jiffies from /proc/stat (everything but idle and iowait), so
      other work on the machine shows.

    Resolution: one clock tick (10 ms) per process read.
    """

    error = ""  # the interface of Probe: a meter cannot fail a run

    def __init__(self, postmaster: int | None) -> None:
        self.postmaster = postmaster
        self.before: tuple[float, float | None, float, float] = (0.0, None, 0.0, 0.0)

    def server_seconds(self) -> float | None:
        if self.postmaster is None:
            return None
        own = proc_stat(self.postmaster)
        if own is None:
            return None
        ticks = sum(int(own[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            fields = proc_stat(entry.name)
            if fields and int(fields[1]) == self.postmaster:
                ticks += sum(int(fields[i]) for i in (11, 12, 13, 14))
        return ticks / CLK_TCK

    @staticmethod
    def machine_busy_seconds() -> float:
        with open("/proc/stat") as fh:
            values = [int(v) for v in fh.readline().split()[1:9]]
        user, nice, system, _idle, _iowait, irq, softirq, steal = values
        return (user + nice + system + irq + softirq + steal) / CLK_TCK

    @staticmethod
    def client_seconds() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def sample(self) -> tuple[float, float | None, float, float]:
        return (
            time.perf_counter(),
            self.server_seconds(),
            self.client_seconds(),
            self.machine_busy_seconds(),
        )

    def start(self) -> None:
        self.before = self.sample()

    def stop(self) -> dict[str, float]:
        after = self.sample()
        wall = after[0] - self.before[0]
        out = {
            "client_cpu_s": after[2] - self.before[2],
            "machine_busy_s": after[3] - self.before[3],
        }
        if after[1] is not None and self.before[1] is not None:
            out["server_cpu_s"] = after[1] - self.before[1]
        if wall > 0:
            out |= {f"{k[: -len('_s')]}_cores": v / wall for k, v in list(out.items())}
        return out


def fanout_log(path: Path, count: int) -> tuple[str | None, dict[str, float]]:
    """Check aim-migrate's JSON log of a fan-out run: a ``fanout.finished`` event over
    ``count`` targets with outcomes exactly {"ok": count}, and ``run.finished`` with exit 0."""
    finished: dict[str, object] | None = None
    run_finished: dict[str, object] | None = None
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError as exc:
        return f"log: cannot read {path.name}: {exc.strerror}", {}
    for line in lines:
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("event") == "fanout.finished":
            finished = record
        elif record.get("event") == "run.finished":
            run_finished = record
    if finished is None:
        return "log: no fanout.finished event in the JSON log", {}
    outcomes = finished.get("outcomes")
    if outcomes != {"ok": count} or finished.get("targets") != count:
        return (
            f"log: fanout.finished over {finished.get('targets')} targets, outcomes "
            f"{json.dumps(outcomes)}, expected {json.dumps({'ok': count})}",
            {},
        )
    if run_finished is not None and run_finished.get("exit_code") != 0:
        return f"log: run.finished exit_code {run_finished.get('exit_code')}", {}
    duration = finished.get("duration_s")
    extra = {"fanout_s": float(duration)} if isinstance(duration, int | float) else {}
    return None, extra


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
        if phase.probe is None:
            out = run_processes(argv, env, phase.runners, stem)
        else:
            probe = phase.probe(db)
            try:
                probe.start()
            except psycopg.Error as exc:
                probe.stop()
                return Outcome(False, 0.0, f"probe did not start: {exc}")
            try:
                out = run_processes(argv, env, phase.runners, stem)
            except BaseException:
                probe.stop()
                raise
            out.extra = probe.stop()
            if out.ok and probe.error:
                out = Outcome(False, out.seconds, probe.error, out.extra)
        if out.ok and phase.log_check is not None:
            problem, extra = phase.log_check(LOGS / f"{stem}.out")
            out.extra = (out.extra or {}) | extra
            if problem:
                out = Outcome(False, out.seconds, problem, out.extra)
        if out.ok and phase.verify is not None:
            problem = phase.verify(db)
            if problem:
                out = Outcome(False, out.seconds, problem, out.extra)
        return out

    def run_jobs(self, jobs: list[Job], *, warmup: int, capped: bool = False) -> None:
        """Round-robin repetitions. ``capped``: a slow workload whose jobs are capped from
        the start (at --capped-reps, or --reps if that is fewer), as if their first
        repetition had taken over --cap-seconds."""
        reps = self.args.reps
        if capped and self.args.capped_reps < reps:
            reps = self.args.capped_reps
        else:
            capped = False
        for job in jobs:
            job.reps_allowed = reps
            job.capped = capped
            for phase in job.phases:
                if phase.table:
                    self.cell(phase.table, job).capped = capped
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
        db = self.dbs.create(slug(job.label)[:20]) if job.database else ""
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
            if db:
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
            if out.extra is not None:
                cell.extras.append(out.extra)
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

    def workload_backfill(self) -> None:
        """A batched backfill of 1,000,000 rows against one plain UPDATE of the same rows,
        with a probe timing an application's row writes meanwhile."""
        table = "backfill"
        self.titles[table] = (
            f"5. Backfill of {BACKFILL_ROWS:,} rows: batched migration vs one UPDATE, "
            "with an application's writes meanwhile"
        )
        root = WORK / "backfill"
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        setup_sql = root / "setup.sql"
        setup_sql.write_text(
            "CREATE TABLE items (id int PRIMARY KEY, old text NOT NULL, new text);\n"
            "INSERT INTO items (id, old) SELECT i, md5(i::text) "
            f"FROM generate_series(1, {BACKFILL_ROWS}) AS i;\n"
            "CREATE INDEX items_todo ON items (id) WHERE new IS NULL;\n"
            "VACUUM ANALYZE items;\n"
            "CHECKPOINT;\n"
        )
        placeholder = "-- creates nothing: 002 is what is measured\nSELECT 1;\n"
        history_dir = root / "aim-history"  # 001 only: applied untimed, so 002 runs alone
        history_dir.mkdir()
        (history_dir / "001_placeholder.sql").write_text(placeholder)
        batch_sizes = (1_000, 10_000)
        batch_dirs: dict[int, Path] = {}
        for size in batch_sizes:
            mdir = root / f"aim-{size}"
            mdir.mkdir()
            (mdir / "001_placeholder.sql").write_text(placeholder)
            (mdir / "002_backfill_items.sql").write_text(
                "-- aim-migrate: batched\n"
                "UPDATE items SET new = upper(old) WHERE id IN (SELECT id FROM items "
                f"WHERE new IS NULL ORDER BY id LIMIT {size});\n"
            )
            batch_dirs[size] = mdir
        single = "UPDATE items SET new = upper(old) WHERE new IS NULL"

        setup = Phase(None, lambda db: psql_cmd(db, "-f", str(setup_sql)))
        history = Phase(None, lambda db: aim_cmd(db, history_dir))

        def probe(db: str) -> Probe:
            return Probe(db, seed=13)  # the same row sequence in every run

        def migrate(mdir: Path) -> Callable[[str], Command]:
            return lambda db: aim_cmd(db, mdir)

        jobs = [
            Job(
                f"aim-migrate batched ({size:,} rows per batch)",
                "aim",
                [
                    history,
                    setup,
                    Phase(
                        table,
                        migrate(batch_dirs[size]),
                        self.verify_backfill,
                        probe=probe,
                    ),
                ],
            )
            for size in batch_sizes
        ]
        jobs.append(
            Job(
                "single UPDATE (psql -c, one transaction)",
                "baseline",
                [
                    setup,
                    Phase(
                        table,
                        lambda db: psql_cmd(db, "-c", single),
                        self.verify_backfill,
                        probe=probe,
                    ),
                ],
            )
        )
        autovacuum = self.dbs.admin.execute("SHOW autovacuum").fetchone()
        plans = self.backfill_plans(setup_sql, batch_dirs)
        self.run_jobs(jobs, warmup=0, capped=True)
        self.notes[table] = [
            f"Each repetition, untimed: a fresh database; `items (id int PRIMARY KEY, old text "
            f"NOT NULL, new text)` with {BACKFILL_ROWS:,} rows (`old = md5(id::text)`, from "
            "`generate_series`); the partial index `items_todo ON items (id) WHERE new IS "
            "NULL`; `VACUUM ANALYZE items`; `CHECKPOINT` (so every timed run starts just after "
            "a checkpoint and pays the same full-page writes). For the aim-migrate rows, first "
            "an aim-migrate run on a directory holding only `001_placeholder.sql` (`SELECT 1`), "
            "so the timed run finds only 002 pending.",
            "Timed: the whole command. aim-migrate: `aim-migrate migrate` with "
            "`002_backfill_items.sql` = `-- aim-migrate: batched` + `UPDATE items SET new = "
            "upper(old) WHERE id IN (SELECT id FROM items WHERE new IS NULL ORDER BY id LIMIT "
            "N)`, which the runner repeats, each batch in its own short transaction, until it "
            f"changes no row ({BACKFILL_ROWS:,} / N batches, and one more that changes "
            "nothing). Single UPDATE: "
            f'`psql -X -c "{single}"`, one transaction.',
            "Probe (the application): its own autocommit connection, opened before the "
            "command starts; every ~10 ms (at once after a long wait) `UPDATE items SET old = "
            "old WHERE id = <random id>`, which needs the row lock a backfill holds on every "
            "row it has changed until its transaction commits. It stops after the statement "
            "in flight when the command has exited. Max wait and p99 are per run, in ms "
            "(nearest rank), then the median over the runs, like the probe-query count.",
            "Checked afterwards (else the run is a failure): "
            f"{BACKFILL_ROWS:,} rows, none with `new IS NULL`, every `new = upper(old)`; and "
            "the probe ran without an error.",
            f"The server's autovacuum is {autovacuum[0] if autovacuum else '?'}: the dead "
            "entries each batch leaves in `items_todo` stay until a vacuum, and the later "
            "batches' `ORDER BY id LIMIT` index scans step over them.",
            "No warm-up repetition (every repetition builds its own table).",
        ]
        if plans:
            self.notes[table].insert(
                2,
                "Plan of one batch on the freshly set-up table (EXPLAIN, in a database of its "
                "own; the statistics do not change during a run, autovacuum aside): "
                + "; ".join(f"{size:,} rows: {plan}" for size, plan in plans.items())
                + ". A sequential scan of `items` is a read of the whole table in every batch.",
            )

    def backfill_plans(self, setup_sql: Path, batch_dirs: dict[int, Path]) -> dict[int, str]:
        """The join and scan nodes of each batch statement's plan, for the notes."""
        db = self.dbs.create("backfill-plans")
        try:
            argv, env = psql_cmd(db, "-f", str(setup_sql))
            if not run_once(argv, env, "setup-backfill-plans").ok:
                return {}
            out = {}
            with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=db) as conn:
                for size, mdir in batch_dirs.items():
                    text = (mdir / "002_backfill_items.sql").read_text().split("\n", 1)[1]
                    row = conn.execute(f"EXPLAIN (FORMAT JSON) {text}").fetchone()
                    out[size] = ", ".join(plan_nodes(row[0][0]["Plan"])) if row else "?"
            return out
        finally:
            self.dbs.drop(db)

    def verify_backfill(self, db: str) -> str | None:
        with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=db) as conn:
            row = conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE new IS NULL), "
                "count(*) FILTER (WHERE new IS DISTINCT FROM upper(old)) FROM items"
            ).fetchone()
        assert row is not None
        total, todo, wrong = row
        if total != BACKFILL_ROWS or todo or wrong:
            return (
                f"verification: {total} rows, {todo} with new IS NULL, "
                f"{wrong} with new <> upper(old)"
            )
        return None

    def workload_fanout(self, mset: MigrationSet) -> None:
        """One aim-migrate process migrating FANOUT_TARGETS databases (--targets FILE
        --parallel K): fresh, and a no-op once all of them are migrated."""
        table = "fanout"
        n = FANOUT_TARGETS
        self.titles[table] = (
            f"6. Fan-out: one aim-migrate process on {n} databases (shipped set), "
            f"--parallel {', '.join(str(k) for k in FANOUT_PARALLEL)}"
        )
        root = WORK / "fanout"
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        dbs: list[str] = []
        try:
            for i in range(1, n + 1):
                dbs.append(self.dbs.create(f"fanout-{i:03d}"))
            targets = root / "targets.txt"
            targets.write_text("".join(url(db) + "\n" for db in dbs))
            reset_sql = root / "reset.sql"
            reset_sql.write_text(
                "".join(
                    f"\\connect {db}\nDROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\nVACUUM;\n"
                    for db in dbs
                )
            )
            self.run_fanout(mset, table, dbs, targets, reset_sql)
        finally:
            for db in dbs:
                self.dbs.drop(db)

    def run_fanout(
        self, mset: MigrationSet, table: str, dbs: list[str], targets: Path, reset_sql: Path
    ) -> None:
        n = len(dbs)
        aim_dir = mset.dirs["aim"]

        def fanout(parallel: int) -> Callable[[str], Command]:
            def build(_db: str) -> Command:
                env = base_env() | {"AIM_MIGRATIONS_DIR": str(aim_dir), "AIM_LOG_FORMAT": "json"}
                argv = [str(AIM), "migrate", "--targets", str(targets), "--parallel", str(parallel)]
                return argv, env

            return build

        def reset(_db: str) -> Command:
            argv, env = psql_cmd("postgres", "-f", str(reset_sql))
            return argv, env | {"PGOPTIONS": "-c client_min_messages=warning"}

        def verify(_db: str) -> str | None:
            wrong = []
            for db in dbs:
                got = self.count_schema_tables(db)
                if got != self.expected_tables:
                    wrong.append(f"{db}: {got}")
            if wrong:
                return (
                    f"verification: {len(wrong)}/{n} databases without the "
                    f"{self.expected_tables} tables (first: {wrong[0]})"
                )
            return None

        def log_check(path: Path) -> tuple[str | None, dict[str, float]]:
            return fanout_log(path, n)

        postmaster = postmaster_pid(self.dbs.admin)

        def meter(_db: str) -> CpuMeter:
            return CpuMeter(postmaster)

        def timed(parallel: int, *, noop: bool = False) -> Phase:
            return Phase(
                table, fanout(parallel), verify, noop=noop, probe=meter, log_check=log_check
            )

        fresh_jobs = [
            Job(
                f"fresh, --parallel {k}",
                "aim",
                [Phase(None, reset), timed(k)],
                database=False,
            )
            for k in FANOUT_PARALLEL
        ]
        # All targets migrated (untimed; after the fresh jobs a no-op itself), then the no-op.
        # Its log's {"ok": n} is the check; the tables are counted after the timed run.
        migrated = Phase(None, fanout(max(FANOUT_PARALLEL)), log_check=log_check)
        noop_jobs = [
            Job(f"no-op, --parallel {k}", "aim", [migrated, timed(k, noop=True)], database=False)
            for k in FANOUT_PARALLEL
        ]
        self.run_jobs(fresh_jobs, warmup=0, capped=True)
        self.run_jobs(noop_jobs, warmup=self.args.warmup)
        autovacuum = self.dbs.admin.execute("SHOW autovacuum").fetchone()
        self.notes[table] = [
            f"Set-up of the workload (untimed): {n} databases created on the server, and a "
            f"targets file listing them, one URL per line; they are dropped at the end, also "
            "when the workload fails. Timed: the whole process, `aim-migrate migrate --targets "
            f"FILE --parallel K` with `AIM_MIGRATIONS_DIR` = a copy of the shipped directory "
            f"({mset.baseline_name} + {mset.span}: every target takes the baseline track) and "
            "`AIM_LOG_FORMAT=json`; targets / s is "
            f"{n} / the median wall time. 'fan-out s' is the `duration_s` of the "
            "`fanout.finished` log event (inside the process, without its start-up).",
            "Fresh rows: before every repetition (untimed), in each of the databases `DROP "
            "SCHEMA public CASCADE; CREATE SCHEMA public; VACUUM;` (one psql process; the "
            f"VACUUM clears the dead catalog rows each round leaves, as the server's autovacuum "
            f"is {autovacuum[0] if autovacuum else '?'}). No warm-up repetition.",
            "No-op rows: the same databases, all migrated: before every repetition (untimed) "
            f"a fan-out at --parallel {max(FANOUT_PARALLEL)} that finds them migrated (or "
            f'migrates what is not; its log must say {{"ok": {n}}}), then the timed one; '
            f"{self.args.warmup} untimed warm-up round(s) first (WARMUP).",
            f"Checked after every run (else it is a failure): exit 0; the JSON log's "
            f'`fanout.finished` event has `outcomes` exactly {{"ok": {n}}} (and `run.finished` '
            f"exit_code 0); each of the {n} databases holds the {self.expected_tables} tables "
            "of the shipped schema.",
        ]
        if postmaster is None:
            self.notes[table].append(
                "Server CPU not measured: the server's processes are not visible in this "
                "machine's /proc."
            )
        else:
            self.notes[table].append(
                "CPU, per run, from /proc before and after (medians over the runs): server = "
                "the postmaster and all its children, exited backends included (the "
                "postmaster's cutime/cstime), so also the backends of any other client of the "
                "server meanwhile; aim-migrate = the timed process (the harness's "
                "RUSAGE_CHILDREN); machine = every core's busy time (/proc/stat), other work on "
                "the machine included. 'cores' = CPU seconds / wall seconds; this machine has "
                f"{os.cpu_count()}."
            )
        self.notes[table].append(
            f"On this {os.cpu_count()}-core machine the database server's CPU is the limit for "
            "fresh fan-out: creating the schema in a database is the server's work (catalog "
            "inserts, WAL, commit) and aim-migrate's share is small, but the server, "
            "aim-migrate and the harness share the same cores. At --parallel 1 about one core "
            "is busy (one target at a time: the server and aim-migrate take turns), so 2 cores "
            f"allow at most about 2x: the {FANOUT_SPEEDUP_GOAL}x goal for --parallel 4 is close "
            "to that ceiling (other work on the machine can decide whether a run meets it), "
            "and --parallel 8 cannot add much to 4 here (on a busy machine it can come out "
            "ahead: 8 busy backends win a larger share of the cores from the other work). A "
            "server with more cores, or targets on several servers, would scale further."
        )

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
    source = f"app/aim_migrate/*.py sha256 {now}" + (
        f", checkout at commit {head[:12]}" if head else ""
    )
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


def render_backfill_table(bench: Bench, key: str) -> list[str]:
    """The backfill table: total time and the probe's waits, medians over the runs."""
    cells = list(bench.cells.get(key, {}).values())
    out = [
        f"### {bench.titles[key]}",
        "",
        "| run | ok / runs | median total s | median probe max wait ms | median probe p99 ms "
        "| probe queries (median) |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    notes = list(bench.notes.get(key, []))
    for c in cells:
        runs = len(c.samples) + len(c.failures)
        count = f"{len(c.samples)} / {runs}" + (" (capped)" if c.capped else "")
        name = f"**{c.label}**" if c.kind == "aim" else c.label
        if not c.samples:
            out.append(f"| {name} | {count} | FAILED | - | - | - |")
        else:

            def med(stat: str, cell: Cell = c) -> float:
                values = [e[stat] for e in cell.extras if stat in e]
                return statistics.median(values) if values else math.nan

            def fmt(value: float) -> str:
                return "-" if math.isnan(value) else f"{value:,.1f}"

            out.append(
                f"| {name} | {count} | {statistics.median(c.samples):,.2f} "
                f"| {fmt(med('max_ms'))} | {fmt(med('p99_ms'))} | {med('queries'):,.0f} |"
            )
        if c.failures:
            distinct = sorted(set(c.failures), key=c.failures.index)
            notes.append(
                f"**{c.label}: {len(c.failures)} failed run(s)**: "
                + "; ".join(f"`{d}`" for d in distinct[:3])
            )
    if any(c.capped for c in cells):
        notes.append(
            f"Capped: this workload is slow, so it runs {bench.args.capped_reps} repetitions "
            f"(CAPPED_REPS) rather than {bench.args.reps} (REPS), or REPS if that is fewer."
        )
    out.append("")
    out += [f"- {n}" for n in notes]
    out.append("")
    return out


def render_fanout_table(bench: Bench, key: str) -> list[str]:
    """The fan-out table: wall time, targets per second, CPU use, and the goals."""
    cells = list(bench.cells.get(key, {}).values())
    out = [
        f"### {bench.titles[key]}",
        "",
        "| run | ok / runs | min s | median s | max s | targets / s | vs --parallel 1 "
        "| fan-out s (log) | server CPU s | server cores | aim-migrate CPU s | machine cores "
        "| goal |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    notes = list(bench.notes.get(key, []))
    medians = {c.label: statistics.median(c.samples) for c in cells if c.samples}

    def med(cell: Cell, stat: str) -> float:
        values = [e[stat] for e in cell.extras if stat in e]
        return statistics.median(values) if values else math.nan

    def fmt(value: float, digits: int = 2) -> str:
        return "-" if math.isnan(value) else f"{value:,.{digits}f}"

    for c in cells:
        runs = len(c.samples) + len(c.failures)
        count = f"{len(c.samples)} / {runs}" + (" (capped)" if c.capped else "")
        kind, _, parallel = c.label.partition(", --parallel ")
        first = medians.get(f"{kind}, --parallel {FANOUT_PARALLEL[0]}")
        goal = "-"
        if kind == "no-op":
            goal = f"< {FANOUT_NOOP_GOAL_S:.0f} s"
        elif parallel == "4":
            goal = f"≥ {FANOUT_SPEEDUP_GOAL}x vs --parallel 1"
        if not c.samples:
            out.append(f"| **{c.label}** | {count} | FAILED |" + " - |" * 9 + f" {goal} |")
        else:
            median = medians[c.label]
            speedup = first / median if first else math.nan
            if kind == "no-op":
                goal += ": met" if median < FANOUT_NOOP_GOAL_S else ": **not met**"
            elif parallel == "4" and not math.isnan(speedup):
                goal += ": met" if speedup >= FANOUT_SPEEDUP_GOAL else ": **not met**"
            out.append(
                f"| **{c.label}** | {count} | {min(c.samples):,.2f} | {median:,.2f} "
                f"| {max(c.samples):,.2f} | {FANOUT_TARGETS / median:,.1f} "
                f"| {fmt(speedup)}x | {fmt(med(c, 'fanout_s'))} | {fmt(med(c, 'server_cpu_s'))} "
                f"| {fmt(med(c, 'server_cpu_cores'))} | {fmt(med(c, 'client_cpu_s'))} "
                f"| {fmt(med(c, 'machine_busy_cores'))} | {goal} |"
            )
        if c.failures:
            distinct = sorted(set(c.failures), key=c.failures.index)
            notes.append(
                f"**{c.label}: {len(c.failures)} failed run(s)**: "
                + "; ".join(f"`{d}`" for d in distinct[:3])
            )
    fresh = [c for c in cells if c.label.startswith("fresh") and c.extras]
    if fresh:
        parts = []
        for c in fresh:
            server, client = med(c, "server_cpu_cores"), med(c, "client_cpu_cores")
            machine, per_target = med(c, "machine_busy_cores"), med(c, "server_cpu_s")
            parts.append(
                f"--parallel {c.label.rpartition(' ')[2]}: server {fmt(server)} cores, "
                f"aim-migrate {fmt(client)}, machine {fmt(machine)} of {os.cpu_count()}; "
                f"server CPU {fmt(per_target / FANOUT_TARGETS * 1000, 0)} ms per target"
            )
        notes.append("In this run, fresh fan-out (medians): " + "; ".join(parts) + ".")
    # What the machine did besides the server and aim-migrate (the harness waits, so: other work)
    other = {
        c.label: med(c, "machine_busy_cores")
        - med(c, "server_cpu_cores")
        - med(c, "client_cpu_cores")
        for c in cells
        if c.extras
    }
    busy = {label: v for label, v in other.items() if not math.isnan(v) and v > 0.25}
    if busy:
        notes.append(
            "**Other work on the machine** (machine cores - server - aim-migrate, medians): "
            + "; ".join(f"{label}: {v:.2f} cores" for label, v in busy.items())
            + ". These rows were not measured on a quiet machine; compare them with care."
        )
    if any(c.capped for c in cells):
        notes.append(
            f"Capped: the fresh rows are slow, so they run {bench.args.capped_reps} repetitions "
            f"(CAPPED_REPS) rather than {bench.args.reps} (REPS), or REPS if that is fewer; the "
            "no-op rows run REPS."
        )
    out.append("")
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


def write_report(bench: Bench, started: float) -> Path:
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
        "backfill",
        "fanout",
    ]
    lines = [
        "# aim-migrate benchmarks",
        "",
        f"Generated by `{' '.join(['benchmarks/run', *bench.args.command])}` on "
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
            render = {"backfill": render_backfill_table, "fanout": render_fanout_table}.get(
                key, render_table
            )
            lines += render(bench, key)
    lines += growth_table(bench)
    if "importtime" in bench.args.selected:
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
                **({"probe" if key == "backfill" else "per_run": c.extras} if c.extras else {}),
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
        help=f"any of {', '.join(WORKLOADS)}, or all (default: all but the opt-in "
        f"{', '.join(OPT_IN)})",
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
    wanted = set(chosen) | (set(DEFAULT_WORKLOADS) if "all" in chosen else set())
    args.selected = [w for w in WORKLOADS if w in wanted]
    args.full = set(DEFAULT_WORKLOADS) <= wanted  # the default set, and any opt-in named
    extra = [w for w in args.selected if w in OPT_IN]
    # how the run was asked for, for the report's first line
    args.command = (["all", *extra] if extra else []) if args.full else args.selected
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
    for name, step in workload_steps(bench, shipped):
        t0 = time.time()
        print(f"bench: {name} ", end="", flush=True)
        step()
        print(f"bench: {name} done in {time.time() - t0:.0f} s", flush=True)
    report = write_report(bench, started)
    print(f"bench: wrote {report} ({(time.time() - started) / 60:.1f} min)")
    failures = sum(len(c.failures) for cells in bench.cells.values() for c in cells.values())
    if failures:
        print(f"bench: {failures} failed run(s); see the notes in the report", file=sys.stderr)
    return 0


def workload_steps(bench: Bench, shipped: MigrationSet) -> list[tuple[str, Callable[[], object]]]:
    """The selected workloads, in order, as (name, run it)."""
    args = bench.args
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
    if "backfill" in args.selected:
        steps.append(("backfill", bench.workload_backfill))
    if "fanout" in args.selected:
        steps.append(("fanout", lambda: bench.workload_fanout(shipped)))
    if "importtime" in args.selected:
        steps.append(("importtime", lambda: print(f"  wrote {bench.importtime(shipped)}")))
    return steps


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
