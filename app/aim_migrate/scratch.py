"""The server that `verify` and `consolidate` build scratch databases on: AIM_DEV_DATABASE_URL's,
or an embedded PostgreSQL when none is given (never used implicitly by `migrate`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import psycopg

from aim_migrate.errors import ConnectError

if TYPE_CHECKING:
    from psycopg.rows import TupleRow


@contextmanager
def server(dev_url: str | None) -> Iterator[str]:
    if dev_url:
        yield dev_url
        return
    from aim_migrate.embedded import embedded_server  # noqa: PLC0415 - optional dependency

    with embedded_server() as url:
        yield url


def connect(url: str, purpose: str) -> psycopg.Connection[TupleRow]:
    """A connection to the scratch server; failing to connect is exit 4, not a crash."""
    try:
        return psycopg.connect(url, autocommit=True)
    except psycopg.OperationalError as exc:
        reason = " ".join(line.strip() for line in str(exc).strip().splitlines()[:2])
        raise ConnectError(
            f"Cannot connect to the server for {purpose} (AIM_DEV_DATABASE_URL): {reason}",
            hint="Check that the development server is running and reachable, and the user, "
            "password and database name in AIM_DEV_DATABASE_URL.",
            cause=reason,
        ) from None
