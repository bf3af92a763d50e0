"""Structured logs: one JSON object per line (containers) or a readable console rendering.

Every line carries a UTC timestamp, level, event name, the run id, the tool version and,
once connected, the database identity (host, port, name; never the password).
"""

from __future__ import annotations

import logging
import sys
import uuid
from typing import Any, Protocol, TextIO

import structlog

from app import __version__

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


class Logger(Protocol):
    def bind(self, **fields: Any) -> Logger: ...
    def debug(self, event: str, **fields: Any) -> Any: ...
    def info(self, event: str, **fields: Any) -> Any: ...
    def warning(self, event: str, **fields: Any) -> Any: ...
    def error(self, event: str, **fields: Any) -> Any: ...


class _StdlibBridge(logging.Handler):
    """Routes records of dependencies (psycopg, ...) into the same structured stream."""

    def __init__(self, target: Logger) -> None:
        super().__init__()
        self._target = target

    def emit(self, record: logging.LogRecord) -> None:
        method = getattr(self._target, record.levelname.lower(), self._target.warning)
        method("library.log", logger=record.name, message=record.getMessage())


def configure(
    log_format: str, level: str, stream: TextIO | None = None, run_id: str | None = None
) -> Logger:
    """Set up the pipeline; `run_id` keeps one id when the CLI reconfigures after parsing."""
    run_id = run_id or new_run_id()
    out = stream if stream is not None else sys.stdout
    renderer: Any
    if log_format == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=out.isatty())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(run_id=run_id, version=__version__)
    logger: Logger = structlog.get_logger()
    root = logging.getLogger()
    root.handlers[:] = [_StdlibBridge(logger)]
    root.setLevel(logging.DEBUG if level == "debug" else max(logging.WARNING, _LEVELS[level]))
    return logger


def bind(**fields: Any) -> None:
    """Add fields to every following line of this run (e.g. the database identity)."""
    structlog.contextvars.bind_contextvars(**fields)


def new_run_id() -> str:
    return uuid.uuid4().hex[:16]
