"""Reverting one migration with its down file (`aim-migrate down`).

A transactional down file and the removal of the history row are one step. A no-transaction
one is recorded as `reverting` first, so a failure halfway is visible (and stops migrate)
instead of being lost; the row goes only after its last statement.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from aim_migrate import autocommit, history
from aim_migrate.errors import MigrationError
from aim_migrate.work import ms_since

if TYPE_CHECKING:
    from aim_migrate.source import Migration
    from aim_migrate.work import Work


def revert(work: Work, migration: Migration, version: str) -> None:
    down = migration.down
    assert down is not None
    statements = work.statements[down.location]
    work.log.info("migration.reverting", migration=migration.name, file=down.location)
    started = time.monotonic()
    if down.transactional:
        with work.guard(migration.name, down, reverting=True), work.step():
            _check_still_applied(work, version)
            work.execute(down, statements)
            work.reset()
            history.remove(work.conn, work.table, version)
    else:
        with work.step():
            _check_still_applied(work, version)
            history.set_status(work.conn, work.table, version, history.REVERTING)
        try:
            autocommit.run(work, migration.name, down, statements, reverting=True)
        except MigrationError as exc:
            work.mark(version, history.REVERTING, f"revert failed: {exc.message}")
            raise
        except KeyboardInterrupt:
            work.mark(version, history.REVERTING, "revert interrupted")
            raise
        with work.step():
            history.remove(work.conn, work.table, version)
    work.progress.applied.append(migration.name)
    work.log.info("migration.reverted", migration=migration.name, duration_ms=ms_since(started))


def _check_still_applied(work: Work, version: str) -> None:
    status = history.statuses(work.conn, work.table, [version]).get(version)
    if status != history.APPLIED:
        raise MigrationError(
            f"Migration {version} is no longer recorded as applied; nothing was reverted.",
            hint="Another runner changed the history meanwhile; check 'aim-migrate history'.",
            event="rollback.refused",
            migration=version,
        )
