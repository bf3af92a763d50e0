"""What `lint` knows: the rules (id, severity, the lock and the safe way to write it), and
PostgreSQL's facts they rest on (which type changes rewrite a table, which functions are
volatile, what each lock mode blocks). Pure data; the checks are in lint_checks.py.

Severities: `error` fails `lint` (exit 3), `warning` and `note` are printed. A rule whose
danger grows with the table (a lock held for as long as a scan, a build or a rewrite takes) is
*graded*: with real table sizes (`--database-url`, or validate against a database) a small
table turns it into a note or a warning; without sizes an existing table is assumed large.
"""

from __future__ import annotations

from typing import NamedTuple

ERROR = "error"
WARNING = "warning"
NOTE = "note"
SEVERITIES = (ERROR, WARNING, NOTE)

# Kinds of rule: what makes the statement dangerous.
LOCK = "lock"  # a strong lock held while PostgreSQL works through the table (graded)
PHASE = "phase"  # removes or changes what the running (old) code reads or writes
BREAKS = "breaks"  # fails, or destroys data, whatever the table's size
ADVICE = "advice"  # a warning: works, but a better way exists
META = "meta"  # about the file itself (unparsable SQL, a bad allow= directive)


class Rule(NamedTuple):
    id: str
    severity: str  # when the table is large or its size is unknown
    kind: str
    summary: str  # one line, for the README table and --help
    fix: str  # the safe way to write it


# Lock modes (pg_locks.mode) and what each blocks, for people.
ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE"
SHARE = "SHARE"
SHARE_ROW_EXCLUSIVE = "SHARE ROW EXCLUSIVE"
SHARE_UPDATE_EXCLUSIVE = "SHARE UPDATE EXCLUSIVE"
ROW_EXCLUSIVE = "ROW EXCLUSIVE"
BLOCKS = {
    ACCESS_EXCLUSIVE: "every read and write",
    "EXCLUSIVE": "every write, and reads that lock rows",
    SHARE_ROW_EXCLUSIVE: "INSERT, UPDATE and DELETE (reads go on)",
    SHARE: "INSERT, UPDATE and DELETE (reads go on)",
    SHARE_UPDATE_EXCLUSIVE: "no read or write (only other DDL and VACUUM)",
    ROW_EXCLUSIVE: "UPDATE, DELETE and SELECT ... FOR UPDATE of the same rows",
    "ROW SHARE": "only EXCLUSIVE and ACCESS EXCLUSIVE lockers",
    "ACCESS SHARE": "only ACCESS EXCLUSIVE lockers (DDL)",
}
# LockStmt.mode (lockdefs.h) -> name
LOCK_MODES = {
    1: "ACCESS SHARE",
    2: "ROW SHARE",
    3: ROW_EXCLUSIVE,
    4: SHARE_UPDATE_EXCLUSIVE,
    5: SHARE,
    6: SHARE_ROW_EXCLUSIVE,
    7: "EXCLUSIVE",
    8: ACCESS_EXCLUSIVE,
}

_NO_TXN = "in a file of its own with '-- aim-migrate: no-transaction'"

RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        # --- strong locks held while PostgreSQL works through an existing table (graded) ----
        Rule(
            "index-not-concurrent",
            ERROR,
            LOCK,
            "CREATE INDEX without CONCURRENTLY on an existing table",
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS ... {_NO_TXN}.",
        ),
        Rule(
            "drop-index-not-concurrent",
            ERROR,
            LOCK,
            "DROP INDEX without CONCURRENTLY on an existing table",
            f"DROP INDEX CONCURRENTLY IF EXISTS ... {_NO_TXN}.",
        ),
        Rule(
            "reindex-not-concurrent",
            ERROR,
            LOCK,
            "REINDEX without CONCURRENTLY",
            f"REINDEX (CONCURRENTLY) INDEX|TABLE ... {_NO_TXN}.",
        ),
        Rule(
            "add-column-rewrite",
            ERROR,
            LOCK,
            "ADD COLUMN that rewrites the table (volatile default, serial, identity, "
            "generated stored)",
            "Add the column without a default (or with a constant one), then fill it in a "
            "'-- aim-migrate: batched' migration; for a generated value, a plain column kept "
            "by a trigger.",
        ),
        Rule(
            "column-type-rewrite",
            ERROR,
            LOCK,
            "ALTER COLUMN TYPE that rewrites the table (not a binary-coercible change)",
            "Add a column of the new type kept in step by a trigger, backfill it in a batched "
            "migration, and switch over post-deploy (README, Zero-downtime changes). Only "
            "varchar(n) -> varchar(m > n)/text, numeric precision increases and the like are "
            "free.",
        ),
        Rule(
            "set-not-null-scan",
            ERROR,
            LOCK,
            "SET NOT NULL without a validated CHECK (col IS NOT NULL)",
            "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID in one migration, VALIDATE "
            "CONSTRAINT c in a later one; then SET NOT NULL finds the check and skips the scan.",
        ),
        Rule(
            "constraint-not-valid",
            ERROR,
            LOCK,
            "ADD FOREIGN KEY / CHECK without NOT VALID on an existing table",
            "ADD CONSTRAINT ... NOT VALID (checks new writes at once), then VALIDATE "
            "CONSTRAINT in a later migration (a scan under SHARE UPDATE EXCLUSIVE).",
        ),
        Rule(
            "unique-not-using-index",
            ERROR,
            LOCK,
            "ADD UNIQUE / PRIMARY KEY / EXCLUDE that builds its index under the table lock",
            f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ... {_NO_TXN}, then "
            "ADD CONSTRAINT c UNIQUE USING INDEX i (PRIMARY KEY USING INDEX needs NOT NULL "
            "columns).",
        ),
        Rule(
            "validate-same-transaction",
            ERROR,
            LOCK,
            "VALIDATE CONSTRAINT in the same transaction as its ADD ... NOT VALID",
            "Move the VALIDATE CONSTRAINT to a later migration: in the same transaction the "
            "scan runs under the lock the ADD took.",
        ),
        Rule(
            "cluster",
            ERROR,
            LOCK,
            "CLUSTER rewrites the table under ACCESS EXCLUSIVE",
            "Leave physical reordering to maintenance (pg_repack, or a planned window), not a "
            "deploy.",
        ),
        Rule(
            "vacuum-full",
            ERROR,
            LOCK,
            "VACUUM FULL rewrites the table under ACCESS EXCLUSIVE",
            "Plain VACUUM (or pg_repack) in maintenance, not a deploy.",
        ),
        Rule(
            "add-required-column",
            ERROR,
            LOCK,
            "ADD COLUMN ... NOT NULL without a default: fails on a table with rows",
            "Add the column nullable (or with a constant DEFAULT), backfill it, then SET NOT "
            "NULL the safe way.",
        ),
        # --- whatever the size -------------------------------------------------------------
        Rule(
            "lock-table",
            ERROR,
            BREAKS,
            "LOCK TABLE holds the lock until the migration commits",
            "Remove the LOCK TABLE: each statement takes the lock it needs, under lock_timeout.",
        ),
        Rule(
            "truncate-cascade",
            ERROR,
            BREAKS,
            "TRUNCATE ... CASCADE also empties every table that references it",
            "TRUNCATE only the tables named (RESTRICT, the default), or DELETE in batches.",
        ),
        Rule(
            "enum-value-in-transaction",
            ERROR,
            BREAKS,
            "ALTER TYPE ... ADD VALUE, then the value used in the same transaction",
            "Add the value in its own migration (or a no-transaction one) and use it in a "
            "later one: PostgreSQL refuses an enum value before it is committed.",
        ),
        # --- what the running (old) code needs: errors in pre-deploy migrations -------------
        Rule(
            "drop-column",
            ERROR,
            PHASE,
            "DROP COLUMN in a pre-deploy migration: the old pods still read it",
            "Stop using the column in the new code, and drop it in a '-- aim-migrate: "
            "post-deploy' migration.",
        ),
        Rule(
            "rename-column",
            ERROR,
            PHASE,
            "RENAME COLUMN in a pre-deploy migration: the old pods use the old name",
            "Expand/contract: add the new column with a trigger keeping both in step, "
            "backfill, and drop the old one post-deploy (README, Zero-downtime changes).",
        ),
        Rule(
            "drop-table",
            ERROR,
            PHASE,
            "DROP TABLE in a pre-deploy migration: the old pods still read it",
            "Drop it in a '-- aim-migrate: post-deploy' migration, once no code uses it.",
        ),
        Rule(
            "rename-table",
            ERROR,
            PHASE,
            "RENAME TABLE in a pre-deploy migration: the old pods use the old name",
            "Create the new table (or a view under the new name), move the code, and drop the "
            "old name post-deploy.",
        ),
        Rule(
            "narrow-type",
            ERROR,
            PHASE,
            "a column type change in a pre-deploy migration that old code's values may not fit",
            "Add a column of the new type, dual-write, backfill, and switch post-deploy.",
        ),
        Rule(
            "set-not-null-old-code",
            ERROR,
            PHASE,
            "SET NOT NULL in a pre-deploy migration on a column the old code may leave NULL",
            "Make it post-deploy (the new code always writes it), or add a DEFAULT first; a "
            "CHECK (col IS NOT NULL) NOT VALID from an earlier migration also covers it.",
        ),
        # --- warnings ----------------------------------------------------------------------
        Rule(
            "unbatched-dml",
            WARNING,
            ADVICE,
            "UPDATE/DELETE of a whole existing table in one transaction",
            "Write it as '-- aim-migrate: batched' (one bounded statement, repeated until it "
            "changes no row).",
        ),
        Rule(
            "alter-multiple-tables",
            WARNING,
            ADVICE,
            "ALTER TABLE on two or more existing tables in one transaction (lock ordering)",
            "One table per migration: locks taken in a different order than the application "
            "takes them can deadlock, and each is held until the whole file commits.",
        ),
        Rule(
            "concurrent-index-not-retryable",
            WARNING,
            ADVICE,
            "CREATE INDEX CONCURRENTLY without IF NOT EXISTS cannot be retried",
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS name ON ... (the runner drops an INVALID "
            "leftover of the same name before a retry).",
        ),
        Rule(
            "dml-with-ddl",
            WARNING,
            ADVICE,
            "data changes and DDL on existing tables in one transaction",
            "Put the data change in its own (batched) migration: together, the row locks and "
            "the table locks are held until the whole file commits.",
        ),
        # --- the files themselves ----------------------------------------------------------
        Rule(
            "parse-error",
            ERROR,
            META,
            "the file is not valid PostgreSQL",
            "Fix the syntax (the server would refuse it too).",
        ),
        Rule(
            "allow-without-reason",
            ERROR,
            META,
            "an allow= directive without a reason",
            "Write '-- aim-migrate: allow=<rule> <why it is safe here>'.",
        ),
        Rule(
            "allow-unknown-rule",
            ERROR,
            META,
            "an allow= directive naming no known rule",
            "Use a rule id printed by 'aim-migrate lint' (see README, Lint).",
        ),
        Rule(
            "allow-unused",
            WARNING,
            META,
            "an allow= directive that silences nothing",
            "Remove it, or move it to the line before the statement it is about.",
        ),
    )
}

# --- sizes -----------------------------------------------------------------------------------
# With real sizes, a graded rule on a table below these is a note (rows and bytes both), below
# the next a warning; anything bigger, or of unknown size, stays an error.
NOTE_BELOW = (10_000, 16 << 20)
WARNING_BELOW = (100_000, 128 << 20)

# --- types -----------------------------------------------------------------------------------
# Parser names (pg_catalog.*, or as written) -> the canonical type name.
TYPE_ALIASES = {
    "int": "int4",
    "integer": "int4",
    "int4": "int4",
    "serial": "int4",
    "serial4": "int4",
    "smallint": "int2",
    "int2": "int2",
    "smallserial": "int2",
    "serial2": "int2",
    "bigint": "int8",
    "int8": "int8",
    "bigserial": "int8",
    "serial8": "int8",
    "boolean": "bool",
    "real": "float4",
    "float": "float8",
    "double precision": "float8",
    "decimal": "numeric",
    "character varying": "varchar",
    "character": "bpchar",
    "char": "bpchar",
    "bit varying": "varbit",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
    "time without time zone": "time",
    "time with time zone": "timetz",
}
SERIAL_TYPES = {"serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"}
TEXTUAL = {"text", "varchar", "bpchar"}
# Types whose length/precision typmod can grow without a rewrite (PostgreSQL's support
# functions for the length coercion see that every old value fits).
_TYPMOD_GROWS = {"varchar", "varbit", "timestamp", "timestamptz", "time", "timetz"}
# old -> new pairs that are binary coercible (pg_cast castmethod 'b', no length check).
_BINARY = {("varchar", "text"), ("text", "varchar"), ("cidr", "inet"), ("xml", "text")}
# old -> new: every old value fits the new type (so old code's writes still do).
_WIDER = {
    "int2": {"int4", "int8", "numeric", "float4", "float8"},
    "int4": {"int8", "numeric", "float8"},
    "int8": {"numeric"},
    "float4": {"float8"},
    "date": {"timestamp", "timestamptz"},
    "timestamp": {"timestamptz"},
    "timestamptz": {"timestamp"},
    "json": {"jsonb"},
    "cidr": {"inet"},
}


class TypeName(NamedTuple):
    name: str  # canonical: int4, varchar, numeric, ... (or as written for other types)
    mods: tuple[int, ...]  # typmods as written: varchar(10) -> (10,), numeric(10,2) -> (10, 2)
    array: bool = False
    written: str = ""  # the name as written (serial, bigserial, ...)

    def __str__(self) -> str:
        mods = f"({','.join(map(str, self.mods))})" if self.mods else ""
        return f"{self.name}{mods}{'[]' if self.array else ''}"


def rewrites(old: TypeName, new: TypeName) -> bool:
    """Whether ALTER COLUMN TYPE old -> new (without USING) rewrites the table."""
    if old.array != new.array:
        return True
    if old.name == new.name:
        if old.mods == new.mods:
            return False
        if old.name in _TYPMOD_GROWS:
            return bool(new.mods) and (not old.mods or new.mods[0] < old.mods[0])
        if old.name == "numeric":
            if not new.mods:
                return False
            if not old.mods:
                return True
            old_scale = old.mods[1] if len(old.mods) > 1 else 0
            new_scale = new.mods[1] if len(new.mods) > 1 else 0
            return new_scale != old_scale or new.mods[0] < old.mods[0]
        return True
    if (old.name, new.name) in _BINARY:
        # text -> varchar(n) must check the length of every row: not free.
        return new.name in ("varchar",) and bool(new.mods)
    return True


def widens(old: TypeName, new: TypeName) -> bool:
    """Whether every value of `old` fits `new`: old code that writes the old type still can."""
    if old.array != new.array:
        return False
    if not rewrites(old, new):
        return True
    if new.name == "text" or (new.name == "varchar" and not new.mods):
        return True  # every value has a text form
    if new.name == "numeric" and not new.mods and old.name in ("int2", "int4", "int8", "numeric"):
        return True
    if old.name == new.name == "numeric" and old.mods and new.mods:
        old_scale = old.mods[1] if len(old.mods) > 1 else 0
        new_scale = new.mods[1] if len(new.mods) > 1 else 0
        return new_scale >= old_scale and new.mods[0] - new_scale >= old.mods[0] - old_scale
    if old.name == new.name and old.name == "bpchar":
        return not new.mods or (bool(old.mods) and new.mods[0] >= old.mods[0])
    return new.name in _WIDER.get(old.name, set())


# --- volatility ------------------------------------------------------------------------------
# Functions a column DEFAULT may call without making ADD COLUMN rewrite the table: PostgreSQL
# 11+ evaluates a non-volatile default once and stores it in the catalog. Anything not listed
# here and not in VOLATILE is treated as volatile: its volatility cannot be known offline.
NON_VOLATILE_FUNCTIONS = frozenset(
    {
        "now",
        "transaction_timestamp",
        "statement_timestamp",
        "current_date",
        "current_timestamp",
        "localtimestamp",
        "current_setting",
        "current_user",
        "session_user",
        "current_schema",
        "lower",
        "upper",
        "btrim",
        "ltrim",
        "rtrim",
        "trim",
        "concat",
        "concat_ws",
        "length",
        "replace",
        "substr",
        "substring",
        "md5",
        "abs",
        "round",
        "greatest",
        "least",
        "coalesce",
        "nullif",
        "date_trunc",
        "make_interval",
        "make_date",
        "make_timestamp",
        "make_timestamptz",
        "to_timestamp",
        "to_date",
        "to_char",
        "to_json",
        "to_jsonb",
        "json_build_object",
        "jsonb_build_object",
        "json_build_array",
        "jsonb_build_array",
        "array_fill",
        "timezone",
        "inet",
        "interval",
    }
)
VOLATILE_FUNCTIONS = frozenset(
    {
        "random",
        "random_normal",
        "gen_random_uuid",
        "uuidv4",
        "uuidv7",
        "uuid_generate_v1",
        "uuid_generate_v1mc",
        "uuid_generate_v4",
        "clock_timestamp",
        "timeofday",
        "nextval",
        "setval",
        "txid_current",
        "pg_current_xact_id",
    }
)
