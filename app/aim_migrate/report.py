"""Reports for people and scripts: `status`, `plan` and `validate` output."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aim_migrate import source as files
from aim_migrate.errors import ValidationError
from aim_migrate.history import HistoryRow
from aim_migrate.plan import TRACK_BASELINE, TRACK_CHAIN, Plan, row_key

if TYPE_CHECKING:
    from aim_migrate.config import Config
    from aim_migrate.logs import Logger

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
            }
            for m in plan.pending
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
        mode = "" if m.transactional else "  [no transaction]"
        lines.append(f"  {m.file.path.name}{mode}")
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


def validate(config: Config, log: Logger, conninfo: str | None, as_json: bool) -> dict[str, Any]:
    """Offline: names, encoding, directives, statements of every file. Online: also the plan."""
    from aim_migrate import runner  # noqa: PLC0415

    source = runner.load_source(config)
    checked = 0
    if source.baseline is not None:
        files.statements(source.baseline.file, transactional=True)
        checked += 1
    for m in source.migrations:
        files.statements(m.file, transactional=m.transactional)
        if m.down is not None:
            files.statements(m.down, transactional=m.down.transactional)
        checked += 1
    result: dict[str, Any] = {
        "files": checked,
        "baseline": source.baseline.name if source.baseline else None,
        "notices": [n.message for n in source.notices],
        "database_checked": False,
    }
    if conninfo is not None:
        from aim_migrate.plan import PlanOptions  # noqa: PLC0415

        plan = runner.inspect_plan(config, conninfo, log, PlanOptions(config.out_of_order), source)
        result.update(database_checked=True, track=plan.track, pending=len(plan.pending))
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        where = " and against the database" if result["database_checked"] else " (offline)"
        print(f"ok: {checked} migration file(s) valid{where}")
    return result


def _v(version: int | None) -> str:
    return "none" if version is None else str(version)


def verify(
    config: Config, log: Logger, as_json: bool, ignore_names: bool, with_hints: bool
) -> dict[str, Any]:
    from aim_migrate import verify as drift  # noqa: PLC0415

    verdict = drift.verify(config, log, config.dev_database_url, ignore_names=ignore_names)
    hints = drift.fix_hints(verdict) if with_hints else []
    if as_json:
        document = {
            "identical": not verdict.differences,
            "differences": [d.as_dict() for d in verdict.differences],
        }
        if with_hints:
            document["fix_hints"] = hints
        print(json.dumps(document, indent=2, default=str))
    else:
        for d in verdict.differences:
            print(f"{d.object}  [{d.attribute}]")
            print(f"    baseline: {_shown(d.baseline)}")
            print(f"    chain:    {_shown(d.chain)}")
        if hints:
            print("\n-- As the chain builds them (copy into the baseline):")
            print("\n".join(hints))
        print(
            "identical: the baseline and the chain build the same database"
            if not verdict.differences
            else f"DRIFT: {len(verdict.differences)} difference(s) between the baseline and "
            "the chain"
        )
    if verdict.differences:
        first = verdict.differences[0]
        raise ValidationError(
            f"The baseline and the incremental chain differ in {len(verdict.differences)} "
            f"place(s), first: {first.object} [{first.attribute}].",
            hint="Make the baseline match the chain (verify --fix-hint shows the chain's SQL), "
            "then run verify again.",
            event="verify.drift",
            differences=len(verdict.differences),
        )
    return {"differences": 0}


def new(config: Config, log: Logger, description: str) -> dict[str, Any]:
    path = files.create_migration(config.migrations_dir, description)
    log.info("migration.created", file=str(path))
    print(path)
    return {"file": str(path)}


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
            "reason": r.reason,
        }
        for r in sorted(rows, key=row_key)
    ]
    if as_json:
        return json.dumps(records, indent=2) + "\n"
    header = f"{'version':40} {'track':11} {'status':8} {'applied_at':26} {'by':24} ms  reason"
    lines = [header]
    for r in records:
        lines.append(
            f"{r['version']:40} {r['track'] or '':11} {r['status']:8} "
            f"{(r['applied_at'] or '')[:26]:26} {(r['applied_by'] or '')[:24]:24} "
            f"{r['duration_ms'] if r['duration_ms'] is not None else '':>3} {r['reason'] or ''}"
        )
    return "\n".join(lines) + "\n"
