"""Planning a rollback (`aim-migrate down`): pure, like the forward planner.

Which applied incremental migrations to revert, newest first, and every reason to refuse
before anything changes: a missing `.down.sql`, a migration the database only holds because
the baseline contained it (there is nothing to roll back to), an unfinished record, or a
down file that destroys data without `--allow-data-loss`.
"""

from __future__ import annotations

from typing import NamedTuple

from aim_migrate.errors import UsageError, ValidationError
from aim_migrate.history import APPLIED, BASELINE, CONTAINED, HistoryRow
from aim_migrate.inspection import DatabaseState
from aim_migrate.plan import row_key
from aim_migrate.source import Migration, MigrationSet


class Revert(NamedTuple):
    migration: Migration
    row: HistoryRow

    @property
    def data_loss(self) -> bool:
        down = self.migration.down
        return down is not None and "data-loss" in down.directives


def plan_down(
    source: MigrationSet,
    state: DatabaseState,
    *,
    steps: int | None,
    to: int | None,
    allow_data_loss: bool,
) -> list[Revert]:
    if (steps is None) == (to is None):
        raise UsageError(
            "Say how far to roll back: --steps K or --to N (one of them).",
            hint="'down --steps 1' reverts the newest migration; 'down --to 12' reverts "
            "everything above version 12.",
        )
    if steps is not None and steps < 1:
        raise UsageError("--steps must be at least 1.", hint="Give a positive number.")
    if to is not None and to < 0:
        raise UsageError("--to must be 0 or more.", hint="Give a version number, or 0.")
    files = source.by_name()
    unfinished = [r.version for r in state.rows if r.status != APPLIED]
    if unfinished:
        raise ValidationError(
            f"Unfinished records block a rollback: {', '.join(unfinished)}.",
            hint="Resolve them first (see 'aim-migrate repair').",
            event="rollback.refused",
            migrations=unfinished,
        )
    applied = sorted(
        (
            r
            for r in state.rows
            # A `.down` row written by the original runner is not a migration to revert.
            if r.track != BASELINE and row_key(r)[0] >= 0 and not r.version.endswith(".down")
        ),
        key=row_key,
        reverse=True,
    )
    if to is not None:
        if to != 0 and not any(m.number == to for m in source.migrations):
            raise ValidationError(
                f"No migration file has version {to}.",
                hint="Give the version of an existing migration (0 reverts everything).",
                event="rollback.refused",
                to=to,
            )
        chosen = [r for r in applied if row_key(r)[0] > to]
    else:
        assert steps is not None
        if steps > len(applied):
            raise ValidationError(
                f"Only {len(applied)} applied migration(s) can be rolled back, not {steps}.",
                hint="Check 'aim-migrate history'.",
                event="rollback.refused",
            )
        chosen = applied[:steps]

    contained = [r.version for r in chosen if r.track == CONTAINED]
    if contained:
        raise ValidationError(
            f"{', '.join(contained)} came with the baseline this database was created from; "
            "there is no earlier state to roll back to.",
            hint="Roll back only migrations newer than the baseline's version, or restore a "
            "backup.",
            event="rollback.below_baseline",
            migrations=contained,
        )
    unknown = [r.version for r in chosen if r.name not in files]
    if unknown:
        raise ValidationError(
            f"No migration file for applied migration(s) {', '.join(unknown)}.",
            hint="Restore the files (with their .down.sql) before rolling them back.",
            event="rollback.refused",
            migrations=unknown,
        )
    reverts = [Revert(files[r.name], r) for r in chosen]
    missing = [rv.migration.name for rv in reverts if rv.migration.down is None]
    if missing:
        raise ValidationError(
            f"No .down.sql for {', '.join(missing)}.",
            hint="Write NNN_name.down.sql beside each forward file, or roll forward with a new "
            "migration instead.",
            event="rollback.missing_down",
            migrations=missing,
        )
    lossy = [rv.migration.name for rv in reverts if rv.data_loss]
    if lossy and not allow_data_loss:
        raise ValidationError(
            f"Rolling back {', '.join(lossy)} destroys data (their down files say so).",
            hint="Take a backup, then repeat with --allow-data-loss.",
            event="rollback.data_loss",
            migrations=lossy,
        )
    return reverts
