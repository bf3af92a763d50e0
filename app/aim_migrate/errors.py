"""Every failure the runner can report, each with a stable exit code and event name.

An error carries three things: a human sentence (`message`), what to do about it
(`hint`) and structured fields for the log event (`fields`). The CLI turns it into
exactly one log event and an exit code; nothing else prints errors.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    MIGRATION_FAILED = 1
    CONFIG = 2
    VALIDATION = 3
    CONNECT = 4
    LOCK_TIMEOUT = 5
    SIGINT = 130
    SIGTERM = 143


class AimError(Exception):
    exit_code: ExitCode = ExitCode.MIGRATION_FAILED
    event: str = "run.failed"

    def __init__(
        self, message: str, *, hint: str = "", event: str | None = None, **fields: object
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.fields = fields
        if event is not None:
            self.event = event

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class ConfigError(AimError):
    exit_code = ExitCode.CONFIG
    event = "config.invalid"


class UsageError(ConfigError):
    """A bad command line: an unknown option, a missing or out-of-range argument."""

    event = "usage.invalid"


class ValidationError(AimError):
    """Bad migration files, tampered checksums, drift, or a database state we refuse to guess at."""

    exit_code = ExitCode.VALIDATION
    event = "validation.failed"


class MigrationError(AimError):
    exit_code = ExitCode.MIGRATION_FAILED
    event = "migration.failed"


class ConnectError(AimError):
    exit_code = ExitCode.CONNECT
    event = "db.connect_failed"


class ConnectionLostError(ConnectError):
    """The server ended the session mid-run (restart, failover, pg_terminate_backend)."""

    event = "db.connection_lost"


class LockTimeoutError(AimError):
    exit_code = ExitCode.LOCK_TIMEOUT
    event = "lock.timeout"


class WaitTimeoutError(AimError):
    """`aim-migrate wait` gave up: the schema this image needs is not there yet."""

    exit_code = ExitCode.LOCK_TIMEOUT
    event = "wait.timeout"


class Interrupted(KeyboardInterrupt):
    """Raised from the signal handler; a KeyboardInterrupt so psycopg cancels the running query."""

    def __init__(self, signum: int, signame: str) -> None:
        super().__init__(signame)
        self.signum = signum
        self.signame = signame

    @property
    def exit_code(self) -> int:
        return 128 + self.signum
