"""Day-2 operations on one target: adopt an unmanaged database (`baseline`), clear unfinished
records and accept reviewed edits (`repair`), roll back (`down`), read the audit trail
(`history`). Each changes the history under the migration lock, or only reads it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aim_migrate import history, locking
from aim_migrate.connect import runner_identity
from aim_migrate.errors import ValidationError
from aim_migrate.history import Record
from aim_migrate.inspection import inspect
from aim_migrate.runner import Outcome, load_source, session

if TYPE_CHECKING:
    from aim_migrate.config import Config
    from aim_migrate.inspection import DatabaseState
    from aim_migrate.logs import Logger
    from aim_migrate.rollback import Revert
    from aim_migrate.source import MigrationSet
    from aim_migrate.target import Target


def mark_baseline(config: Config, target: Target, log: Logger, version: int) -> Outcome:
    """`aim-migrate baseline --version N`: record N and below as present, running no SQL."""
    source = load_source(config)
    if version != 0 and not any(m.number == version for m in source.migrations):
        raise ValidationError(
            f"No migration file has version {version}.",
            hint="Give the version of an existing migration file.",
            at_version=version,
        )
    table = target.table
    with session(target, config, log) as conn, locking.locked_step(conn, config, target, log):
        state = inspect(conn, table, target.sentinel)
        present = {row.name for row in state.rows}
        records = [
            Record(m.name, m.number, m.description, history.MARKED, m.file.checksum, phase=m.phase)
            for m in source.migrations
            if m.number <= version and m.name not in present
        ]
        history.upgrade(conn, table)
        history.write(conn, table, records, runner_identity())
    log.info("history.marked", at_version=version, recorded=[r.version for r in records])
    return Outcome(track="marked", recorded=[r.version for r in records], current_version=version)


def repair(
    config: Config, target: Target, log: Logger, reason: str, only: str | None
) -> dict[str, list[str]]:
    """Clear unfinished non-transactional records and accept reviewed checksum changes."""
    files_by_name = load_source(config).by_name()
    table = target.table
    cleared: list[str] = []
    rechecked: list[str] = []
    with session(target, config, log) as conn, locking.locked_step(conn, config, target, log):
        state = inspect(conn, table, target.sentinel)
        for row in state.rows:
            if only is not None and row.version != only:
                continue
            if row.status != history.APPLIED:
                history.forget(conn, table, row.version)
                cleared.append(row.version)
                log.warning(
                    "repair.cleared", migration=row.version, status=row.status, reason=reason
                )
                continue
            file = files_by_name.get(row.name)
            if (
                file is None
                or row.track == history.BASELINE
                or row.checksum is None
                or row.checksum == file.file.checksum
            ):
                continue
            history.rechecksum(conn, table, row.version, file.file.checksum, reason)
            rechecked.append(row.version)
            log.warning(
                "repair.checksum_updated",
                migration=row.version,
                recorded_checksum=row.checksum,
                checksum=file.file.checksum,
                reason=reason,
            )
    if not cleared and not rechecked:
        log.info("repair.nothing", message="No unfinished records and no changed checksums.")
    return {"cleared": cleared, "checksums_updated": rechecked}


def plan_revert(
    source: MigrationSet,
    state: DatabaseState,
    *,
    steps: int | None,
    to: int | None,
    allow_data_loss: bool,
) -> list[Revert]:
    """Every refusal first (rollback.plan_down: unfinished records, missing down files,
    data loss, ...), then: the files must still be the ones that were applied."""
    from aim_migrate.plan import check_checksums  # noqa: PLC0415
    from aim_migrate.rollback import plan_down  # noqa: PLC0415

    reverts = plan_down(source, state, steps=steps, to=to, allow_data_loss=allow_data_loss)
    check_checksums(list(state.rows), source.by_name())  # the baseline's rows match no file
    return reverts


def down(
    config: Config,
    target: Target,
    log: Logger,
    *,
    steps: int | None,
    to: int | None,
    allow_data_loss: bool,
    dry_run: bool,
) -> list[Revert]:
    """`aim-migrate down`: revert the newest applied migrations with their .down.sql files.
    Returns what was reverted (a dry run: what would be, data-losing steps included)."""
    from aim_migrate.revert import revert  # noqa: PLC0415
    from aim_migrate.source import preflight  # noqa: PLC0415
    from aim_migrate.work import Work  # noqa: PLC0415

    source = load_source(config)

    def decide(state: DatabaseState) -> list[Revert]:
        # A dry run shows data-losing steps (marked) instead of refusing them.
        permitted = allow_data_loss or dry_run
        return plan_revert(source, state, steps=steps, to=to, allow_data_loss=permitted)

    with session(target, config, log) as conn:
        if dry_run:
            return decide(inspect(conn, target.table, target.sentinel))
        locking.refuse_pooler(conn, config, target, log, "down")
        with locking.session_lock(conn, config, target, log) as lock:
            reverts = decide(inspect(conn, target.table, target.sentinel))
            downs = [rv.migration.down for rv in reverts if rv.migration.down is not None]
            work = Work(
                conn, config, target, preflight(downs), runner_identity(), log, session_pid=lock.pid
            )
            for rv in reverts:
                revert(work, rv.migration, rv.row.version)
    return reverts


def history_rows(config: Config, target: Target, log: Logger) -> tuple[history.HistoryRow, ...]:
    """`aim-migrate history`: the audit trail, read-only."""
    with session(target, config, log) as conn:
        state = inspect(conn, target.table, target.sentinel)
    if state.foreign is not None:
        log.warning(
            "history.foreign",
            kind=state.foreign.kind,
            at_version=state.foreign.version,
            message=f"The history table is {state.foreign.kind}'s (version "
            f"{state.foreign.version}); the next migrate adopts it, with a row per migration.",
        )
    return state.rows


def wait(
    config: Config,
    target: Target,
    log: Logger,
    timeout: float,
    source: MigrationSet | None = None,
) -> list[str]:
    """`aim-migrate wait`: poll, read-only and without the lock, until every pre-deploy
    migration this image ships is recorded as applied; returns them. What an application pod's
    init container runs: it needs only SELECT on the history table, no DDL rights."""
    import time  # noqa: PLC0415

    from aim_migrate.errors import WaitTimeoutError  # noqa: PLC0415
    from aim_migrate.plan import check_checksums  # noqa: PLC0415
    from aim_migrate.source import PRE_DEPLOY  # noqa: PLC0415

    source = source or load_source(config)
    needed = [m for m in source.migrations if m.phase == PRE_DEPLOY]
    started = time.monotonic()
    next_report = started
    with session(target, config, log) as conn:
        while True:
            state = inspect(conn, target.table, target.sentinel)
            if state.foreign is not None:  # golang-migrate's table, not adopted yet
                done = {
                    m.name for m in source.migrations if m.number <= (state.foreign.version or -1)
                }
            else:
                check_checksums(list(state.rows), source.by_name())  # another schema: fail now
                done = {row.name for row in state.rows if row.status == history.APPLIED}
            missing = [m.name for m in needed if m.name not in done]
            waited = time.monotonic() - started
            if not missing:
                log.info("wait.ready", waited_s=round(waited, 3), migrations=len(needed))
                return [m.name for m in needed]
            if waited >= timeout:
                raise WaitTimeoutError(
                    f"After {timeout:g}s, {len(missing)} pre-deploy migration(s) this image "
                    f"needs are still not applied: {', '.join(missing[:10])}"
                    + (f" and {len(missing) - 10} more." if len(missing) > 10 else "."),
                    hint="Check the migration Job (kubectl logs job/<release>-aim-migrate): it "
                    "runs 'aim-migrate migrate --phase pre-deploy' before the new pods start. "
                    "Raise AIM_WAIT_TIMEOUT if migrations legitimately take longer.",
                    missing=missing,
                    waited_s=round(waited, 3),
                )
            if time.monotonic() >= next_report:
                log.info("wait.waiting", missing=missing[:10], pending=len(missing))
                next_report = time.monotonic() + 10.0
            time.sleep(min(1.0, max(0.0, timeout - waited)))
