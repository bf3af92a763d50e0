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
        renderer = ConsoleRenderer(colors=out.isatty())
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


_RESET, _BOLD, _RED, _GREEN, _YELLOW, _DIM = (
    "\x1b[0m",
    "\x1b[1m",
    "\x1b[31m",
    "\x1b[32m",
    "\x1b[33m",
    "\x1b[2m",
)
_RULE = "═" * 60
# Fields every line has; the console shows them once, in the banner, not on every line.
_CONTEXT = {"timestamp", "level", "event", "run_id", "version", "db_host", "db_port", "db_name"}
_TRACKS = {
    "baseline": "Fresh database detected: applying the consolidated baseline",
    "chain": "Fresh database, no baseline file: applying the incremental chain",
    "incremental": "Existing database detected: applying incremental migrations",
}


class ConsoleRenderer:
    """A readable rendering of the same events, in the spirit of the original runner's banner."""

    def __init__(self, colors: bool) -> None:
        self._colors = colors

    def _paint(self, color: str, text: str) -> str:
        return f"{color}{text}{_RESET}" if self._colors else text

    def __call__(self, logger: object, method: str, event: dict[str, Any]) -> str:
        name = str(event.get("event", ""))
        line = self._sentence(name, event)
        if line is None:
            extras = " ".join(f"{k}={v}" for k, v in event.items() if k not in _CONTEXT)
            line = f"  · {name} {extras}".rstrip()
        level = event.get("level")
        if level == "error":
            line = self._paint(_RED, line)
            if event.get("hint"):
                line += "\n    " + self._paint(_YELLOW, f"→ {event['hint']}")
        elif level == "warning":
            line = self._paint(_YELLOW, line)
        return line

    def _sentence(self, name: str, e: dict[str, Any]) -> str | None:
        if name == "run.started":
            title = f"aim-migrate {e.get('version', '')} · {e.get('command', '')}"
            where = (
                f"{e['db_host']}:{e.get('db_port')}/{e.get('db_name')}" if "db_host" in e else ""
            )
            return self._paint(_BOLD, f"{_RULE}\n  {title}  {where}\n{_RULE}")
        if name == "db.connected":
            number = int(e.get("server_version") or 0)
            version = f"{number // 10000}.{number % 10000}"
            return f"  ✓ connected (PostgreSQL {version}, user {e.get('user')})"
        if name == "lock.waiting":
            return (
                f"  … waiting for the migration lock, held by pid {e.get('holder_pid')} "
                f"({e.get('holder_application')}) for {e.get('waited_s')} s"
            )
        if name == "lock.acquired":
            return f"  ✓ lock acquired (waited {e.get('waited_s')} s)"
        if name == "db.detected":
            track, pending = str(e.get("track")), e.get("pending")
            if not pending and track == "incremental":
                current = e.get("current_version")
                return f"  ✓ Existing database at version {current}: no pending migrations"
            if track == "baseline":
                return f"  {_TRACKS[track]}" + (f", then {pending} newer" if pending else "")
            return f"  {_TRACKS.get(track, track)} ({pending} pending)"
        if name == "migration.started":
            return f"  ⚡ applying {e.get('migration')} ..."
        if name == "migration.applied":
            recorded = (
                f", recorded {e['recorded']} contained migrations" if e.get("recorded") else ""
            )
            return self._paint(
                _GREEN, f"  ✓ {e.get('migration')} ({e.get('duration_ms')} ms{recorded})"
            )
        if name == "run.finished":
            ok = e.get("exit_code") == 0
            verdict = (
                "✅ All migrations applied successfully"
                if ok
                else f"❌ Failed (exit {e.get('exit_code')})"
            )
            return self._paint(
                _BOLD + (_GREEN if ok else _RED),
                f"{_RULE}\n  {verdict} ({e.get('duration_ms')} ms)\n{_RULE}",
            )
        if e.get("message"):
            mark = "✗" if e.get("level") == "error" else "⚠"
            return f"  {mark} {e['message']}"
        return None
