"""The database a run works on, as one explicit value passed down the flow.

Everything that names the target lives here: how to connect, which schema and history table,
the sentinel table, the advisory lock's name, and the fields every log line about it carries
(host, port, database; never the password). One process can hold several targets at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from aim_migrate.history import Table

if TYPE_CHECKING:
    from aim_migrate.config import Config
    from aim_migrate.fanout import CancelScope
    from aim_migrate.logs import Logger


class Target(NamedTuple):
    conninfo: str  # a libpq URL or key=value string; "" means libpq's PG* variables
    table: Table  # the history table, in the target schema
    sentinel: str  # a table whose presence without history means an unmanaged database
    lock_name: str  # what the advisory lock key is derived from
    fields: dict[str, Any]  # db_host, db_port, db_name: safe to log
    cancel_scope: CancelScope | None = None  # fan-out: where SIGTERM finds our connection

    @property
    def schema(self) -> str:
        return self.table.schema

    @property
    def database(self) -> str | None:
        return str(self.fields.get("db_name") or "") or None

    def logger(self, log: Logger) -> Logger:
        """`log` with this target's identity on every line."""
        return log.bind(**self.fields)


def target(config: Config, conninfo: str) -> Target:
    from aim_migrate.connect import target_fields  # noqa: PLC0415 - parses with psycopg

    return Target(
        conninfo=conninfo,
        table=Table(config.schema, config.history_table),
        sentinel=config.sentinel_table,
        lock_name=config.lock_key_name,
        fields=target_fields(conninfo),
    )
