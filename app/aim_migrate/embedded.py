"""A throwaway PostgreSQL for `--embedded`: only ever used when asked for explicitly.

A migration Job that "succeeds" against a throwaway database would let a rollout proceed on
an unmigrated one, so a missing DATABASE_URL is an error, never a reason to come here.
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aim_migrate.errors import ConfigError


@contextmanager
def embedded_server(data_dir: Path | None = None) -> Iterator[str]:
    """Start PostgreSQL from the `pgserver` package; yield its URL; stop it afterwards.

    With `data_dir`, the database is kept there between runs (to show a second, no-op run);
    without it, everything lives in a temporary directory that is deleted at the end.
    """
    try:
        with warnings.catch_warnings():  # it warns about XDG_RUNTIME_DIR in containers
            warnings.simplefilter("ignore")
            import pgserver  # noqa: PLC0415 - heavy, and optional
    except ImportError:
        raise ConfigError(
            "--embedded needs the optional PostgreSQL package, which is not installed.",
            hint="Install it with: pip install 'aim-migrate[embedded]'.",
        ) from None
    throwaway = data_dir is None
    directory = Path(tempfile.mkdtemp(prefix="aim-pg-")) if throwaway else data_dir
    assert directory is not None
    directory.mkdir(parents=True, exist_ok=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server = pgserver.get_server(  # type: ignore[attr-defined]
                str(directory), cleanup_mode="delete" if throwaway else "stop"
            )
    except Exception as exc:  # noqa: BLE001 - pgserver raises plain exceptions
        if throwaway:
            shutil.rmtree(directory, ignore_errors=True)
        raise ConfigError(
            f"The embedded PostgreSQL did not start: {str(exc).splitlines()[0]}",
            hint="Run without --embedded against a real server (DATABASE_URL).",
        ) from None
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()
