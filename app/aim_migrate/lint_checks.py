"""The checks of `lint`: a model of the schema the migrations build, and every statement judged
against it before its own effect is applied to it.

The SQL is parsed by PostgreSQL's own parser (pglast: libpg_query, as JSON parse trees), and
`DO` blocks by PL/pgSQL's, so a statement inside `DO $$ ... IF ... THEN ALTER TABLE ... $$`
is judged like one at the top level. The model knows, for each table, column, constraint,
index and enum, which migration created it (its `Origin`), so a check can ask the two
questions that decide whether a statement is dangerous:

* does the table have rows and readers (`has_rows`): not if it was created earlier in the
  same file, or earlier in the same deploy of a fresh database; unknown tables do;
* does the running (old) code know the object (`old_code_knows`): only if it existed before
  the deploy this migration belongs to.

Imported only by `lint` and `validate`: never on the `migrate` path.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pglast import parser as pg

from aim_migrate.lint_rules import (
    ACCESS_EXCLUSIVE,
    BLOCKS,
    ERROR,
    LOCK,
    LOCK_MODES,
    NON_VOLATILE_FUNCTIONS,
    NOTE,
    NOTE_BELOW,
    ROW_EXCLUSIVE,
    RULES,
    SERIAL_TYPES,
    SHARE,
    SHARE_ROW_EXCLUSIVE,
    TYPE_ALIASES,
    VOLATILE_FUNCTIONS,
    WARNING,
    WARNING_BELOW,
    TypeName,
    rewrites,
    widens,
)
from aim_migrate.sqltext import LineIndex

Node = dict[str, Any]
PRE_DEPLOY = "pre-deploy"
POST_DEPLOY = "post-deploy"


class TableSize(NamedTuple):
    rows: float | None  # pg_class.reltuples; None when never analyzed
    bytes: int | None  # pg_table_size


class Finding(NamedTuple):
    rule: str
    severity: str
    file: str
    line: int
    column: int
    message: str
    fix: str
    table: str | None = None
    lock: str | None = None  # the lock mode taken, e.g. ACCESS EXCLUSIVE
    blocks: str | None = None  # what that lock blocks, for people
    estimate: TableSize | None = None  # the table's size, when known
    statement: int = -1  # char offset of the top-level statement (what allow= attaches to)

    def as_dict(self) -> dict[str, Any]:
        out = self._asdict()
        out["estimate"] = None if self.estimate is None else self.estimate._asdict()
        del out["statement"]
        return out


@dataclass(frozen=True)
class Origin:
    """Where an object was created: the migration's position in the chain, its deploy, phase."""

    unit: int
    deploy: int
    phase: str


@dataclass(frozen=True)
class Unit:
    """One migration file as the linter sees it."""

    index: int
    deploy: int  # migrations of one deploy are applied in one run, before the next deploy
    phase: str
    fresh: bool  # its deploy starts from an empty database: no rows, no old code
    transactional: bool
    batched: bool
    lint: bool  # report findings (else: only build the model)


@dataclass
class Column:
    type: TypeName | None
    origin: Origin | None
    not_null: bool = False
    default: bool = False


@dataclass
class Constraint:
    kind: str  # check, foreign, unique, primary
    validated: bool
    origin: Origin | None
    not_null: frozenset[str] = frozenset()  # columns a CHECK proves NOT NULL


@dataclass
class Table:
    name: str
    origin: Origin | None  # None: not created by a migration read here; it exists
    columns: dict[str, Column] = field(default_factory=dict)
    constraints: dict[str, Constraint] = field(default_factory=dict)


@dataclass
class Index:
    table: str
    origin: Origin | None
    columns: tuple[str, ...]
    concurrent: bool


@dataclass
class Schema:
    default: str  # unqualified names are in this schema (AIM_SCHEMA)
    tables: dict[str, Table] = field(default_factory=dict)
    indexes: dict[str, Index] = field(default_factory=dict)
    enums: dict[str, Origin | None] = field(default_factory=dict)

    def key(self, names: list[str]) -> str:
        """schema.name, or just name when in the default schema."""
        if len(names) >= 2 and names[-2] != self.default:
            return f"{names[-2]}.{names[-1]}"
        return names[-1]

    def relation(self, range_var: Node) -> str:
        names = [range_var["relname"]]
        if range_var.get("schemaname"):
            names.insert(0, range_var["schemaname"])
        return self.key(names)


class _Source(NamedTuple):
    """A text the parser was given and where it sits in the file."""

    text: str
    base: int  # char offset of text[0] in the file
    exact: bool  # the text is verbatim at `base` (else: positions are approximate)
    encoded: bytes | None  # text as UTF-8 when it is not ASCII (locations are byte offsets)

    def offset(self, location: int | None) -> int:
        if location is None or location < 0 or not self.exact:
            return self.base
        if self.encoded is None:
            return self.base + location
        return self.base + len(self.encoded[:location].decode("utf-8", "ignore"))


def _source(text: str, base: int = 0, *, exact: bool = True) -> _Source:
    return _Source(text, base, exact, None if text.isascii() else text.encode("utf-8"))


class LineStarts(LineIndex):
    """LineIndex, and the offset where a line starts (to place a DO block's statements)."""

    def start_of(self, line: int) -> int:
        return self._starts[min(max(line, 1), len(self._starts)) - 1]


def parse(text: str) -> list[Node]:
    """The RawStmt nodes of a script; raises pglast.parser.ParseError."""
    return list(json.loads(pg.parse_sql_json(text)).get("stmts", []))


def _walk(node: Any) -> Iterator[Node]:
    """Every dict in a parse tree, depth first, in source order."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _names(items: list[Node] | None) -> list[str]:
    return [item["String"]["sval"] for item in items or () if "String" in item]


def _type_name(node: Node) -> TypeName:
    names = _names(node.get("names"))
    written = names[-1].lower() if names else ""
    mods = []
    for mod in node.get("typmods") or ():
        const = mod.get("A_Const", {})
        if "ival" in const:
            mods.append(int(const["ival"].get("ival", 0)))
    canonical = TYPE_ALIASES.get(written, written)
    if canonical == "float8" and mods and mods[0] <= 24:
        canonical, mods = "float4", []  # float(p): real up to 24 bits of precision
    return TypeName(canonical, tuple(mods), bool(node.get("arrayBounds")), written)


def _volatility(expr: Any) -> str | None:
    """The first function in an expression that is (or may be) volatile, or None."""
    for node in _walk(expr):
        call = node.get("FuncCall")
        if call is None:
            continue
        name = _names(call.get("funcname"))[-1].lower()
        if name in VOLATILE_FUNCTIONS or name not in NON_VOLATILE_FUNCTIONS:
            return name
    return None


def _proves_not_null(expr: Node | None) -> frozenset[str]:
    """The columns a CHECK expression proves NOT NULL: `c IS NOT NULL`, alone or ANDed."""
    if not expr:
        return frozenset()
    if "NullTest" in expr:
        test = expr["NullTest"]
        ref = test.get("arg", {}).get("ColumnRef")
        if test.get("nulltesttype") == "IS_NOT_NULL" and ref:
            fields = _names(ref.get("fields"))
            return frozenset(fields[-1:])
        return frozenset()
    if expr.get("BoolExpr", {}).get("boolop") == "AND_EXPR":
        found: frozenset[str] = frozenset()
        for arg in expr["BoolExpr"].get("args", ()):
            found |= _proves_not_null(arg)
        return found
    return frozenset()


def _size_text(size: TableSize | None, *, known: bool) -> str:
    if not known:
        return "size unknown (no database given): assumed large"
    if size is None:
        return "not in the database's catalog: assumed large"
    parts = []
    if size.rows is not None:
        parts.append(f"~{int(size.rows):,} rows")
    if size.bytes is not None:
        parts.append(_bytes(size.bytes))
    return ", ".join(parts) or "size unknown"


def _bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"  # pragma: no cover


def _graded(size: TableSize | None) -> str:
    if size is None:
        return ERROR

    def below(limits: tuple[int, int]) -> bool:
        rows_ok = size.rows is None or size.rows < limits[0]
        bytes_ok = size.bytes is None or size.bytes < limits[1]
        return rows_ok and bytes_ok and (size.rows is not None or size.bytes is not None)

    if below(NOTE_BELOW):
        return NOTE
    if below(WARNING_BELOW):
        return WARNING
    return ERROR


class FileChecker:
    """Lints one migration file against the model, and applies the file's effects to it."""

    def __init__(
        self,
        schema: Schema,
        unit: Unit,
        path: str,
        text: str,
        sizes: Mapping[str, TableSize] | None,
    ) -> None:
        self.schema = schema
        self.unit = unit
        self.origin = Origin(unit.index, unit.deploy, unit.phase)
        self.path = path
        self.text = text
        self.lines = LineStarts(text)
        self.sizes = sizes
        self.findings: list[Finding] = []
        self.statements: list[tuple[int, int]] = []  # (start, end) char offsets, top level
        self._statement = 0  # char offset of the top-level statement being checked
        self._src = _source(text)
        self._at: int | None = None  # byte location in _src of the node being checked
        self._altered: list[str] = []  # existing tables ALTERed in this transaction
        self._dml: tuple[int, str] | None = None  # first data change on an existing table
        self._ddl: tuple[int, str] | None = None  # first DDL on an existing table
        self._mixed_reported = False
        self._not_valid: set[tuple[str, str]] = set()  # (table, constraint) added NOT VALID
        # value -> (enum, its statement, its offset): added by ALTER TYPE in this transaction
        self._new_enum_values: dict[str, tuple[str, int, int]] = {}

    # --- the questions -----------------------------------------------------------------------

    def has_rows(self, origin: Origin | None) -> bool:
        """Whether a table created at `origin` has rows and readers when this file runs."""
        if origin is None:
            return True
        if origin.unit == self.unit.index:
            return False
        if origin.deploy < self.unit.deploy:
            return True
        if self.unit.fresh:
            return False
        # Same deploy: new code has been writing to what the pre-deploy half created.
        return self.unit.phase == POST_DEPLOY and origin.phase == PRE_DEPLOY

    def old_code_knows(self, origin: Origin | None) -> bool:
        if self.unit.fresh:
            return False
        return origin is None or origin.deploy < self.unit.deploy

    @property
    def pre_deploy(self) -> bool:
        return self.unit.phase == PRE_DEPLOY and not self.unit.fresh

    def table(self, key: str) -> Table:
        """The model's table, or a stand-in for one created outside the files read."""
        found = self.schema.tables.get(key)
        if found is None:
            found = self.schema.tables[key] = Table(key, None)
        return found

    def existing(self, key: str) -> bool:
        found = self.schema.tables.get(key)
        return self.has_rows(found.origin if found else None)

    # --- reporting ---------------------------------------------------------------------------

    def report(
        self,
        rule_id: str,
        message: str,
        *,
        table: str | None = None,
        lock: str | None = None,
        blocks: str | None = None,
        at: int | None = None,
        offset: int | None = None,
        statement: int | None = None,
        severity: str | None = None,
    ) -> None:
        """Record a finding at byte location `at` of the text being parsed (default: the
        statement), or at char `offset` of the file."""
        if not self.unit.lint:
            return
        rule = RULES[rule_id]
        estimate = None
        if rule.kind == LOCK and table is not None:
            estimate = self.sizes.get(table) if self.sizes is not None else None
            severity = severity or _graded(estimate)
            message = f"{message} [{_size_text(estimate, known=self.sizes is not None)}]"
        severity = severity or rule.severity
        location = (
            offset if offset is not None else self._src.offset(at if at is not None else self._at)
        )
        line, column = self.lines.locate(location)
        if blocks is None and lock is not None:
            blocks = BLOCKS.get(lock)
        self.findings.append(
            Finding(
                rule_id,
                severity,
                self.path,
                line,
                column,
                message,
                rule.fix,
                table,
                lock,
                blocks,
                estimate,
                self._statement if statement is None else statement,
            )
        )

    def _lock_sentence(self, lock: str, table: str, how_long: str) -> str:
        return f"takes {lock} on {table} {how_long}, blocking {BLOCKS[lock]} on it"

    # --- the file ----------------------------------------------------------------------------

    def run(self) -> list[Finding]:
        try:
            statements = parse(self.text)
        except pg.ParseError as exc:
            offset = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
            self._at = None
            self._src = _source(self.text, min(max(offset, 0), len(self.text)), exact=False)
            self.report("parse-error", f"PostgreSQL cannot parse this file: {exc.args[0]}.")
            return self.findings
        for raw in statements:
            start = raw.get("stmt_location", 0)
            length = raw.get("stmt_len", 0)
            begin = self._src.offset(start)
            end = self._src.offset(start + length) if length else len(self.text)
            self.statements.append((begin, end))
            self._statement = begin
            self._at = start
            self.statement(raw["stmt"])
        self._src = _source(self.text)
        return self.findings

    def statement(self, stmt: Node) -> None:
        (kind, node), *_ = stmt.items()
        if self._new_enum_values:
            self._enum_use(node)
        handler = getattr(self, f"_{kind}", None)
        if handler is not None:
            handler(node)

    def _touch(self, key: str, *, alter: bool) -> None:
        """A DDL statement on table `key`: lock ordering and DDL-with-DML bookkeeping."""
        if not self.existing(key):
            return
        if self._ddl is None:
            self._ddl = (self._statement, key)
            self._mixed()
        if alter and self.unit.transactional and key not in self._altered:
            self._altered.append(key)
            if len(self._altered) == 2:
                first, second = self._altered
                self.report(
                    "alter-multiple-tables",
                    f"this migration alters {first} and then {second} in one transaction: "
                    f"the lock on {first} is held while waiting for {second}, and code that "
                    "locks them in the other order deadlocks with it",
                    table=second,
                    lock=ACCESS_EXCLUSIVE,
                )

    def _data_change(self, key: str) -> None:
        if self.existing(key) and self._dml is None:
            self._dml = (self._statement, key)
            self._mixed()

    def _mixed(self) -> None:
        if (
            self._dml is None
            or self._ddl is None
            or self._mixed_reported
            or not self.unit.transactional
        ):
            return
        self._mixed_reported = True
        dml_table, ddl_table = self._dml[1], self._ddl[1]
        self.report(
            "dml-with-ddl",
            f"this migration changes rows of {dml_table} and alters {ddl_table} in one "
            "transaction: the row locks and the table locks are held until it all commits",
            table=ddl_table,
        )

    # --- CREATE ------------------------------------------------------------------------------

    def _CreateStmt(self, node: Node) -> None:
        key = self.schema.relation(node["relation"])
        if node.get("if_not_exists") and key in self.schema.tables:
            return
        table = Table(key, self.origin)
        for element in node.get("tableElts") or ():
            if "ColumnDef" in element:
                name, column, _ = self._column(element["ColumnDef"])
                table.columns[name] = column
            elif "Constraint" in element:
                self._table_constraint(table, element["Constraint"])
        self.schema.tables[key] = table

    def _column(self, column_def: Node) -> tuple[str, Column, list[Node]]:
        """A ColumnDef as a model column, and its constraint nodes."""
        constraints = [c["Constraint"] for c in column_def.get("constraints") or ()]
        kinds = {c.get("contype") for c in constraints}
        type_name = _type_name(column_def["typeName"]) if "typeName" in column_def else None
        column = Column(
            type_name,
            self.origin,
            not_null=bool(kinds & {"CONSTR_NOTNULL", "CONSTR_PRIMARY", "CONSTR_IDENTITY"}),
            default=bool(kinds & {"CONSTR_DEFAULT", "CONSTR_IDENTITY", "CONSTR_GENERATED"})
            or (type_name is not None and type_name.written in SERIAL_TYPES),
        )
        return column_def.get("colname", ""), column, constraints

    def _table_constraint(self, table: Table, constraint: Node) -> None:
        kind = constraint.get("contype")
        if kind == "CONSTR_PRIMARY":
            for name in _names(constraint.get("keys")):
                if name in table.columns:
                    table.columns[name].not_null = True
        if kind in ("CONSTR_CHECK", "CONSTR_FOREIGN"):
            name = constraint.get("conname") or f"<unnamed {len(table.constraints)}>"
            table.constraints[name] = Constraint(
                "check" if kind == "CONSTR_CHECK" else "foreign",
                validated=True,
                origin=self.origin,
                not_null=_proves_not_null(constraint.get("raw_expr")),
            )

    def _CreateTableAsStmt(self, node: Node) -> None:
        into = node.get("into", {}).get("IntoClause", {}).get("rel")
        if into:
            self.schema.tables[self.schema.relation(into)] = Table(
                self.schema.relation(into), self.origin
            )

    def _CreateEnumStmt(self, node: Node) -> None:
        self.schema.enums[self.schema.key(_names(node.get("typeName")))] = self.origin

    def _IndexStmt(self, node: Node) -> None:
        key = self.schema.relation(node["relation"])
        existing = self.existing(key)
        concurrent = bool(node.get("concurrent"))
        name = node.get("idxname")
        what = f"index {name}" if name else "an index"
        if not concurrent and existing:
            self._touch(key, alter=False)
            self.report(
                "index-not-concurrent",
                f"CREATE INDEX builds {what} without CONCURRENTLY: it "
                + self._lock_sentence(SHARE, key, "for the whole build"),
                table=key,
                lock=SHARE,
            )
        if concurrent and not node.get("if_not_exists"):
            self.report(
                "concurrent-index-not-retryable",
                f"CREATE INDEX CONCURRENTLY of {what} without IF NOT EXISTS: if this "
                "migration fails after the build (or is retried), the retry fails on the "
                "index that is already there",
                table=key,
            )
        if name:
            schema = node["relation"].get("schemaname")
            columns = tuple(
                e["IndexElem"]["name"]
                for e in node.get("indexParams") or ()
                if e.get("IndexElem", {}).get("name")
            )
            index_key = self.schema.key([schema, name] if schema else [name])
            self.schema.indexes[index_key] = Index(key, self.origin, columns, concurrent)

    # --- DROP, RENAME ------------------------------------------------------------------------

    def _DropStmt(self, node: Node) -> None:
        kind = node.get("removeType")
        objects = [_names(o.get("List", {}).get("items")) for o in node.get("objects") or ()]
        for names in objects:
            if not names:
                continue
            key = self.schema.key(names)
            if kind == "OBJECT_INDEX":
                self._drop_index(key, concurrent=bool(node.get("concurrent")))
            elif kind == "OBJECT_TABLE":
                self._drop_table(key)
            elif kind == "OBJECT_TYPE":
                self.schema.enums.pop(key, None)

    def _drop_index(self, key: str, *, concurrent: bool) -> None:
        index = self.schema.indexes.pop(key, None)
        table = index.table if index is not None else None
        if concurrent or (index is not None and index.origin == self.origin):
            return  # concurrent, or an index this very file built
        if table is not None and not self.existing(table):
            return
        shown = table or "its table"
        self.report(
            "drop-index-not-concurrent",
            f"DROP INDEX {key} without CONCURRENTLY "
            + self._lock_sentence(ACCESS_EXCLUSIVE, shown, "until the migration commits"),
            table=table,
            lock=ACCESS_EXCLUSIVE,
        )

    def _drop_table(self, key: str) -> None:
        table = self.schema.tables.pop(key, None)
        for name in [n for n, i in self.schema.indexes.items() if i.table == key]:
            del self.schema.indexes[name]
        if self.pre_deploy and self.old_code_knows(table.origin if table else None):
            self.report(
                "drop-table",
                f"DROP TABLE {key} in a pre-deploy migration: the old pods, still serving "
                "during the rollout, fail on every query that uses it",
                table=key,
            )

    def _RenameStmt(self, node: Node) -> None:
        kind = node.get("renameType")
        relation = node.get("relation")
        if relation is None or node.get("relationType") not in (
            None,
            "OBJECT_TABLE",
            "OBJECT_ACCESS_METHOD",
        ):
            return  # a view's or a foreign table's column
        key = self.schema.relation(relation)
        new_name = node.get("newname", "")
        if kind == "OBJECT_COLUMN":
            table = self.table(key)
            old = node.get("subname", "")
            column = table.columns.pop(old, None)
            self._touch(key, alter=True)
            origin = column.origin if column is not None else table.origin
            if self.pre_deploy and self.old_code_knows(origin):
                self.report(
                    "rename-column",
                    f"RENAME COLUMN {key}.{old} to {new_name} in a pre-deploy migration: the "
                    f"old pods, still serving during the rollout, fail on every query that "
                    f"names {old}",
                    table=key,
                )
            table.columns[new_name] = column or Column(None, origin)
        elif kind == "OBJECT_TABLE":
            moved = self.schema.tables.pop(key, None) or Table(key, None)
            self._touch(key, alter=True)
            if self.pre_deploy and self.old_code_knows(moved.origin):
                self.report(
                    "rename-table",
                    f"RENAME TABLE {key} to {new_name} in a pre-deploy migration: the old "
                    f"pods, still serving during the rollout, fail on every query that names "
                    f"{key}",
                    table=key,
                )
            schema = relation.get("schemaname")
            new_key = self.schema.key([schema, new_name] if schema else [new_name])
            moved.name = new_key
            self.schema.tables[new_key] = moved
            for index in self.schema.indexes.values():
                if index.table == key:
                    index.table = new_key
        elif kind == "OBJECT_INDEX":
            renamed = self.schema.indexes.pop(key, None)
            if renamed is not None:
                schema = relation.get("schemaname")
                self.schema.indexes[
                    self.schema.key([schema, new_name] if schema else [new_name])
                ] = renamed
        elif kind == "OBJECT_TABCONSTRAINT":
            table = self.table(key)
            self._touch(key, alter=True)
            constraint = table.constraints.pop(node.get("subname", ""), None)
            if constraint is not None:
                table.constraints[new_name] = constraint

    # --- ALTER TABLE -------------------------------------------------------------------------

    def _AlterTableStmt(self, node: Node) -> None:
        if node.get("objtype", "OBJECT_TABLE") != "OBJECT_TABLE":
            return
        key = self.schema.relation(node["relation"])
        table = self.table(key)
        existing = self.has_rows(table.origin)
        self._touch(key, alter=True)
        for command in node.get("cmds") or ():
            cmd = command.get("AlterTableCmd", {})
            handler = getattr(self, f"_{cmd.get('subtype', '')}", None)
            if handler is not None:
                handler(table, cmd, existing)

    def _AT_AddColumn(self, table: Table, cmd: Node, existing: bool) -> None:
        column_def = cmd["def"]["ColumnDef"]
        name, column, constraints = self._column(column_def)
        at = column_def.get("location")
        key = table.name
        if existing:
            by_kind = {c.get("contype"): c for c in constraints}
            rewrite = None
            generated = by_kind.get("CONSTR_GENERATED")
            if generated is not None and generated.get("generated_kind", "s") == "s":
                rewrite = "a generated STORED column is computed for every row"
            elif "CONSTR_IDENTITY" in by_kind:
                rewrite = "an identity column gets a value for every row"
            elif column.type is not None and column.type.written in SERIAL_TYPES:
                rewrite = f"{column.type.written} defaults to nextval(), volatile"
            elif "CONSTR_DEFAULT" in by_kind:
                volatile = _volatility(by_kind["CONSTR_DEFAULT"].get("raw_expr"))
                if volatile is not None:
                    known = volatile in VOLATILE_FUNCTIONS
                    rewrite = (
                        f"its default calls {volatile}(), which is volatile"
                        if known
                        else f"its default calls {volatile}(), not known to be non-volatile"
                    )
            if rewrite is not None:
                self.report(
                    "add-column-rewrite",
                    f"ADD COLUMN {name} rewrites {key} ({rewrite}): it "
                    + self._lock_sentence(ACCESS_EXCLUSIVE, key, "for the whole rewrite"),
                    table=key,
                    lock=ACCESS_EXCLUSIVE,
                    at=at,
                )
            elif column.not_null and not column.default:
                self._required_column(key, name, at)
            for constraint in constraints:
                self._column_constraint(key, name, constraint)
        table.columns[name] = column

    def _required_column(self, key: str, name: str, at: int | None) -> None:
        size = self.sizes.get(key) if self.sizes is not None else None
        empty = size is not None and (size.rows == 0 or (size.rows is None and size.bytes == 0))
        self.report(
            "add-required-column",
            f"ADD COLUMN {name} NOT NULL without a DEFAULT fails on {key} as soon as it has a "
            "row (every existing row would be NULL); and it "
            + self._lock_sentence(ACCESS_EXCLUSIVE, key, "while it checks"),
            table=key,
            lock=ACCESS_EXCLUSIVE,
            at=at,
            severity=NOTE if empty else ERROR,
        )

    def _column_constraint(self, key: str, column: str, constraint: Node) -> None:
        kind = constraint.get("contype")
        at = constraint.get("location")
        if kind == "CONSTR_CHECK":
            self.report(
                "constraint-not-valid",
                f"ADD COLUMN {column} with a CHECK validates every row of {key}: it "
                + self._lock_sentence(ACCESS_EXCLUSIVE, key, "for the whole scan"),
                table=key,
                lock=ACCESS_EXCLUSIVE,
                at=at,
            )
        elif kind == "CONSTR_FOREIGN":
            referenced = self.schema.relation(constraint["pktable"])
            self.report(
                "constraint-not-valid",
                f"ADD COLUMN {column} REFERENCES {referenced} validates every row of {key}: "
                f"it takes {SHARE_ROW_EXCLUSIVE} on {key} and on {referenced} for the whole "
                f"scan, blocking {BLOCKS[SHARE_ROW_EXCLUSIVE]} on both",
                table=key,
                lock=SHARE_ROW_EXCLUSIVE,
                at=at,
            )
        elif kind in ("CONSTR_UNIQUE", "CONSTR_PRIMARY"):
            what = "UNIQUE" if kind == "CONSTR_UNIQUE" else "PRIMARY KEY"
            self.report(
                "unique-not-using-index",
                f"ADD COLUMN {column} {what} builds a unique index on {key}: it "
                + self._lock_sentence(ACCESS_EXCLUSIVE, key, "for the whole build"),
                table=key,
                lock=ACCESS_EXCLUSIVE,
                at=at,
            )

    def _AT_DropColumn(self, table: Table, cmd: Node, existing: bool) -> None:
        name = cmd.get("name", "")
        column = table.columns.pop(name, None)
        origin = column.origin if column is not None else table.origin
        if self.pre_deploy and self.old_code_knows(origin):
            self.report(
                "drop-column",
                f"DROP COLUMN {table.name}.{name} in a pre-deploy migration: the old pods, "
                f"still serving during the rollout, fail on every query that names {name} "
                "(and an ORM's SELECT of all its columns does)",
                table=table.name,
            )

    def _AT_AlterColumnType(self, table: Table, cmd: Node, existing: bool) -> None:
        name = cmd.get("name", "")
        column_def = cmd["def"]["ColumnDef"]
        new = _type_name(column_def["typeName"])
        column = table.columns.get(name)
        old = column.type if column is not None else None
        using = column_def.get("raw_default")
        plain_using = using is not None and _names(using.get("ColumnRef", {}).get("fields")) == [
            name
        ]
        key = table.name
        if existing:
            why = None
            if using is not None and not plain_using:
                why = "USING computes a new value for every row"
            elif old is None:
                why = f"the current type of {name} is not known here, so it may"
            elif rewrites(old, new):
                why = f"{old} -> {new} is not binary coercible"
            if why is not None:
                self.report(
                    "column-type-rewrite",
                    f"ALTER COLUMN {name} TYPE {new} rewrites {key} and rebuilds its indexes "
                    f"({why}): it "
                    + self._lock_sentence(ACCESS_EXCLUSIVE, key, "for the whole rewrite"),
                    table=key,
                    lock=ACCESS_EXCLUSIVE,
                    at=column_def.get("location"),
                )
        origin = column.origin if column is not None else table.origin
        if (
            self.pre_deploy
            and self.old_code_knows(origin)
            and old is not None
            and not widens(old, new)
        ):
            self.report(
                "narrow-type",
                f"ALTER COLUMN {key}.{name} TYPE {old} -> {new} in a pre-deploy "
                "migration: not every value the old pods write fits the new type",
                table=key,
                at=column_def.get("location"),
            )
        if column is None:
            column = table.columns[name] = Column(None, origin)
        column.type = new

    def _proved_not_null(self, table: Table, name: str) -> bool:
        """A validated CHECK proves the column NOT NULL (SET NOT NULL then skips its scan)."""
        return any(name in c.not_null and c.validated for c in table.constraints.values())

    def _AT_SetNotNull(self, table: Table, cmd: Node, existing: bool) -> None:
        name = cmd.get("name", "")
        column = table.columns.get(name)
        key = table.name
        already = column is not None and column.not_null
        if existing and not already and not self._proved_not_null(table, name):
            self.report(
                "set-not-null-scan",
                f"SET NOT NULL on {key}.{name} scans every row (no validated CHECK "
                f"({name} IS NOT NULL) to rely on): it "
                + self._lock_sentence(ACCESS_EXCLUSIVE, key, "for the whole scan"),
                table=key,
                lock=ACCESS_EXCLUSIVE,
            )
        origin = column.origin if column is not None else table.origin
        if (
            self.pre_deploy
            and self.old_code_knows(origin)
            and not (column is not None and (column.default or column.not_null))
            and not any(
                name in c.not_null and self.old_code_knows(c.origin)
                for c in table.constraints.values()
            )
        ):
            self.report(
                "set-not-null-old-code",
                f"SET NOT NULL on {key}.{name} in a pre-deploy migration: it has no DEFAULT, "
                "so the old pods' INSERTs that leave it out (and their UPDATEs that clear it) "
                "fail during the rollout",
                table=key,
            )
        if column is None:
            column = table.columns[name] = Column(None, origin)
        column.not_null = True

    def _AT_DropNotNull(self, table: Table, cmd: Node, existing: bool) -> None:
        column = table.columns.get(cmd.get("name", ""))
        if column is not None:
            column.not_null = False

    def _AT_ColumnDefault(self, table: Table, cmd: Node, existing: bool) -> None:
        column = table.columns.get(cmd.get("name", ""))
        if column is not None:
            column.default = "def" in cmd

    def _AT_AddConstraint(self, table: Table, cmd: Node, existing: bool) -> None:
        constraint = cmd["def"]["Constraint"]
        kind = constraint.get("contype")
        name = constraint.get("conname") or f"<unnamed {len(table.constraints)}>"
        not_valid = bool(constraint.get("skip_validation"))
        key = table.name
        at = constraint.get("location")
        if kind == "CONSTR_FOREIGN":
            referenced = self.schema.relation(constraint["pktable"])
            if existing and not not_valid:
                self.report(
                    "constraint-not-valid",
                    f"ADD FOREIGN KEY {name} without NOT VALID checks every row of {key}: "
                    f"it takes {SHARE_ROW_EXCLUSIVE} on {key} and on {referenced} for the "
                    f"whole scan, blocking {BLOCKS[SHARE_ROW_EXCLUSIVE]} on both",
                    table=key,
                    lock=SHARE_ROW_EXCLUSIVE,
                    at=at,
                )
            table.constraints[name] = Constraint("foreign", not not_valid, self.origin)
        elif kind == "CONSTR_CHECK":
            if existing and not not_valid:
                self.report(
                    "constraint-not-valid",
                    f"ADD CHECK {name} without NOT VALID checks every row of {key}: it "
                    + self._lock_sentence(ACCESS_EXCLUSIVE, key, "for the whole scan"),
                    table=key,
                    lock=ACCESS_EXCLUSIVE,
                    at=at,
                )
            table.constraints[name] = Constraint(
                "check",
                not not_valid,
                self.origin,
                _proves_not_null(constraint.get("raw_expr")),
            )
        elif kind in ("CONSTR_UNIQUE", "CONSTR_PRIMARY", "CONSTR_EXCLUSION"):
            self._add_unique(table, constraint, name, existing)
            return
        else:
            return
        if not_valid:
            self._not_valid.add((key, name))

    def _add_unique(self, table: Table, constraint: Node, name: str, existing: bool) -> None:
        kind = str(constraint.get("contype", ""))
        what = {"CONSTR_UNIQUE": "UNIQUE", "CONSTR_PRIMARY": "PRIMARY KEY"}.get(kind, "EXCLUDE")
        key = table.name
        at = constraint.get("location")
        index_name = constraint.get("indexname")
        if index_name:
            index = self.schema.indexes.pop(self.schema.key([index_name]), None)
            columns = index.columns if index is not None else ()
        else:
            columns = tuple(_names(constraint.get("keys")))
            if existing:
                self.report(
                    "unique-not-using-index",
                    f"ADD {what} {name} builds its index on {key} under the table lock: it "
                    + self._lock_sentence(ACCESS_EXCLUSIVE, key, "for the whole build"),
                    table=key,
                    lock=ACCESS_EXCLUSIVE,
                    at=at,
                )
        if kind == "CONSTR_PRIMARY":
            for column_name in columns:
                column = table.columns.get(column_name)
                if column is not None and column.not_null:
                    continue
                if existing and index_name and not self._proved_not_null(table, column_name):
                    self.report(
                        "set-not-null-scan",
                        f"ADD PRIMARY KEY {name} USING INDEX sets {key}.{column_name} NOT "
                        f"NULL, which scans every row: it "
                        + self._lock_sentence(ACCESS_EXCLUSIVE, key, "for the whole scan"),
                        table=key,
                        lock=ACCESS_EXCLUSIVE,
                        at=at,
                    )
                if column is not None:
                    column.not_null = True
        self.schema.indexes[self.schema.key([name])] = Index(key, self.origin, columns, True)

    def _AT_ValidateConstraint(self, table: Table, cmd: Node, existing: bool) -> None:
        name = cmd.get("name", "")
        constraint = table.constraints.get(name)
        if existing and self.unit.transactional and (table.name, name) in self._not_valid:
            lock = (
                SHARE_ROW_EXCLUSIVE
                if constraint is not None and constraint.kind == "foreign"
                else ACCESS_EXCLUSIVE
            )
            self.report(
                "validate-same-transaction",
                f"VALIDATE CONSTRAINT {name} in the transaction that added it NOT VALID: the "
                f"scan runs while the ADD's {lock} on {table.name} is still held, blocking "
                f"{BLOCKS[lock]} on it, as if NOT VALID had not been written",
                table=table.name,
                lock=lock,
            )
        if constraint is not None:
            constraint.validated = True

    def _AT_DropConstraint(self, table: Table, cmd: Node, existing: bool) -> None:
        table.constraints.pop(cmd.get("name", ""), None)
        self.schema.indexes.pop(self.schema.key([cmd.get("name", "")]), None)

    # --- other locking statements ------------------------------------------------------------

    def _LockStmt(self, node: Node) -> None:
        mode = LOCK_MODES.get(int(node.get("mode", 8)), ACCESS_EXCLUSIVE)
        for item in node.get("relations") or ():
            key = self.schema.relation(item["RangeVar"])
            if self.existing(key):
                self.report(
                    "lock-table",
                    f"LOCK TABLE {key} IN {mode} MODE holds it until the migration commits, "
                    f"blocking {BLOCKS[mode]} on it for the rest of the file",
                    table=key,
                    lock=mode,
                )

    def _TruncateStmt(self, node: Node) -> None:
        if node.get("behavior") != "DROP_CASCADE":
            return
        for item in node.get("relations") or ():
            key = self.schema.relation(item["RangeVar"])
            if self.existing(key):
                self.report(
                    "truncate-cascade",
                    f"TRUNCATE {key} CASCADE also empties every table with a foreign key to "
                    f"it, recursively, under {ACCESS_EXCLUSIVE} on each",
                    table=key,
                    lock=ACCESS_EXCLUSIVE,
                )

    def _ClusterStmt(self, node: Node) -> None:
        relation = node.get("relation")
        key = self.schema.relation(relation) if relation else None
        if key is None or self.existing(key):
            shown = key or "every previously clustered table"
            self.report(
                "cluster",
                f"CLUSTER rewrites {shown}: it "
                + self._lock_sentence(ACCESS_EXCLUSIVE, shown, "for the whole rewrite"),
                table=key,
                lock=ACCESS_EXCLUSIVE,
            )

    def _VacuumStmt(self, node: Node) -> None:
        options = {o["DefElem"]["defname"] for o in node.get("options") or () if "DefElem" in o}
        if "full" not in options:
            return
        relations: list[str | None] = [
            self.schema.relation(r["VacuumRelation"]["relation"])
            for r in node.get("rels") or ()
            if r.get("VacuumRelation", {}).get("relation")
        ]
        for key in relations or [None]:
            if key is not None and not self.existing(key):
                continue
            shown = key or "every table of the database"
            self.report(
                "vacuum-full",
                f"VACUUM FULL rewrites {shown}: it "
                + self._lock_sentence(ACCESS_EXCLUSIVE, shown, "for the whole rewrite"),
                table=key,
                lock=ACCESS_EXCLUSIVE,
            )

    def _ReindexStmt(self, node: Node) -> None:
        params = {p["DefElem"]["defname"] for p in node.get("params") or () if "DefElem" in p}
        if "concurrently" in params:
            return
        kind = node.get("kind", "")
        relation = node.get("relation")
        key: str | None = None
        if kind == "REINDEX_OBJECT_TABLE" and relation:
            key = self.schema.relation(relation)
        elif kind == "REINDEX_OBJECT_INDEX" and relation:
            index = self.schema.indexes.get(self.schema.relation(relation))
            key = index.table if index is not None else None
        if key is not None and not self.existing(key):
            return
        shown = key or "the tables it covers"
        self.report(
            "reindex-not-concurrent",
            f"REINDEX without CONCURRENTLY takes {SHARE} on {shown} (blocking "
            f"{BLOCKS[SHARE]}) and {ACCESS_EXCLUSIVE} on each index it rebuilds (blocking "
            "every query that would use it) for the whole rebuild",
            table=key,
            lock=SHARE,
        )

    # --- enums -------------------------------------------------------------------------------

    def _AlterEnumStmt(self, node: Node) -> None:
        value = node.get("newVal")
        if not value or node.get("oldVal"):
            return  # RENAME VALUE
        key = self.schema.key(_names(node.get("typeName")))
        # Even for a type created earlier in the same transaction (PostgreSQL 12+ checks the
        # value's own row: only values of CREATE TYPE itself are usable before the commit).
        if self.unit.transactional:
            self._new_enum_values[value] = (key, self._statement, self._src.offset(self._at))

    def _enum_use(self, node: Node) -> None:
        for part in _walk(node):
            const = part.get("A_Const")
            if const is None or "sval" not in const:
                continue
            value = const["sval"].get("sval", "")
            added = self._new_enum_values.pop(value, None)
            if added is None:
                continue
            enum, statement, at = added
            here_line = self.lines.locate(self._src.offset(self._at))[0]
            self.report(
                "enum-value-in-transaction",
                f"ALTER TYPE {enum} ADD VALUE '{value}' and its use at line {here_line} are in "
                f"one transaction: PostgreSQL refuses the new value until it is committed "
                "(unsafe use of new value), so the migration fails",
                offset=at,
                statement=statement,
            )

    # --- data --------------------------------------------------------------------------------

    def _UpdateStmt(self, node: Node) -> None:
        self._whole_table(node, "UPDATE")

    def _DeleteStmt(self, node: Node) -> None:
        self._whole_table(node, "DELETE")

    def _whole_table(self, node: Node, verb: str) -> None:
        key = self.schema.relation(node["relation"])
        self._data_change(key)
        if self.unit.batched or "whereClause" in node or not self.existing(key):
            return
        self.report(
            "unbatched-dml",
            f"{verb} of every row of {key} in one statement: each changed row stays locked "
            f"until the migration commits (blocking {BLOCKS[ROW_EXCLUSIVE]}), and the whole "
            "table is written to the WAL at once",
            table=key,
            lock=ROW_EXCLUSIVE,
        )

    def _InsertStmt(self, node: Node) -> None:
        self._data_change(self.schema.relation(node["relation"]))

    def _MergeStmt(self, node: Node) -> None:
        self._data_change(self.schema.relation(node["relation"]))

    def _CreateTrigStmt(self, node: Node) -> None:
        self._touch(self.schema.relation(node["relation"]), alter=False)

    # --- DO blocks ---------------------------------------------------------------------------

    def _DoStmt(self, node: Node) -> None:
        body = self._do_body(node)
        if body is None:
            return
        text, start = body
        tag = "$aim_lint$"
        while tag in text:
            tag = tag[:-1] + "_$"
        function = (
            f"CREATE FUNCTION aim_lint_do() RETURNS void LANGUAGE plpgsql AS {tag}{text}{tag}"
        )
        try:
            tree = json.loads(pg.parse_plpgsql_json(function))
        except pg.ParseError:
            return  # PL/pgSQL the server would refuse; nothing to judge
        first_line = self.lines.locate(start)[0]
        outer, outer_at = self._src, self._at
        try:
            for part in _walk(tree):
                if "PLpgSQL_stmt_execsql" in part:
                    inner = part["PLpgSQL_stmt_execsql"]
                    query = inner.get("sqlstmt", {}).get("PLpgSQL_expr", {}).get("query", "")
                elif "PLpgSQL_stmt_dynexecute" in part:
                    inner = part["PLpgSQL_stmt_dynexecute"]
                    query = _constant_string(
                        inner.get("query", {}).get("PLpgSQL_expr", {}).get("query", "")
                    )
                else:
                    continue
                if query:
                    self._inner(query, first_line + int(inner.get("lineno", 1)) - 1)
        finally:
            self._src, self._at = outer, outer_at

    def _do_body(self, node: Node) -> tuple[str, int] | None:
        """A PL/pgSQL DO block's body, and the char offset in the file where it starts."""
        language, body, location = "plpgsql", None, None
        for arg in node.get("args") or ():
            element = arg.get("DefElem", {})
            value = element.get("arg", {}).get("String", {}).get("sval")
            if element.get("defname") == "language" and value:
                language = value.lower()
            elif element.get("defname") == "as":
                body, location = value, element.get("location")
        if language != "plpgsql" or body is None:
            return None
        start = self._src.offset(location)
        opening = self.text[start : start + 1] if self._src.exact else ""
        if opening == "$":  # $tag$ ... $tag$
            tag_end = self.text.find("$", start + 1)
            start = tag_end + 1 if tag_end != -1 else start
        elif opening == "'":
            start += 1
        return body, start

    def _inner(self, query: str, line: int) -> None:
        """A SQL statement inside a DO block, starting on `line` of the file."""
        line_start = self.lines.start_of(line)
        found = self.text.find(query, line_start)
        exact = found != -1 and self.lines.locate(found)[0] == line
        if not exact:
            found = line_start + len(self.text[line_start:]) - len(self.text[line_start:].lstrip())
        try:
            statements = parse(query)
        except pg.ParseError:
            return
        for raw in statements:
            self._src = _source(query, found, exact=exact)
            self._at = raw.get("stmt_location", 0)
            self.statement(raw["stmt"])


def _constant_string(expression: str) -> str | None:
    """The text of `EXECUTE '<constant>'`, or None for anything computed."""
    try:
        statements = parse(f"SELECT {expression}")
    except pg.ParseError:
        return None
    if len(statements) != 1:
        return None
    targets = statements[0]["stmt"].get("SelectStmt", {}).get("targetList") or []
    if len(targets) != 1:
        return None
    value = targets[0].get("ResTarget", {}).get("val", {})
    text = value.get("A_Const", {}).get("sval", {}).get("sval")
    return text if isinstance(text, str) else None
