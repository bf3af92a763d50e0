"""A batched migration (`-- aim-migrate: batched`): one DML statement that changes a bounded
batch, run again and again, each time in its own short transaction under the lock and with
`lock_timeout`, until it changes no row; only then is the migration recorded as applied.

The statement must be idempotent by construction: it selects only rows still to do
(`... WHERE new_col IS NULL LIMIT 1000`), so a killed run resumes where it stopped, and a
batch that hit `lock_timeout` is simply tried again. `batch-pause=100ms` throttles it.
Progress (rows, batches, rate) is logged every few seconds and counted in the run's metrics.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from aim_migrate import history
from aim_migrate.errors import MigrationError
from aim_migrate.retry import retrying
from aim_migrate.source import batch_pause
from aim_migrate.work import ms_since

if TYPE_CHECKING:
    from aim_migrate.history import Record
    from aim_migrate.source import Migration
    from aim_migrate.work import Work

_REPORT_EVERY = 5.0


def apply(work: Work, migration: Migration, started_record: Record) -> None:
    (statement,) = work.statements[migration.file.location]
    with work.step():
        status = history.statuses(work.conn, work.table, [migration.name]).get(migration.name)
        if not work.still_pending(migration.name, status, resumable=True):
            return
        resuming = status is not None
        if not resuming:
            work.write([started_record])
    work.log.info(
        "migration.started",
        migration=migration.name,
        track="incremental",
        file=migration.file.location,
        batched=True,
        resumed=resuming,
    )
    pause = batch_pause(migration.file)
    started = time.monotonic()
    rows = batches = 0
    next_report = started + _REPORT_EVERY

    def one_batch(_: int) -> int:
        with work.guard(migration.name, migration.file, batched=True), work.step():
            cursor = work.execute_one(migration.file, statement)
            changed = max(cursor.rowcount, 0)
            work.reset()
            return changed

    try:
        while True:
            changed = retrying(work.log, migration.name, work.config.ddl_lock_retries, one_batch)
            batches += 1
            rows += changed
            work.progress.batched_rows += changed
            now = time.monotonic()
            if changed == 0:
                break
            if now >= next_report:
                _progress(work, migration, rows, batches, now - started)
                next_report = now + _REPORT_EVERY
            if pause:
                time.sleep(pause)
    except MigrationError as exc:
        work.mark(migration.name, history.FAILED, f"after {rows} rows: {exc.message}")
        raise
    except KeyboardInterrupt:
        work.mark(migration.name, history.FAILED, f"interrupted after {rows} rows")
        raise
    duration_ms = ms_since(started)
    with work.step():
        history.set_status(work.conn, work.table, migration.name, history.APPLIED, duration_ms)
    work.progress.applied.append(migration.name)
    work.log.info(
        "migration.applied",
        migration=migration.name,
        track="incremental",
        duration_ms=duration_ms,
        batched=True,
        rows=rows,
        batches=batches,
    )


def _progress(work: Work, migration: Migration, rows: int, batches: int, seconds: float) -> None:
    work.log.info(
        "migration.progress",
        migration=migration.name,
        rows=rows,
        batches=batches,
        rows_per_s=round(rows / seconds) if seconds > 0 else None,
        elapsed_s=round(seconds, 1),
    )
