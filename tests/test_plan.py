"""Pure tests of the planner: files loaded from tmp_path, database state built by hand."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path

import pytest
from aim_migrate import history
from aim_migrate.errors import ExitCode, MigrationError, ValidationError
from aim_migrate.history import HistoryRow, Record
from aim_migrate.inspection import DatabaseState
from aim_migrate.plan import TRACK_BASELINE, TRACK_CHAIN, TRACK_INCREMENTAL, PlanOptions, plan
from aim_migrate.source import Migration, MigrationSet, load
from hypothesis import given, settings
from hypothesis import strategies as st

FULL = frozenset(history.COLUMNS)
LEGACY_COLUMNS = frozenset({"version", "applied_at"})
BASELINE_HEADER = "-- aim-migrate: baseline-version={}\nCREATE TABLE base (a int);\n"


def source_of(directory: Path, names: Iterable[str], **files: str) -> MigrationSet:
    """Write one small file per name (plus explicit contents) and load the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        (directory / name).write_text(f"CREATE TABLE t{i} (a int);\n", encoding="utf-8")
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return load(directory)


def state(
    rows: Iterable[HistoryRow] = (),
    *,
    columns: frozenset[str] | None = FULL,
    sentinel: bool = False,
) -> DatabaseState:
    return DatabaseState(history_columns=columns, sentinel_exists=sentinel, rows=tuple(rows))


def fresh(*, sentinel: bool = False) -> DatabaseState:
    return state((), columns=None, sentinel=sentinel)


def row(m: Migration, track: str = history.INCREMENTAL, **kw: object) -> HistoryRow:
    fields: dict[str, object] = {
        "version_number": m.number,
        "description": m.description,
        "track": track,
        "checksum": m.file.checksum,
    }
    fields.update(kw)
    return HistoryRow(m.name, **fields)  # type: ignore[arg-type]


def names(migrations: Iterable[Migration]) -> list[str]:
    return [m.name for m in migrations]


# --- fresh databases ----------------------------------------------------------------------


def test_fresh_database_with_baseline_takes_baseline_track(tmp_path: Path) -> None:
    source = source_of(
        tmp_path,
        ["001_a.sql", "002_b.sql", "003_c.sql", "004_d.sql"],
        **{"V1__schema.sql": BASELINE_HEADER.format(2)},
    )
    p = plan(source, fresh(), PlanOptions())
    assert p.track == TRACK_BASELINE == "baseline"
    assert p.baseline is source.baseline
    assert names(p.contained) == ["001_a", "002_b"]
    assert names(p.pending) == ["003_c", "004_d"]
    assert p.applied == ()
    assert p.adopt == ()
    assert p.upgrade_history is True
    assert not p.is_noop
    assert p.version_now is None
    assert p.version_after == 4


def test_fresh_baseline_containing_everything_has_nothing_pending(tmp_path: Path) -> None:
    source = source_of(
        tmp_path, ["001_a.sql", "002_b.sql"], **{"V1__schema.sql": BASELINE_HEADER.format(2)}
    )
    p = plan(source, fresh(), PlanOptions())
    assert p.track == TRACK_BASELINE
    assert names(p.contained) == ["001_a", "002_b"]
    assert p.pending == ()
    assert not p.is_noop  # the baseline itself still runs
    assert p.version_after == 2


def test_fresh_baseline_track_with_target(tmp_path: Path) -> None:
    source = source_of(
        tmp_path,
        ["001_a.sql", "002_b.sql", "003_c.sql", "004_d.sql"],
        **{"V1__schema.sql": BASELINE_HEADER.format(2)},
    )
    p = plan(source, fresh(), PlanOptions(target=3))
    assert p.track == TRACK_BASELINE
    assert names(p.contained) == ["001_a", "002_b"]
    assert names(p.pending) == ["003_c"]
    assert p.version_after == 3

    below = plan(source, fresh(), PlanOptions(target=1))  # below the baseline: chain instead
    assert below.track == TRACK_CHAIN
    assert below.baseline is None
    assert names(below.pending) == ["001_a"]


def test_fresh_database_without_baseline_runs_the_chain(tmp_path: Path) -> None:
    source = source_of(tmp_path, ["10_y.sql", "2_x.sql", "002_w.sql"])
    p = plan(source, fresh(), PlanOptions())
    assert p.track == TRACK_CHAIN == "chain"
    assert p.baseline is None
    assert p.contained == ()
    assert names(p.pending) == ["002_w", "2_x", "10_y"]
    assert p.upgrade_history is True
    assert not p.is_noop
    assert (p.version_now, p.version_after) == (None, 10)
    assert [n.code for n in p.notices] == ["source.duplicate_version"]


def test_fresh_database_with_empty_history_table_is_still_fresh(tmp_path: Path) -> None:
    source = source_of(tmp_path, ["001_a.sql"])
    p = plan(source, state((), columns=FULL), PlanOptions())
    assert p.track == TRACK_CHAIN
    assert names(p.pending) == ["001_a"]


def test_fresh_database_and_empty_directory_is_a_noop(tmp_path: Path) -> None:
    p = plan(source_of(tmp_path, []), fresh(), PlanOptions())
    assert p.track == TRACK_CHAIN
    assert p.pending == ()
    assert p.upgrade_history is False
    assert p.is_noop
    assert (p.version_now, p.version_after) == (None, None)


@pytest.mark.parametrize("columns", [None, FULL])
def test_sentinel_without_history_is_unmanaged(
    tmp_path: Path, columns: frozenset[str] | None
) -> None:
    source = source_of(tmp_path, ["001_a.sql"], **{"V1__schema.sql": BASELINE_HEADER.format(1)})
    with pytest.raises(ValidationError) as info:
        plan(source, state((), columns=columns, sentinel=True), PlanOptions())
    assert info.value.event == "db.unmanaged"
    assert info.value.exit_code == ExitCode.VALIDATION == 3
    assert "baseline --version" in info.value.hint


# --- existing databases -------------------------------------------------------------------


def test_everything_applied_is_a_noop(tmp_path: Path) -> None:
    source = source_of(tmp_path, ["001_a.sql", "002_b.sql", "003_c.sql"])
    db = state(row(m) for m in source.migrations)
    p = plan(source, db, PlanOptions())
    assert p.track == TRACK_INCREMENTAL == "incremental"
    assert p.pending == ()
    assert p.adopt == ()
    assert p.upgrade_history is False
    assert p.applied == db.rows
    assert p.is_noop
    assert (p.version_now, p.version_after) == (3, 3)


def test_everything_applied_after_a_baseline_is_a_noop(tmp_path: Path) -> None:
    source = source_of(
        tmp_path, ["001_a.sql", "002_b.sql"], **{"V9__schema.sql": BASELINE_HEADER.format(1)}
    )
    a, b = source.migrations
    assert source.baseline is not None
    base = HistoryRow(
        "V9__schema",
        version_number=1,
        track=history.BASELINE,
        checksum=source.baseline.file.checksum,
    )
    p = plan(source, state([base, row(a, history.CONTAINED), row(b)]), PlanOptions())
    assert p.track == TRACK_INCREMENTAL
    assert p.is_noop
    assert p.version_now == 2  # the baseline row's name (V9) is not a version


def test_missing_migrations_are_pending_in_order(tmp_path: Path) -> None:
    source = source_of(
        tmp_path,
        ["001_a.sql", "002_b.sql", "003_c.sql", "005_zeta.sql", "005_alpha.sql", "4_d.sql"],
    )
    by = source.by_name()
    db = state(row(by[n]) for n in ["001_a", "003_c", "002_b"])
    p = plan(source, db, PlanOptions())
    assert p.track == TRACK_INCREMENTAL
    assert names(p.pending) == ["4_d", "005_alpha", "005_zeta"]
    assert not p.is_noop
    assert (p.version_now, p.version_after) == (3, 5)
    assert [n.code for n in p.notices] == ["source.duplicate_version"]


def test_out_of_order_pending_is_refused(tmp_path: Path) -> None:
    source = source_of(tmp_path, ["001_a.sql", "002_b.sql", "003_c.sql", "004_d.sql"])
    by = source.by_name()
    db = state([row(by["001_a"]), row(by["003_c"])])
    with pytest.raises(ValidationError) as info:
        plan(source, db, PlanOptions())
    assert info.value.event == "validation.out_of_order"
    assert info.value.exit_code == 3
    assert info.value.fields["migrations"] == ["002_b"]
    assert info.value.fields["newest_applied"] == "003_c"

    p = plan(source, db, PlanOptions(out_of_order=True))
    assert names(p.pending) == ["002_b", "004_d"]


def test_same_number_sorting_before_applied_name_is_out_of_order(tmp_path: Path) -> None:
    source = source_of(tmp_path, ["002_a.sql", "002_b.sql"])
    db = state([row(source.by_name()["002_b"])])
    with pytest.raises(ValidationError) as info:
        plan(source, db, PlanOptions())
    assert info.value.fields["migrations"] == ["002_a"]
    assert names(plan(source, db, PlanOptions(out_of_order=True)).pending) == ["002_a"]


def test_checksum_mismatch_lists_every_changed_file(tmp_path: Path) -> None:
    source = source_of(tmp_path, ["001_a.sql", "002_b.sql", "003_c.sql", "004_d.sql"])
    a, b, c, _ = source.migrations
    db = state([row(a, checksum="0" * 64), row(b), row(c, checksum="f" * 64)])
    with pytest.raises(ValidationError) as info:
        plan(source, db, PlanOptions())
    exc = info.value
    assert exc.event == "validation.checksum_mismatch"
    assert exc.exit_code == 3
    assert exc.fields["files"] == [str(a.file.path), str(c.file.path)]
    assert exc.fields["file"] == str(a.file.path)
    assert exc.fields["recorded_checksum"] == "0" * 64
    assert exc.fields["actual_checksum"] == a.file.checksum
    assert "001_a.sql" in exc.message
    assert "003_c.sql" in exc.message
    assert "002_b.sql" not in exc.message


def test_checksum_mismatch_wins_over_out_of_order(tmp_path: Path) -> None:
    source = source_of(tmp_path, ["001_a.sql", "002_b.sql", "003_c.sql"])
    a, _, c = source.migrations
    db = state([row(a), row(c, checksum="x")])
    with pytest.raises(ValidationError) as info:
        plan(source, db, PlanOptions(out_of_order=True))
    assert info.value.event == "validation.checksum_mismatch"


def test_changed_baseline_file_is_not_an_error(tmp_path: Path) -> None:
    source = source_of(
        tmp_path,
        ["001_a.sql", "002_b.sql", "003_c.sql"],
        **{"V1__schema.sql": BASELINE_HEADER.format(2)},
    )
    a, b, c = source.migrations
    base = HistoryRow("V1__schema", version_number=2, track=history.BASELINE, checksum="old")
    p = plan(
        source, state([base, row(a, history.CONTAINED), row(b, history.CONTAINED)]), PlanOptions()
    )
    assert p.pending == (c,)
    assert p.adopt == ()


@pytest.mark.parametrize("status", [history.STARTED, history.FAILED])
def test_unfinished_row_is_a_migration_error(tmp_path: Path, status: str) -> None:
    source = source_of(tmp_path, ["001_a.sql", "002_b.sql", "003_c.sql"])
    a, b, _ = source.migrations
    db = state([row(a), row(b, status=status, checksum="stale")])
    with pytest.raises(MigrationError) as info:
        plan(source, db, PlanOptions(out_of_order=True))
    exc = info.value
    assert not isinstance(exc, ValidationError)
    assert exc.exit_code == ExitCode.MIGRATION_FAILED == 1
    assert exc.event == "migration.incomplete"
    assert exc.fields == {"migration": "002_b", "status": status}
    assert "repair" in exc.hint


# --- legacy history (the original runner's two-column table) ------------------------------


def test_legacy_history_is_adopted_in_place(tmp_path: Path) -> None:
    source = source_of(
        tmp_path,
        ["001_initial_schema.sql", "002_x.up.sql", "002_x.down.sql", "003_new.sql"],
    )
    init, x, new = source.migrations
    db = state([HistoryRow("001_initial_schema"), HistoryRow("002_x.up")], columns=LEGACY_COLUMNS)
    assert db.history_needs_upgrade
    p = plan(source, db, PlanOptions())
    assert p.track == TRACK_INCREMENTAL
    assert p.upgrade_history is True
    assert p.adopt == (
        Record("001_initial_schema", 1, "initial_schema", history.LEGACY, init.file.checksum),
        Record("002_x.up", 2, "x", history.LEGACY, x.file.checksum),
    )
    assert p.pending == (new,)
    assert p.notices == ()
    assert (p.version_now, p.version_after) == (2, 3)


def test_fully_applied_legacy_history_reapplies_nothing(tmp_path: Path) -> None:
    source = source_of(tmp_path, ["001_initial_schema.sql", "002_x.up.sql"])
    db = state([HistoryRow("001_initial_schema"), HistoryRow("002_x.up")], columns=LEGACY_COLUMNS)
    p = plan(source, db, PlanOptions())
    assert p.pending == ()
    assert len(p.adopt) == 2
    assert p.upgrade_history is True
    assert not p.is_noop  # the table still has to be brought to shape


def test_partially_adopted_legacy_rows_only_adopt_the_rest(tmp_path: Path) -> None:
    source = source_of(tmp_path, ["001_a.sql", "002_b.sql"])
    a, b = source.migrations
    db = state([row(a, history.LEGACY), HistoryRow("002_b", track=history.LEGACY)])
    p = plan(source, db, PlanOptions())
    assert p.adopt == (Record("002_b", 2, "b", history.LEGACY, b.file.checksum),)
    assert p.upgrade_history is False
    assert p.pending == ()


def test_orphan_history_rows_are_a_notice(tmp_path: Path) -> None:
    source = source_of(tmp_path, ["001_a.sql", "003_c.up.sql", "003_c.down.sql", "004_d.sql"])
    db = state(
        [
            HistoryRow("001_a"),
            HistoryRow("002_gone"),
            HistoryRow("003_c.up"),
            HistoryRow("003_c.down"),
        ],
        columns=LEGACY_COLUMNS,
    )
    p = plan(source, db, PlanOptions())
    assert names(p.pending) == ["004_d"]
    assert [r.version for r in p.adopt] == ["001_a", "003_c.up"]
    (notice,) = p.notices
    assert notice.code == "history.orphan"
    assert notice.fields == {"versions": ["002_gone", "003_c.down"]}
    assert "002_gone" in notice.message
    assert "003_c.down" in notice.message


def test_many_orphans_are_summarised(tmp_path: Path) -> None:
    source = source_of(tmp_path, ["001_a.sql"])
    gone = [f"00{i}_gone" for i in range(2, 9)]
    db = state([row(source.migrations[0]), *(HistoryRow(v) for v in gone)])
    p = plan(source, db, PlanOptions())
    (notice,) = p.notices
    assert notice.fields == {"versions": gone}
    assert "and 2 more" in notice.message
    assert p.pending == ()
    assert p.version_now == 8


def test_legacy_down_row_does_not_make_its_migration_out_of_order(tmp_path: Path) -> None:
    source = source_of(tmp_path, ["001_a.sql", "002_b.sql", "002_b.down.sql"])
    db = state([HistoryRow("001_a"), HistoryRow("002_b.down")], columns=LEGACY_COLUMNS)
    p = plan(source, db, PlanOptions())
    assert names(p.pending) == ["002_b"]
    assert [n.code for n in p.notices] == ["history.orphan"]


@pytest.mark.parametrize("with_baseline_file", [False, True])
def test_legacy_history_with_only_a_baseline_is_ambiguous(
    tmp_path: Path, with_baseline_file: bool
) -> None:
    extra = {"V1__consolidated_schema.sql": BASELINE_HEADER.format(2)} if with_baseline_file else {}
    source = source_of(tmp_path, ["001_a.sql", "002_b.sql", "003_c.sql"], **extra)
    db = state([HistoryRow("V1__consolidated_schema")], columns=LEGACY_COLUMNS)
    with pytest.raises(ValidationError) as info:
        plan(source, db, PlanOptions())
    assert info.value.event == "history.ambiguous_baseline"
    assert info.value.exit_code == 3
    assert info.value.fields == {"migration": "V1__consolidated_schema"}
    assert ("declares 2" in info.value.hint) is with_baseline_file


def test_own_baseline_with_version_zero_is_not_ambiguous(tmp_path: Path) -> None:
    source = source_of(tmp_path, [], **{"V1__init.sql": BASELINE_HEADER.format(0)})
    assert source.baseline is not None
    first = plan(source, fresh(), PlanOptions())
    assert (first.track, first.contained, first.pending) == (TRACK_BASELINE, (), ())
    # What the executor records for that plan: the baseline row alone.
    base = HistoryRow(
        "V1__init",
        version_number=0,
        description="init",
        track=history.BASELINE,
        checksum=source.baseline.file.checksum,
    )
    assert plan(source, state([base]), PlanOptions()).is_noop


# --- options and versions -----------------------------------------------------------------


def test_target_limits_pending(tmp_path: Path) -> None:
    source = source_of(tmp_path, ["001_a.sql", "002_b.sql", "003_c.sql", "004_d.sql"])
    db = state([row(source.migrations[0])])
    p = plan(source, db, PlanOptions(target=3))
    assert names(p.pending) == ["002_b", "003_c"]
    assert (p.version_now, p.version_after) == (1, 3)
    none = plan(source, db, PlanOptions(target=1))
    assert none.pending == ()
    assert none.is_noop
    assert none.version_after == 1

    chain = plan(source, fresh(), PlanOptions(target=2))
    assert names(chain.pending) == ["001_a", "002_b"]


def test_version_now_uses_legacy_names_when_number_is_missing(tmp_path: Path) -> None:
    source = source_of(tmp_path, ["0010_a.sql", "0020_b.sql", "0030_c.sql"])
    db = state([HistoryRow("0010_a"), HistoryRow("0020_b.up")], columns=LEGACY_COLUMNS)
    p = plan(source, db, PlanOptions())
    assert (p.version_now, p.version_after) == (20, 30)


# --- property -----------------------------------------------------------------------------


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[str], list[bool], str]:
    descriptions = draw(
        st.lists(
            st.text(alphabet="abxyz", min_size=1, max_size=3), min_size=1, max_size=8, unique=True
        )
    )
    files = [
        f"{draw(st.integers(0, 9)):0{draw(st.sampled_from([1, 3]))}d}_{desc}"
        + draw(st.sampled_from([".sql", ".sql", ".up.sql"]))
        for desc in descriptions
    ]
    applied = draw(st.lists(st.booleans(), min_size=len(files), max_size=len(files)))
    style = draw(st.sampled_from(["ours", "legacy", "legacy-up"]))
    return files, applied, style


@settings(max_examples=150, deadline=None, database=None)
@given(scenarios())
def test_pending_is_exactly_what_history_lacks(
    scenario: tuple[list[str], list[bool], str],
) -> None:
    files, applied_flags, style = scenario
    with tempfile.TemporaryDirectory() as tmp:
        source = source_of(Path(tmp), files)
        by_file = {m.file.path.name: m for m in source.migrations}
        applied = [by_file[f] for f, flag in zip(files, applied_flags, strict=True) if flag]
        if style == "ours":
            db = state(row(m) for m in applied)
        else:
            suffix = ".up" if style == "legacy-up" else ""
            db = state((HistoryRow(m.name + suffix) for m in applied), columns=LEGACY_COLUMNS)
        if not applied:
            db = fresh()

        missing = tuple(m for m in source.migrations if m not in applied)
        newest = max((m.sort_key for m in applied), default=None)
        late = [m for m in missing if newest is not None and m.sort_key < newest]

        # Refused exactly when a pending migration sorts before the newest applied one.
        if late:
            with pytest.raises(ValidationError) as info:
                plan(source, db, PlanOptions())
            assert info.value.event == "validation.out_of_order"
            assert info.value.fields["migrations"] == [m.name for m in late]
        else:
            assert plan(source, db, PlanOptions()).pending == missing

        relaxed = plan(source, db, PlanOptions(out_of_order=True))
        assert relaxed.pending == missing
        assert relaxed.track == (TRACK_INCREMENTAL if applied else TRACK_CHAIN)
        assert not any(n.code == "history.orphan" for n in relaxed.notices)
        if style != "ours" and applied:
            assert {r.version for r in relaxed.adopt} == {r.version for r in db.rows}
