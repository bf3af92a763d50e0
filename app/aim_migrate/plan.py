"""Planning: which track, which migrations. Pure data in, pure data out; no database here.

Given the files and what the database holds, decide:
  * fresh database (no history rows, no sentinel table): the baseline track (apply the baseline,
    record it and every incremental it contains, then newer incrementals) or, without a
    baseline file, the whole incremental chain;
  * existing database (history rows): only what is missing, after validating checksums;
  * anything we cannot decide safely is an error that says what to do; we never guess.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from aim_migrate.errors import MigrationError, ValidationError
from aim_migrate.history import (
    APPLIED,
    BASELINE,
    FAILED,
    LEGACY,
    REVERTING,
    STARTED,
    HistoryRow,
    Record,
)
from aim_migrate.inspection import DatabaseState, ForeignHistory
from aim_migrate.source import POST_DEPLOY, Baseline, Migration, MigrationSet, Notice

_BASELINE_ROW = re.compile(r"V\d+__.+")
_INCREMENTAL_ROW = re.compile(r"([0-9]+)[_-].+")

TRACK_BASELINE = "baseline"  # fresh database, consolidated baseline
TRACK_CHAIN = "chain"  # fresh database, no baseline file: every incremental in order
TRACK_INCREMENTAL = "incremental"  # existing database: what its history lacks


# The kinds of step a plan executes, in order; each is one transaction (see work.py), except
# that an autocommit migration commits statement by statement.
STEP_CONVERT = "convert-history"  # another tool's history table becomes ours
STEP_PREPARE = "prepare-history"  # create or upgrade the history table, adopt old rows
STEP_BASELINE = "baseline"  # the baseline, its history rows and (fresh) the history table
STEP_APPLY = "apply"  # one transactional migration and its history row
STEP_AUTOCOMMIT = "apply-autocommit"  # one no-transaction migration
STEP_BATCHED = "apply-batched"  # one batched migration: its statement until no row changes


class Step(NamedTuple):
    kind: str
    migration: Migration | None = None
    creates_history: bool = False  # this step's transaction creates the history table


PHASE_ALL = "all"
PHASE_PRE_DEPLOY = "pre-deploy"


class PlanOptions(NamedTuple):
    out_of_order: bool = False
    target: int | None = None  # apply nothing above this version
    # pre-deploy: leave post-deploy migrations for after the rollout (an existing database
    # only: on a fresh one no old code runs, so everything is applied).
    phase: str = PHASE_ALL


class Plan(NamedTuple):
    track: str
    baseline: Baseline | None  # set on the baseline track only
    contained: tuple[Migration, ...]  # recorded with the baseline, not executed
    pending: tuple[Migration, ...]  # executed in this order, each atomically
    applied: tuple[HistoryRow, ...]
    adopt: tuple[Record, ...]  # rows of the original runner to complete in place
    upgrade_history: bool  # the history table must be created or brought to shape
    notices: tuple[Notice, ...]
    # Non-transactional migrations recorded as started or failed. Seen without the lock they
    # may be in progress in another runner; under the lock they are an error.
    unfinished: tuple[HistoryRow, ...] = ()
    # Another tool's history table to convert to ours first (its rows are in `applied`).
    convert: ForeignHistory | None = None
    # Pending post-deploy migrations a pre-deploy run leaves for after the rollout.
    deferred: tuple[Migration, ...] = ()

    @property
    def is_noop(self) -> bool:
        return (
            self.convert is None
            and self.baseline is None
            and not self.pending
            and not self.adopt
            and not self.upgrade_history
            and not self.unfinished
        )

    @property
    def steps(self) -> tuple[Step, ...]:
        """What executing this plan does, in order. The history table is created (or brought
        to shape) by the first step that needs it: inside the baseline's transaction, or a
        fresh chain's first migration's, or its own step before an autocommit migration."""
        steps: list[Step] = []
        ready = not self.upgrade_history and not self.adopt
        if self.convert is not None:
            steps.append(Step(STEP_CONVERT))
            ready = True
        if self.baseline is not None:
            steps.append(Step(STEP_BASELINE))
            ready = True
        elif not ready and self.applied:
            steps.append(Step(STEP_PREPARE))  # an existing (older runner's) history
            ready = True
        for m in self.pending:
            if m.transactional:
                steps.append(Step(STEP_APPLY, m, creates_history=not ready))
            else:
                if not ready:
                    steps.append(Step(STEP_PREPARE))
                steps.append(Step(STEP_BATCHED if m.file.batched else STEP_AUTOCOMMIT, m))
            ready = True
        return tuple(steps)

    @property
    def version_now(self) -> int | None:
        """The highest version the database holds before this plan runs."""
        return max(
            (row_key(row)[0] for row in self.applied if not _is_baseline_row(row)), default=None
        )

    @property
    def version_after(self) -> int | None:
        """The highest version the database holds once this plan has run."""
        numbers = [m.number for m in self.contained + self.pending]
        now = self.version_now
        return max(numbers + ([now] if now is not None else []), default=None)


def plan(
    source: MigrationSet, state: DatabaseState, options: PlanOptions, *, locked: bool = True
) -> Plan:
    """`locked`: the caller holds the advisory lock, so nothing else is running migrations."""
    if state.foreign is not None:
        return _plan_foreign(source, state, state.foreign, options)
    if not state.has_history:
        return _plan_fresh(source, state, options)
    return _plan_existing(source, state, options, locked)


def _within_target(
    migrations: tuple[Migration, ...], options: PlanOptions
) -> tuple[Migration, ...]:
    if options.target is None:
        return migrations
    return tuple(m for m in migrations if m.number <= options.target)


def _plan_fresh(source: MigrationSet, state: DatabaseState, options: PlanOptions) -> Plan:
    if state.sentinel_exists:
        raise ValidationError(
            "The database already has tables (the sentinel table exists) but no migration "
            "history, so it is not known which migrations it contains.",
            hint="Adopt it once with 'aim-migrate baseline --version N', where N is the last "
            "migration its schema already includes; later runs then apply only newer ones.",
            event="db.unmanaged",
        )
    baseline = source.baseline
    if baseline is not None and (options.target is None or options.target >= baseline.version):
        contained = tuple(m for m in source.migrations if m.number <= baseline.version)
        rest = tuple(m for m in source.migrations if m.number > baseline.version)
        pending = _within_target(rest, options)
        return Plan(TRACK_BASELINE, baseline, contained, pending, (), (), True, source.notices)
    pending = _within_target(source.migrations, options)
    return Plan(TRACK_CHAIN, None, (), pending, (), (), bool(pending), source.notices)


def _plan_foreign(
    source: MigrationSet, state: DatabaseState, foreign: ForeignHistory, options: PlanOptions
) -> Plan:
    """golang-migrate's table: every file up to its version counts as applied (checksums taken
    from the files as they are now), unless it says that version is dirty."""
    if foreign.dirty:
        raise ValidationError(
            f"The golang-migrate history says migration {foreign.version} is dirty: it failed "
            "or was interrupted halfway, so its changes may be partly applied.",
            hint=f"Check what migration {foreign.version} did and finish or undo it by hand; "
            "then record the last fully applied version as clean (UPDATE schema_migrations SET "
            "version = N, dirty = false) and re-run: aim-migrate then adopts the history.",
            event="history.dirty",
            at_version=foreign.version,
        )
    if foreign.version is None:
        return _plan_fresh(source, state, options)._replace(convert=foreign)
    adopted = tuple(m for m in source.migrations if m.number <= foreign.version)
    rows = tuple(
        HistoryRow(
            version=m.name,
            version_number=m.number,
            description=m.description,
            track=LEGACY,
            checksum=m.file.checksum,
        )
        for m in adopted
    )
    pending, deferred = _within_phase(
        _within_target(tuple(m for m in source.migrations if m.number > foreign.version), options),
        options,
    )
    notice = Notice(
        "history.foreign",
        f"The history table is golang-migrate's, at version {foreign.version}: "
        f"{len(adopted)} migration file(s) up to it count as applied, and the table is "
        "converted to aim-migrate's in place before anything else runs.",
        {"kind": foreign.kind, "at_version": foreign.version, "adopted": len(adopted)},
    )
    return Plan(
        TRACK_INCREMENTAL,
        None,
        (),
        pending,
        rows,
        (),
        True,
        (*source.notices, notice),
        convert=foreign,
        deferred=deferred,
    )


def unfinished_error(version: str, status: str) -> MigrationError:
    """A non-transactional migration (or revert) that started and did not finish."""
    return MigrationError(
        f"Migration {version} ran outside a transaction and did not finish "
        f"(status {status!r}); some of its statements may have taken effect.",
        hint="Check what it did: look for INVALID indexes (pg_index.indisvalid = false) "
        "and for the objects the file creates or drops, finish or undo them by hand, then "
        "run 'aim-migrate repair --reason \"...\"' to clear the record so it is retried"
        + (
            " (a cleared revert means the forward migration is applied again by migrate)."
            if status == REVERTING
            else "."
        ),
        event="migration.incomplete",
        migration=version,
        status=status,
    )


def _plan_existing(
    source: MigrationSet, state: DatabaseState, options: PlanOptions, locked: bool
) -> Plan:
    files = source.by_name()
    # A batched migration that stopped halfway resumes: its statement is idempotent by
    # construction, and the rows it already changed are simply not selected again.
    resumable = {
        row.name
        for row in state.rows
        if row.status in (STARTED, FAILED) and row.name in files and files[row.name].file.batched
    }
    unfinished = tuple(
        row for row in state.rows if row.status != APPLIED and row.name not in resumable
    )
    if unfinished and locked:
        raise unfinished_error(unfinished[0].version, unfinished[0].status)

    baseline_rows = [row for row in state.rows if _is_baseline_row(row)]
    incremental_rows = [row for row in state.rows if not _is_baseline_row(row)]
    # The original runner recorded a baseline without saying what it contained; ours says it
    # with the rows of the contained migrations (and the baseline row's version_number).
    unexplained = [row for row in baseline_rows if row.track in (None, LEGACY)]
    if unexplained and not incremental_rows:
        row = unexplained[0]
        declared = source.baseline.version if source.baseline else None
        raise ValidationError(
            f"The history records baseline {row.version} but not which incremental migrations "
            "it contained (it was written by an older runner).",
            hint="Record it once with 'aim-migrate baseline --version N', N being the last "
            "incremental migration that baseline consolidated"
            + (f" (the current baseline file declares {declared})." if declared else "."),
            event="history.ambiguous_baseline",
            migration=row.version,
        )

    check_checksums(incremental_rows, files)

    applied_names = {row.name for row in state.rows}
    notices = list(source.notices)
    orphans = [row.version for row in incremental_rows if row.name not in files]
    if orphans:
        shown = ", ".join(orphans[:5]) + (
            f" and {len(orphans) - 5} more" if len(orphans) > 5 else ""
        )
        notices.append(
            Notice(
                "history.orphan",
                f"History rows match no migration file: {shown}. They are kept and never "
                "re-applied.",
                {"versions": orphans},
            )
        )

    pending = tuple(
        m for m in source.migrations if m.name not in applied_names or m.name in resumable
    )
    # Only rows that match a file count: a deleted file or a `.down` row the original runner
    # recorded says nothing about the order of the files we have.
    newest = max((row_key(row) for row in incremental_rows if row.name in files), default=None)
    if newest is not None and not options.out_of_order:
        # A post-deploy migration waits for the rollout by design, so pre-deploy ones numbered
        # after it may be applied first: that is not out of order.
        late = [m for m in pending if m.sort_key < newest and m.phase != POST_DEPLOY]
        if late:
            names = ", ".join(m.name for m in late)
            raise ValidationError(
                f"Pending migration(s) {names} are older than the newest applied one "
                f"({newest[1]}).",
                hint="Renumber them above the newest applied migration, or run with "
                "--out-of-order (AIM_OUT_OF_ORDER=true) if applying them late is safe.",
                event="validation.out_of_order",
                migrations=[m.name for m in late],
                newest_applied=newest[1],
            )

    adopt = tuple(
        Record(
            version=row.version,
            version_number=files[row.name].number,
            description=files[row.name].description,
            track=LEGACY,
            checksum=files[row.name].file.checksum,
        )
        for row in incremental_rows
        if row.checksum is None and row.name in files
    )
    chosen, deferred = _within_phase(_within_target(pending, options), options)
    return Plan(
        TRACK_INCREMENTAL,
        None,
        (),
        chosen,
        state.rows,
        adopt,
        state.history_needs_upgrade,
        tuple(notices),
        unfinished,
        deferred=deferred,
    )


def _within_phase(
    pending: tuple[Migration, ...], options: PlanOptions
) -> tuple[tuple[Migration, ...], tuple[Migration, ...]]:
    """(to apply now, deferred to the post-deploy phase)."""
    if options.phase != PHASE_PRE_DEPLOY:
        return pending, ()
    return (
        tuple(m for m in pending if m.phase != POST_DEPLOY),
        tuple(m for m in pending if m.phase == POST_DEPLOY),
    )


def _is_baseline_row(row: HistoryRow) -> bool:
    if row.track is not None and row.track != LEGACY:
        return row.track == BASELINE
    return _BASELINE_ROW.fullmatch(row.name) is not None


def row_key(row: HistoryRow) -> tuple[int, str]:
    """(version number, name) of a history row; -1 when the name has no number."""
    if row.version_number is not None:
        return (row.version_number, row.name)
    match = _INCREMENTAL_ROW.match(row.name)
    return (int(match.group(1)) if match else -1, row.name)


def check_checksums(rows: list[HistoryRow], files: dict[str, Migration]) -> None:
    changed = [
        (row, files[row.name])
        for row in rows
        if row.checksum is not None
        and row.name in files
        and files[row.name].file.checksum != row.checksum
    ]
    if not changed:
        return
    names = ", ".join(m.file.path.name for _, m in changed)
    first_row, first = changed[0]
    raise ValidationError(
        f"Applied migration file(s) changed since they were applied: {names}.",
        hint="Applied migrations are immutable: restore the original file(s) and put the change "
        "in a new migration. If the edit was intentional and reviewed, re-record the checksum "
        "with 'aim-migrate repair --reason \"...\"'.",
        event="validation.checksum_mismatch",
        file=str(first.file.path),
        recorded_checksum=first_row.checksum,
        actual_checksum=first.file.checksum,
        files=[str(m.file.path) for _, m in changed],
    )
