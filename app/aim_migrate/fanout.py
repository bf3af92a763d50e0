"""Fan-out: one command on many databases (a database per tenant, region or shard).

The targets come from a file (one connection URL per line: a mounted Secret). At most
`--parallel` of them run at once, each in its own thread with its own connection, advisory
lock, retries and log fields; one failing target never stops the others. Sharding needs no
coordinator: with `--shard I/N` (or, in a Kubernetes Indexed Job, JOB_COMPLETION_INDEX and
AIM_SHARD_COUNT) a process takes only the targets whose stable hash of host, port and
database falls in its shard, so the pods of an Indexed Job split the list with no overlap,
whatever the order of the file.

The run's exit code is the worst target's, in this order: 143/130 (interrupted) > 1 (a
migration failed) > 3 (validation) > 2 (configuration) > 4 (connection) > 5 (timed out
waiting) > 0.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from aim_migrate.errors import ConfigError, Interrupted

if TYPE_CHECKING:
    import psycopg

    from aim_migrate.commands import Command, Invocation
    from aim_migrate.config import Config
    from aim_migrate.logs import Logger
    from aim_migrate.target import Target

# Worst first.
SEVERITY = (143, 130, 1, 3, 2, 4, 5, 0)
_PROGRESS_EVERY = 5.0


class TargetResult(NamedTuple):
    target: Target
    exit_code: int
    event: str | None = None  # the failure's event
    hint: str | None = None
    summary: dict[str, Any] | None = None


class CancelScope:
    """The live connections of a fan-out run, so that SIGTERM can cancel what they run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: set[psycopg.Connection[Any]] = set()
        self.stopped = threading.Event()

    def add(self, conn: psycopg.Connection[Any]) -> None:
        with self._lock:
            self._connections.add(conn)

    def discard(self, conn: psycopg.Connection[Any]) -> None:
        with self._lock:
            self._connections.discard(conn)

    def cancel_all(self) -> None:
        self.stopped.set()
        with self._lock:
            live = list(self._connections)
        for conn in live:
            try:
                conn.cancel_safe(timeout=2)
            except Exception:  # noqa: BLE001, S112 - best effort while stopping
                continue


def read_targets(path: Path) -> list[str]:
    """The connection strings of a targets file; errors name the file and line, never a URL."""
    from aim_migrate.config import check_conninfo  # noqa: PLC0415

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"Cannot read the targets file {str(path)!r}: "
            f"{getattr(exc, 'strerror', None) or 'not UTF-8 text'}.",
            hint="Check that the Secret with the targets is mounted at AIM_TARGETS_FILE.",
            file=str(path),
        ) from None
    urls: list[str] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        check_conninfo(line, f"{path.name}:{number}")
        key = identity(line)
        if key in seen:
            raise ConfigError(
                f"{path.name}:{number} names the same database as line {seen[key]}.",
                hint="List each database once: two runs on one database would only queue on "
                "its lock.",
                file=str(path),
                line=number,
            )
        seen[key] = number
        urls.append(line)
    if not urls:
        raise ConfigError(
            f"The targets file {str(path)!r} lists no database.",
            hint="One connection URL per line; blank lines and # comments are ignored.",
            file=str(path),
        )
    return urls


def identity(conninfo: str) -> str:
    """host:port/dbname, the stable key of a target (its order in the file does not matter)."""
    from aim_migrate.connect import target_fields  # noqa: PLC0415

    fields = target_fields(conninfo)
    return f"{fields['db_host']}:{fields['db_port']}/{fields['db_name']}"


def shard_of(conninfo: str, count: int) -> int:
    digest = hashlib.sha256(identity(conninfo).encode()).digest()
    return int.from_bytes(digest[:8], "big") % count


def this_shard(config: Config, environ: dict[str, str] | None = None) -> tuple[int, int] | None:
    """(index, count) from --shard, else from an Indexed Job's environment, else None."""
    if config.shard is not None:
        return config.shard
    env = os.environ if environ is None else environ
    count, index = env.get("AIM_SHARD_COUNT"), env.get("JOB_COMPLETION_INDEX")
    if not count:
        return None
    from aim_migrate.config import parse_shard  # noqa: PLC0415

    try:
        return parse_shard(f"{index or 0}/{count}")
    except ValueError as exc:
        raise ConfigError(
            f"JOB_COMPLETION_INDEX / AIM_SHARD_COUNT do not name a shard: {exc}.",
            hint="AIM_SHARD_COUNT must be the Indexed Job's completions, and the index below it.",
            variable="AIM_SHARD_COUNT",
        ) from None


def run(
    inv: Invocation,
    command: Command,
    on_error: Callable[[BaseException, Logger], int],
    on_done: Callable[[Invocation, int, float], int],
) -> tuple[int, dict[str, Any]]:
    """Run `command` on every target of this shard; (exit code, run.finished fields).

    `on_error` logs a target's failure as its one structured event and gives its exit code;
    `on_done` finishes a target (its metrics push) and may change its code."""
    from aim_migrate import runner  # noqa: PLC0415
    from aim_migrate.commands import Invocation  # noqa: PLC0415
    from aim_migrate.target import target as target_of  # noqa: PLC0415

    config = inv.config
    assert config.targets_file is not None
    urls = read_targets(config.targets_file)
    shard = this_shard(config)
    mine = [u for u in urls if shard is None or shard_of(u, shard[1]) == shard[0]]
    scope = CancelScope()
    targets = [target_of(config, url)._replace(cancel_scope=scope) for url in mine]
    source = runner.load_source(config)  # read and hashed once, not once per target
    write_lock = threading.Lock()
    log = inv.log
    log.info(
        "fanout.started",
        command=command.name,
        targets=len(targets),
        listed=len(urls),
        shard=f"{shard[0]}/{shard[1]}" if shard else None,
        parallel=config.parallel,
    )

    def emit(header: str) -> Callable[[str], None]:
        def write(text: str) -> None:
            with write_lock:
                inv.emit(f"# {header}\n{text}")

        return write

    def one(target: Target) -> TargetResult:
        child = Invocation(
            command.name,
            inv.args,
            config,
            log,
            target=target,
            source=source,
            out=emit(identity(target.conninfo)),
        )
        started = time.monotonic()
        try:
            summary = command.run(child)
            code = 0
            result = TargetResult(target, 0, summary=summary)
        except Exception as exc:  # noqa: BLE001 - one target's failure is data, not a crash
            if child.outcome is None:  # what a failed migrate did before failing
                child.outcome = getattr(exc, "outcome", None)
            code = on_error(exc, child.log)
            failure = exc if hasattr(exc, "event") else None
            result = TargetResult(
                target,
                code,
                getattr(failure, "event", "run.crashed"),
                getattr(failure, "hint", None),
            )
        code = on_done(child, code, time.monotonic() - started)
        child.log.info(
            "target.finished", command=command.name, exit_code=code, **(result.summary or {})
        )
        return result._replace(exit_code=code)

    started = time.monotonic()
    results, skipped, interrupted = _pool(one, targets, config, scope, log)
    code = worst([r.exit_code for r in results] + ([interrupted.exit_code] if interrupted else []))
    summary = _finished(log, command.name, targets, results, skipped, time.monotonic() - started)
    if interrupted is not None:
        raise interrupted
    return code, summary


def _pool(
    one: Callable[[Target], TargetResult],
    targets: list[Target],
    config: Config,
    scope: CancelScope,
    log: Logger,
) -> tuple[list[TargetResult], list[Target], Interrupted | None]:
    """(results, targets never started, the interruption if any).

    Daemon threads: after SIGTERM the process must be able to exit even if a target is still
    waiting for its lock; its connection then closes and the server rolls back what it ran."""
    results: list[TargetResult] = []
    finished: queue.Queue[TargetResult] = queue.Queue()
    started = time.monotonic()
    next_report = started + _PROGRESS_EVERY
    waiting = list(targets)
    running = 0

    def work(target: Target) -> None:
        finished.put(one(target))

    try:
        while waiting or running:
            stop = config.fail_fast and any(r.exit_code for r in results)
            while waiting and running < config.parallel and not stop:
                thread = threading.Thread(target=work, args=(waiting.pop(0),), daemon=True)
                thread.start()
                running += 1
            if not running:
                break
            try:
                results.append(finished.get(timeout=1.0))
                running -= 1
            except queue.Empty:
                pass
            if time.monotonic() >= next_report:
                _progress(log, results, len(targets), time.monotonic() - started)
                next_report = time.monotonic() + _PROGRESS_EVERY
    except Interrupted as exc:
        scope.cancel_all()  # running statements roll back; no target starts any more
        deadline = time.monotonic() + 20
        while running and time.monotonic() < deadline:
            try:
                results.append(finished.get(timeout=max(0.0, deadline - time.monotonic())))
                running -= 1
            except queue.Empty:
                break
        return results, waiting, exc
    return results, waiting, None


def _finished(
    log: Logger,
    command: str,
    targets: list[Target],
    results: list[TargetResult],
    skipped: list[Target],
    seconds: float,
) -> dict[str, Any]:
    """One event for the whole fan-out: counts per outcome, every failed target by name."""
    outcomes: dict[str, int] = {}
    for r in results:
        key = "ok" if r.exit_code == 0 else f"exit_{r.exit_code}"
        outcomes[key] = outcomes.get(key, 0) + 1
    if skipped:
        outcomes["not_started"] = len(skipped)
    failed = [
        {
            "target": identity(r.target.conninfo),
            "exit_code": r.exit_code,
            "event": r.event,
            "hint": r.hint,
        }
        for r in results
        if r.exit_code
    ]
    log.info(
        "fanout.finished",
        command=command,
        targets=len(targets),
        outcomes=outcomes,
        failed=failed,
        not_started=[identity(t.conninfo) for t in skipped],
        duration_s=round(seconds, 3),
    )
    return {"targets": len(targets), "failed": len(failed), "outcomes": outcomes}


def worst(codes: list[int]) -> int:
    rank = {code: i for i, code in enumerate(SEVERITY)}
    return min(codes, key=lambda c: rank.get(c, 2), default=0)


def _progress(log: Logger, results: list[TargetResult], total: int, seconds: float) -> None:
    done = len(results)
    log.info(
        "fanout.progress",
        done=done,
        total=total,
        failed=sum(1 for r in results if r.exit_code),
        targets_per_s=round(done / seconds, 2) if seconds > 0 else None,
    )
