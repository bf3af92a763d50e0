"""`aim-migrate verify`: prove that the baseline and the incremental chain build the same
database.

The baseline goes into one scratch database, migrations 1..N (N = the baseline's declared
version) into another, both through the real runner; then their normalised catalog
snapshots and seeded rows are compared. Scratch databases live on the server of
AIM_DEV_DATABASE_URL (created and dropped there), or on an embedded PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from psycopg import conninfo as pg_conninfo
from psycopg import sql

from aim_migrate import runner
from aim_migrate.catalog import Difference, Snapshot, compare, snapshot
from aim_migrate.config import check_conninfo
from aim_migrate.errors import ConfigError, ValidationError
from aim_migrate.plan import PlanOptions
from aim_migrate.scratch import connect as scratch_connect
from aim_migrate.scratch import server as scratch_server
from aim_migrate.target import target

if TYPE_CHECKING:
    from aim_migrate.config import Config
    from aim_migrate.logs import Logger


@dataclasses.dataclass(frozen=True, slots=True)
class Verdict:
    differences: list[Difference]
    chain: Snapshot  # for --fix-hint: the objects as the chain builds them


def verify(
    config: Config, log: Logger, dev_url: str | None, *, ignore_names: bool = False
) -> Verdict:
    if dev_url:
        check_conninfo(dev_url, "AIM_DEV_DATABASE_URL")
    source = runner.load_source(config)
    baseline = source.baseline
    if baseline is None:
        raise ValidationError(
            f"There is no baseline file in {str(source.directory)!r} to verify.",
            hint="verify compares V<n>__*.sql with the incremental chain; without a baseline "
            "there is nothing that can drift.",
        )
    chain = source._replace(baseline=None)
    up_to = PlanOptions(target=baseline.version)
    with scratch_server(dev_url) as admin_url:
        _check_privileges(admin_url)  # before creating anything
        with (
            _scratch(admin_url, "baseline") as baseline_url,
            _scratch(admin_url, "chain") as chain_url,
        ):
            for url, files in ((baseline_url, source), (chain_url, chain)):
                scratch = target(config, url)  # its own log fields; ours are unchanged
                runner.migrate(config, scratch, scratch.logger(log), up_to, files)
            snapshots = []
            for url in (baseline_url, chain_url):
                with scratch_connect(url, "verify") as conn:
                    snapshots.append(
                        snapshot(
                            conn, config.schema, config.history_table, ignore_names=ignore_names
                        )
                    )
    differences = compare(*snapshots)
    log.info(
        "verify.finished",
        baseline=baseline.name,
        through=baseline.version,
        objects=len(snapshots[0]),
        differences=len(differences),
    )
    return Verdict(differences, snapshots[1])


def _check_privileges(admin_url: str) -> None:
    """verify creates and drops two scratch databases: refuse before starting without
    CREATEDB, rather than fail halfway."""
    with scratch_connect(admin_url, "verify") as conn:
        row = conn.execute(
            "SELECT current_user, rolcreatedb, rolsuper FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
    if row is not None and (row[1] or row[2]):
        return
    user = str(row[0]) if row is not None else "?"
    quoted = sql.Identifier(user).as_string(None) if user != "?" else "<role>"
    raise ConfigError(
        f"The role {user!r} on the verify server (AIM_DEV_DATABASE_URL) lacks the CREATEDB "
        "privilege, which verify needs to create its two scratch databases.",
        hint=f"Grant it on that development server (ALTER ROLE {quoted} CREATEDB), use a role "
        "that has it, or unset AIM_DEV_DATABASE_URL to verify on an embedded server.",
        event="verify.privilege_missing",
        privilege="CREATEDB",
        role=user,
    )


@contextmanager
def _scratch(admin_url: str, role: str) -> Iterator[str]:
    name = f"aim_verify_{uuid.uuid4().hex[:10]}_{role}"
    with scratch_connect(admin_url, "verify") as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        params: dict[str, Any] = {**pg_conninfo.conninfo_to_dict(admin_url), "dbname": name}
        yield pg_conninfo.make_conninfo("", **params)
    finally:
        with scratch_connect(admin_url, "verify") as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def fix_hints(verdict: Verdict) -> list[str]:
    """The chain's version of each differing object, as SQL to copy into the baseline."""
    hints: list[str] = []
    seen: set[str] = set()
    for difference in verdict.differences:
        key = difference.object
        if difference.attribute == "row":
            table = key.partition(" ")[2]
            if difference.chain is not None:
                hints.append(
                    f"INSERT INTO {table} SELECT * FROM jsonb_populate_record(NULL::{table}, "
                    f"{_literal(json.dumps(difference.chain, sort_keys=True))});"
                )
            else:
                hints.append(f"-- {table}: the chain has no row {json.dumps(difference.baseline)}")
            continue
        if key in seen:
            continue
        seen.add(key)
        chain = verdict.chain.get(key)
        hints.append(_render(key, chain) if chain else f"-- {key}: not in the chain; remove it")
    return hints


def _render(key: str, attributes: dict[str, Any]) -> str:
    kind, _, name = key.partition(" ")
    table, _, member = name.partition(".")
    if kind in ("index", "trigger"):
        return f"{attributes['definition']};"
    if kind == "function":
        return f"{attributes['definition'].rstrip()};"
    if kind == "constraint":
        return f"ALTER TABLE {table} ADD CONSTRAINT {member} {attributes['definition']};"
    if kind == "view":
        materialized = "MATERIALIZED " if attributes["kind"] == "m" else ""
        return f"CREATE {materialized}VIEW {name} AS\n{attributes['definition']}"
    if kind == "type" and attributes["labels"]:
        labels = ", ".join(_literal(label) for label in attributes["labels"])
        return f"CREATE TYPE {name} AS ENUM ({labels});"
    if kind == "column":
        parts = [f"    {member} {attributes['type']}"]
        if attributes["default"] is not None:
            parts.append(f"DEFAULT {attributes['default']}")
        if attributes["not_null"]:
            parts.append("NOT NULL")
        return " ".join(parts) + f",  -- column {attributes['position']} of CREATE TABLE {table}"
    if kind == "comment":
        return f"COMMENT {name} IS {_literal(attributes['text'])};"
    return f"-- {key}: {json.dumps(attributes, default=str, sort_keys=True)}"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
