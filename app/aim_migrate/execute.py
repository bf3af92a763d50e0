"""Executing a plan: a plain loop over its steps (plan.Plan.steps), each migration and its
history row committed together, or not at all.

The baseline, the history rows of everything it contains, and (on a fresh database) the
history table itself are one step. Each incremental migration is one step with its history
row. Only a file marked `no-transaction` runs statement by statement (autocommit.py); it is
recorded as `started` first, so an interruption is visible, never silent.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from aim_migrate import autocommit, batched, history
from aim_migrate.errors import MigrationError
from aim_migrate.history import Record
from aim_migrate.plan import (
    STEP_APPLY,
    STEP_AUTOCOMMIT,
    STEP_BASELINE,
    STEP_BATCHED,
    STEP_CONVERT,
    Step,
)
from aim_migrate.retry import retrying
from aim_migrate.work import ms_since

if TYPE_CHECKING:
    from aim_migrate.plan import Plan
    from aim_migrate.source import Migration
    from aim_migrate.work import Progress, Work


def execute(work: Work, plan: Plan) -> Progress:
    for step in plan.steps:
        if step.kind == STEP_APPLY:
            assert step.migration is not None
            _apply(work, step.migration, creates_history=step.creates_history)
        elif step.kind == STEP_AUTOCOMMIT:
            assert step.migration is not None
            _apply_autocommit(work, step.migration)
        elif step.kind == STEP_BATCHED:
            assert step.migration is not None
            batched.apply(work, step.migration, _record(step.migration, None, history.STARTED))
        elif step.kind == STEP_BASELINE:
            _apply_baseline(work, plan)
        elif step.kind == STEP_CONVERT:
            _convert_history(work, plan)
        else:
            _prepare_history(work, plan, step)
    return work.progress


def _convert_history(work: Work, plan: Plan) -> None:
    foreign = plan.convert
    assert foreign is not None
    records = [
        Record(r.version, r.version_number, r.description or "", history.LEGACY, r.checksum)
        for r in plan.applied
        if r.checksum is not None
    ]
    with work.step():
        converted = history.convert_golang_migrate(
            work.conn, work.table, foreign.version, records, work.applied_by
        )
    if converted:
        work.log.info(
            "history.adopted",
            table=f"{work.table.schema}.{work.table.name}",
            source=foreign.kind,
            at_version=foreign.version,
            rows_completed=len(records),
        )


def _prepare_history(work: Work, plan: Plan, _: Step) -> None:
    with work.step():
        added = history.upgrade(work.conn, work.table)
        history.adopt_legacy(work.conn, work.table, list(plan.adopt))
    if added or plan.adopt:
        work.log.info(
            "history.adopted",
            table=f"{work.table.schema}.{work.table.name}",
            added_columns=added,
            rows_completed=len(plan.adopt),
        )


def _apply_baseline(work: Work, plan: Plan) -> None:
    baseline = plan.baseline
    assert baseline is not None
    statements = work.statements[baseline.file.location]
    with work.guard(baseline.name, baseline.file), work.step():
        if not history.is_empty(work.conn, work.table):
            work.skipped(baseline.name)
            return
        work.log.info(
            "migration.started",
            migration=baseline.name,
            track="baseline",
            file=baseline.file.location,
            contains_through=baseline.version,
        )
        started = time.monotonic()
        history.ensure_schema(work.conn, work.table)
        work.execute(baseline.file, statements)
        duration_ms = ms_since(started)
        work.reset()
        # After the baseline's SQL: it may have created the history table itself.
        history.upgrade(work.conn, work.table)
        records = [
            Record(
                baseline.name,
                baseline.version,
                baseline.name.split("__", 1)[1],
                history.BASELINE,
                baseline.file.checksum,
                duration_ms,
            )
        ] + [
            Record(
                m.name,
                m.number,
                m.description,
                history.CONTAINED,
                m.file.checksum,
                phase=m.phase,
            )
            for m in plan.contained
        ]
        work.write(records)
    work.progress.applied.append(baseline.name)
    work.progress.recorded.extend(m.name for m in plan.contained)
    work.log.info(
        "migration.applied",
        migration=baseline.name,
        track="baseline",
        duration_ms=duration_ms,
        recorded=len(plan.contained),
    )


def _apply(work: Work, migration: Migration, *, creates_history: bool) -> None:
    statements = work.statements[migration.file.location]

    def attempt(number: int) -> int | None:
        """The migration's duration, or None if another runner applied it meanwhile."""
        with work.guard(migration.name, migration.file), work.step():
            if not work.still_pending(migration.name):
                return None
            _started(work, migration, attempt=number)
            started = time.monotonic()
            if creates_history:
                history.ensure_schema(work.conn, work.table)
            work.execute(migration.file, statements)
            duration_ms = ms_since(started)
            work.reset()
            if creates_history:
                history.upgrade(work.conn, work.table)
            work.write([_record(migration, duration_ms)])
            return duration_ms

    duration_ms = retrying(work.log, migration.name, work.config.ddl_lock_retries, attempt)
    if duration_ms is not None:
        _applied(work, migration, duration_ms)


def _apply_autocommit(work: Work, migration: Migration) -> None:
    statements = work.statements[migration.file.location]
    with work.step():
        if not work.still_pending(migration.name):
            return
        work.write([_record(migration, None, status=history.STARTED)])
    _started(work, migration, transaction=False)
    started = time.monotonic()
    try:
        autocommit.run(work, migration.name, migration.file, statements, reverting=False)
    except MigrationError as exc:
        work.mark(migration.name, history.FAILED, exc.message)
        raise
    except KeyboardInterrupt:
        work.mark(migration.name, history.FAILED, "interrupted")
        raise
    duration_ms = ms_since(started)
    with work.step():
        history.set_status(work.conn, work.table, migration.name, history.APPLIED, duration_ms)
    _applied(work, migration, duration_ms, transaction=False)


def _started(work: Work, migration: Migration, **fields: object) -> None:
    work.log.info(
        "migration.started",
        migration=migration.name,
        track="incremental",
        file=migration.file.location,
        **fields,
    )


def _applied(work: Work, migration: Migration, duration_ms: int, **fields: object) -> None:
    work.progress.applied.append(migration.name)
    work.log.info(
        "migration.applied",
        migration=migration.name,
        track="incremental",
        duration_ms=duration_ms,
        **fields,
    )


def _record(m: Migration, duration_ms: int | None, status: str = history.APPLIED) -> Record:
    return Record(
        m.name,
        m.number,
        m.description,
        history.INCREMENTAL,
        m.file.checksum,
        duration_ms,
        status,
        m.phase,
    )
