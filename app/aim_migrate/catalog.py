"""Normalised catalog snapshots of one schema, and the differences between two of them.

A snapshot maps an object key ("column users.email", "index users.idx_users_email") to its
attributes ({"type": "text", "default": None, ...}). Keys leave out OIDs, owners and
anything else that legitimately differs between two databases built from the same SQL;
with `ignore_names`, constraints and indexes are keyed by their definition instead of name.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from psycopg import sql

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg.rows import TupleRow

Snapshot = dict[str, dict[str, Any]]

_TABLES = """
SELECT c.relname, c.relkind::text, c.relpersistence::text, c.relrowsecurity,
       coalesce(array_to_string(c.reloptions, ','), ''),
       coalesce(pg_get_partkeydef(c.oid), '')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = %(schema)s AND c.relkind IN ('r', 'p', 'f') AND c.relname <> %(history)s
"""
_COLUMNS = """
SELECT c.relname, a.attname,
       row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum),
       format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text,
       CASE WHEN a.attcollation <> t.typcollation THEN co.collname END
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  LEFT JOIN pg_collation co ON co.oid = a.attcollation
 WHERE n.nspname = %(schema)s AND c.relkind IN ('r', 'p', 'f', 'v', 'm')
   AND c.relname <> %(history)s AND a.attnum > 0 AND NOT a.attisdropped
"""
_CONSTRAINTS = """
SELECT coalesce(c.relname, '(domain) ' || ty.typname), co.conname, co.contype::text,
       pg_get_constraintdef(co.oid, true), co.condeferrable, co.condeferred, co.convalidated
  FROM pg_constraint co
  JOIN pg_namespace n ON n.oid = co.connamespace
  LEFT JOIN pg_class c ON c.oid = co.conrelid
  LEFT JOIN pg_type ty ON ty.oid = co.contypid
 WHERE n.nspname = %(schema)s AND coalesce(c.relname, '') <> %(history)s
"""
_INDEXES = """
SELECT t.relname, i.relname, pg_get_indexdef(x.indexrelid), x.indisunique, x.indisprimary,
       pg_get_expr(x.indpred, x.indrelid), x.indisvalid
  FROM pg_index x
  JOIN pg_class i ON i.oid = x.indexrelid
  JOIN pg_class t ON t.oid = x.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
 WHERE n.nspname = %(schema)s AND t.relname <> %(history)s
"""
_SEQUENCES = """
SELECT c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin,
       s.seqmax, s.seqcache, s.seqcycle,
       (SELECT oc.relname || '.' || a.attname FROM pg_depend d
          JOIN pg_class oc ON oc.oid = d.refobjid
          JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
         WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))
  FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = %(schema)s
"""
_VIEWS = """
SELECT c.relname, c.relkind::text, pg_get_viewdef(c.oid, true)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = %(schema)s AND c.relkind IN ('v', 'm')
"""
_FUNCTIONS = """
SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', p.prokind::text,
       CASE WHEN p.prokind IN ('f', 'p', 'w') THEN pg_get_functiondef(p.oid) END
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = %(schema)s
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                   AND d.objid = p.oid AND d.deptype = 'e')
"""
_TRIGGERS = """
SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid, true), t.tgenabled::text
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = %(schema)s AND NOT t.tgisinternal
"""
_TYPES = """
SELECT t.typname, t.typtype::text,
       (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e
         WHERE e.enumtypid = t.oid),
       CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
       t.typnotnull, t.typdefault
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname = %(schema)s AND t.typtype IN ('e', 'd')
"""
_EXTENSIONS = "SELECT extname, extversion FROM pg_extension"
_COMMENTS = """
SELECT pg_describe_object(d.classoid, d.objoid, d.objsubid), d.description
  FROM pg_description d
 WHERE (d.classoid = 'pg_class'::regclass AND d.objoid IN (
            SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = %(schema)s AND c.relname <> %(history)s))
    OR (d.classoid = 'pg_proc'::regclass AND d.objoid IN (
            SELECT p.oid FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = %(schema)s))
    OR (d.classoid = 'pg_type'::regclass AND d.objoid IN (
            SELECT t.oid FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
             WHERE n.nspname = %(schema)s))
    OR (d.classoid = 'pg_constraint'::regclass AND d.objoid IN (
            SELECT co.oid FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace
             WHERE n.nspname = %(schema)s))
    OR (d.classoid = 'pg_trigger'::regclass AND d.objoid IN (
            SELECT tg.oid FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
              JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %(schema)s))
    OR (d.classoid = 'pg_namespace'::regclass AND d.objoid = (
            SELECT oid FROM pg_namespace WHERE nspname = %(schema)s))
"""
_POLICIES = """
SELECT tablename, policyname, permissive, roles::text, cmd, qual, with_check
  FROM pg_policies WHERE schemaname = %(schema)s
"""
_INDEX_NAME = re.compile(r"^(CREATE (?:UNIQUE )?INDEX )(\S+)( ON )")


@dataclass(frozen=True, slots=True)
class Difference:
    object: str
    attribute: str
    baseline: Any
    chain: Any

    def as_dict(self) -> dict[str, Any]:
        return {
            "object": self.object,
            "attribute": self.attribute,
            "baseline": self.baseline,
            "chain": self.chain,
        }


def snapshot(  # noqa: PLR0912 - one loop per kind of catalog object
    conn: Connection[TupleRow], schema: str, history_table: str, *, ignore_names: bool = False
) -> Snapshot:
    params = {"schema": schema, "history": history_table}
    out: Snapshot = {}

    def rows(query: str) -> list[tuple[Any, ...]]:
        return conn.execute(query, params).fetchall()

    out[f"schema {schema}"] = {"exists": True}
    tables = rows(_TABLES)
    for name, kind, persistence, rls, options, partkey in tables:
        out[f"table {name}"] = {
            "kind": kind,
            "persistence": persistence,
            "row_security": rls,
            "options": options,
            "partition_key": partkey,
        }
    for table, column, position, type_, notnull, default, identity, generated, collation in rows(
        _COLUMNS
    ):
        out[f"column {table}.{column}"] = {
            "position": position,
            "type": type_,
            "not_null": notnull,
            "default": default,
            "identity": identity,
            "generated": generated,
            "collation": collation,
        }
    for table, name, kind, definition, deferrable, deferred, validated in rows(_CONSTRAINTS):
        key = f"constraint {table}.{definition if ignore_names else name}"
        out[key] = {
            "kind": kind,
            "definition": definition,
            "deferrable": deferrable,
            "deferred": deferred,
            "validated": validated,
        }
    for table, name, definition, unique, primary, predicate, valid in rows(_INDEXES):
        anonymous = _INDEX_NAME.sub(r"\1<name>\3", definition)
        key = f"index {table}.{anonymous if ignore_names else name}"
        out[key] = {
            "definition": anonymous,
            "unique": unique,
            "primary": primary,
            "predicate": predicate,
            "valid": valid,
        }
    for name, type_, start, inc, min_, max_, cache, cycle, owned_by in rows(_SEQUENCES):
        out[f"sequence {name}"] = {
            "type": type_,
            "start": start,
            "increment": inc,
            "min": min_,
            "max": max_,
            "cache": cache,
            "cycle": cycle,
            "owned_by": owned_by,
        }
    for name, kind, definition in rows(_VIEWS):
        out[f"view {name}"] = {"kind": kind, "definition": definition}
    for signature, kind, definition in rows(_FUNCTIONS):
        out[f"function {signature}"] = {"kind": kind, "definition": definition}
    for table, name, definition, enabled in rows(_TRIGGERS):
        out[f"trigger {table}.{name}"] = {"definition": definition, "enabled": enabled}
    for name, kind, labels, base, notnull, default in rows(_TYPES):
        out[f"type {name}"] = {
            "kind": kind,
            "labels": labels,
            "base_type": base,
            "not_null": notnull,
            "default": default,
        }
    for name, version in rows(_EXTENSIONS):
        out[f"extension {name}"] = {"version": version}
    for description, text in rows(_COMMENTS):
        out[f"comment on {description}"] = {"text": text}
    for table, name, permissive, roles, cmd, qual, check in rows(_POLICIES):
        out[f"policy {table}.{name}"] = {
            "permissive": permissive,
            "roles": roles,
            "command": cmd,
            "using": qual,
            "with_check": check,
        }
    for name, *_rest in tables:
        data = conn.execute(
            sql.SQL("SELECT to_jsonb(t)::text FROM {} AS t").format(sql.Identifier(schema, name))
        ).fetchall()
        out[f"rows {name}"] = {"rows": sorted(r[0] for r in data)}
    return out


def compare(baseline: Snapshot, chain: Snapshot) -> list[Difference]:
    differences: list[Difference] = []
    for key in sorted(baseline.keys() | chain.keys()):
        left, right = baseline.get(key), chain.get(key)
        if left is None or right is None:
            differences.append(Difference(key, "exists", left is not None, right is not None))
            continue
        for attribute in sorted(left.keys() | right.keys()):
            if attribute == "rows":
                differences.extend(_row_differences(key, left["rows"], right["rows"]))
            elif left.get(attribute) != right.get(attribute):
                differences.append(
                    Difference(key, attribute, left.get(attribute), right.get(attribute))
                )
    return differences


def _row_differences(key: str, left: list[str], right: list[str]) -> list[Difference]:
    from collections import Counter  # noqa: PLC0415 - only when comparing data

    only_left = Counter(left) - Counter(right)
    only_right = Counter(right) - Counter(left)
    return [
        Difference(key, "row", json.loads(row), None) for row in sorted(only_left.elements())
    ] + [Difference(key, "row", None, json.loads(row)) for row in sorted(only_right.elements())]
