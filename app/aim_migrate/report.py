"""Reports for people and scripts: what status, plan, validate, verify, history and
`down --dry-run` print. Rendering only: the commands run elsewhere (commands.py)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aim_migrate.history import HistoryRow
from aim_migrate.plan import TRACK_BASELINE, TRACK_CHAIN, Plan, row_key
from aim_migrate.source import PRE_DEPLOY

if TYPE_CHECKING:
    from aim_migrate.catalog import Difference
    from aim_migrate.consolidate import Consolidation
    from aim_migrate.rollback import Revert
    from aim_migrate.source import Migration

_TRACKS = {
    TRACK_BASELINE: "fresh database: consolidated baseline, then newer incrementals",
    TRACK_CHAIN: "fresh database, no baseline file: the whole incremental chain",
    "incremental": "existing database: only what its history lacks",
}


def plan_document(plan: Plan) -> dict[str, Any]:
    return {
        "track": plan.track,
        "current_version": plan.version_now,
        "version_after": plan.version_after,
        "baseline": None
        if plan.baseline is None
        else {
            "name": plan.baseline.name,
            "file": str(plan.baseline.file.path),
            "contains_through": plan.baseline.version,
            "records": [m.name for m in plan.contained],
        },
        "pending": [
            {
                "name": m.name,
                "version": m.number,
                "file": str(m.file.path),
                "transactional": m.transactional,
                "phase": m.phase,
                "batched": m.file.batched,
            }
            for m in plan.pending
        ],
        "deferred": [
            {"name": m.name, "version": m.number, "phase": m.phase} for m in plan.deferred
        ],
        "applied": [
            {
                "version": row.version,
                "track": row.track,
                "status": row.status,
                "checksum": row.checksum,
                "applied_at": row.applied_at.isoformat() if row.applied_at else None,
                "applied_by": row.applied_by,
                "duration_ms": row.duration_ms,
                "phase": row.phase,
            }
            for row in plan.applied
        ],
        "history_upgrade": plan.upgrade_history and bool(plan.applied),
        "unfinished": [{"version": r.version, "status": r.status} for r in plan.unfinished],
        "notices": [{"code": n.code, "message": n.message} for n in plan.notices],
    }


def render_plan(plan: Plan, command: str, *, as_json: bool) -> str:
    if as_json:
        return json.dumps(plan_document(plan), indent=2) + "\n"
    lines = [f"track:    {plan.track} ({_TRACKS[plan.track]})"]
    lines.append(
        f"version:  {_v(plan.version_now)}"
        + (f" -> {_v(plan.version_after)}" if not plan.is_noop else " (up to date)")
    )
    if command == "status":
        lines.append(f"applied:  {len(plan.applied)} history row(s)")
    if plan.baseline is not None:
        lines.append(
            f"baseline: {plan.baseline.file.path.name} (contains 1..{plan.baseline.version}; "
            f"records {len(plan.contained)} migration(s) without running them)"
        )
    lines.append(f"pending:  {len(plan.pending)}")
    for m in plan.pending:
        lines.append(f"  {m.file.path.name}{_marks(m)}")
    if plan.deferred:
        lines.append(
            f"deferred: {len(plan.deferred)} post-deploy (for 'migrate' after the rollout)"
        )
        lines.extend(f"  {m.file.path.name}{_marks(m)}" for m in plan.deferred)
    for row in plan.unfinished:
        lines.append(
            f"unfinished: {row.version} ({row.status}): a non-transactional migration that "
            "another runner is applying now, or that was interrupted"
        )
    if plan.upgrade_history and plan.applied:
        lines.append("history:  will be upgraded in place (older runner's table)")
    for notice in plan.notices:
        lines.append(f"warning:  {notice.message}")
    return "\n".join(lines) + "\n"


def _marks(m: Migration) -> str:
    marks = [m.phase] if m.phase != PRE_DEPLOY else []
    if m.file.batched:
        marks.append("batched")
    elif not m.transactional:
        marks.append("no transaction")
    return "".join(f"  [{mark}]" for mark in marks)


def render_validation(result: dict[str, Any], *, as_json: bool) -> str:
    if as_json:
        return json.dumps(result, indent=2) + "\n"
    where = " and against the database" if result["database_checked"] else " (offline)"
    return f"ok: {result['files']} migration file(s) valid{where}\n"


def _v(version: int | None) -> str:
    return "none" if version is None else str(version)


def render_verify(differences: list[Difference], hints: list[str] | None, *, as_json: bool) -> str:
    if as_json:
        document: dict[str, Any] = {
            "identical": not differences,
            "differences": [d.as_dict() for d in differences],
        }
        if hints is not None:
            document["fix_hints"] = hints
        return json.dumps(document, indent=2, default=str) + "\n"
    lines = []
    for d in differences:
        lines.append(f"{d.object}  [{d.attribute}]")
        lines.append(f"    baseline: {_shown(d.baseline)}")
        lines.append(f"    chain:    {_shown(d.chain)}")
    if hints:
        lines.append("\n-- As the chain builds them (copy into the baseline):")
        lines.append("\n".join(hints))
    lines.append(
        "identical: the baseline and the chain build the same database"
        if not differences
        else f"DRIFT: {len(differences)} difference(s) between the baseline and the chain"
    )
    return "\n".join(lines) + "\n"


_LISTED = 20  # objects listed per kind of change


def render_consolidation(result: Consolidation, *, check: bool) -> str:
    """`consolidate [--check]`: which file, from which chain, and what changed in it."""
    name = result.path.name
    source = f"baseline-version={result.version}, {result.objects} object(s)"
    if result.up_to_date:
        return f"up to date: {name} is what the chain generates ({source})\n"
    if check:
        head = f"STALE: {name} is not what the chain generates ({source})"
        if not result.existed:
            head = f"MISSING: there is no baseline; consolidate would write {name} ({source})"
    else:
        head = f"{'wrote' if result.existed else 'created'} {result.path} ({source})"
    lines = [head]
    if result.existed:
        changes = result.changes
        for label, keys in (
            ("added", changes.added),
            ("removed", changes.removed),
            ("changed", changes.changed),
        ):
            lines.extend(f"  {label:8} {key}" for key in keys[:_LISTED])
            if len(keys) > _LISTED:
                lines.append(f"  {label:8} ... and {len(keys) - _LISTED} more")
        if result.previous_version != result.version:
            lines.append(
                f"  header   baseline-version {result.previous_version} -> {result.version}"
            )
        elif changes.header:
            lines.append("  header   the generated-file banner")
    return "\n".join(lines) + "\n"


def render_down_plan(reverts: list[Revert]) -> str:
    """`down --dry-run`: what would be reverted, data-losing steps marked."""
    lines = []
    for rv in reverts:
        loss = "  [data loss]" if rv.data_loss else ""
        down_file = rv.migration.down.path.name if rv.migration.down else "?"
        lines.append(f"would revert {rv.migration.name} with {down_file}{loss}")
    return "\n".join(lines or ["nothing to revert"]) + "\n"


def _shown(value: object) -> str:
    if value is True:
        return "present"
    if value is False or value is None:
        return "absent"
    return json.dumps(value, default=str) if not isinstance(value, str) else value


def render_history(rows: tuple[HistoryRow, ...], *, as_json: bool) -> str:
    """The audit trail: version, track, status, checksum, when, by whom, how long, why."""
    records: list[dict[str, Any]] = [
        {
            "version": r.version,
            "track": r.track,
            "status": r.status,
            "checksum": r.checksum,
            "applied_at": r.applied_at.isoformat() if r.applied_at else None,
            "applied_by": r.applied_by,
            "duration_ms": r.duration_ms,
            "phase": r.phase,
            "reason": r.reason,
        }
        for r in sorted(rows, key=row_key)
    ]
    if as_json:
        return json.dumps(records, indent=2) + "\n"
    header = (
        f"{'version':40} {'track':11} {'phase':11} {'status':9} {'applied_at':26} {'by':24} "
        "ms  reason"
    )
    lines = [header]
    for r in records:
        lines.append(
            f"{r['version']:40} {r['track'] or '':11} {r['phase'] or '':11} {r['status']:9} "
            f"{(r['applied_at'] or '')[:26]:26} {(r['applied_by'] or '')[:24]:24} "
            f"{r['duration_ms'] if r['duration_ms'] is not None else '':>3} {r['reason'] or ''}"
        )
    return "\n".join(lines) + "\n"
