"""Structured logs: one JSON object per line (containers) or a readable console rendering.

Every line carries a UTC timestamp, level, event name, the run id, the tool version and,
once connected, the database identity (host, port, name; never the password).

There is no module-level context: a logger carries its own fields, and `bind()` returns a new
logger with more of them, so work on several databases in one process never mixes their
fields. The only process-wide piece is the bridge for library records (stdlib logging).

Both renderings see the same event dictionaries. The console one runs through structlog's
processor pipeline; JSON lines, the format of every pod start, are written by `_JsonLogger`
below, because importing structlog alone costs about 15 ms per process and the no-op run is
paid thousands of times a day.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import sys
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any, Protocol, TextIO

from aim_migrate import __version__

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


class _JsonLogger:
    """One JSON object per line: the event's fields, the run-wide fields, level, timestamp."""

    def __init__(self, stream: TextIO, threshold: int, context: dict[str, Any]) -> None:
        self._stream = stream
        self._threshold = threshold
        self._context = context  # never changed: bind() makes a new logger

    def bind(self, **fields: Any) -> _JsonLogger:
        return _JsonLogger(self._stream, self._threshold, {**self._context, **fields})

    def _emit(self, level: str, event: str, fields: dict[str, Any]) -> None:
        if _LEVELS[level] < self._threshold:
            return
        # Bound fields come last: no event field may shadow the run id or tool version.
        line = {"event": event, **fields, **self._context, "level": level}
        line["timestamp"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        self._stream.write(json.dumps(line, default=str) + "\n")
        self._stream.flush()

    def debug(self, event: str, **fields: Any) -> None:
        self._emit("debug", event, fields)

    def info(self, event: str, **fields: Any) -> None:
        self._emit("info", event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._emit("warning", event, fields)

    def error(self, event: str, **fields: Any) -> None:
        self._emit("error", event, fields)


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
    """A logger for one run (`run_id` keeps one id when the CLI reconfigures after parsing).

    Records of dependencies (psycopg, ...) that use stdlib logging go to this logger: the one
    process-wide setting, made by whoever configured last (the CLI, at the process edge).
    """
    out = stream if stream is not None else sys.stdout
    context = {"run_id": run_id or new_run_id(), "version": __version__}
    logger: Logger
    if log_format == "json":
        logger = _JsonLogger(out, _LEVELS[level], context)
    else:
        logger = _console_logger(out, level, context)
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if not isinstance(h, _StdlibBridge)]
    root.addHandler(_StdlibBridge(logger))
    root.setLevel(logging.DEBUG if level == "debug" else max(logging.WARNING, _LEVELS[level]))
    return logger


def _console_logger(out: TextIO, level: str, context: dict[str, Any]) -> Logger:
    import structlog  # noqa: PLC0415 - only for people at a terminal

    logger: Logger = structlog.wrap_logger(
        structlog.PrintLogger(out),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            ConsoleRenderer(colors=out.isatty()),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
        context_class=dict,
        cache_logger_on_first_use=False,
    ).bind(**context)
    return logger


def new_run_id() -> str:
    return os.urandom(8).hex()


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
# Events rendered as one line from their own fields.
_LINES = {
    "lock.waiting": "  … waiting for the migration lock, held by pid {holder_pid} "
    "({holder_application}) for {waited_s} s",
    "lock.acquired": "  ✓ lock acquired (waited {waited_s} s)",
    "migration.started": "  ⚡ applying {migration} ...",
    "migration.reverting": "  ↩ reverting {migration} ...",
}
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

    def __call__(self, logger: object, method: str, event: MutableMapping[str, Any]) -> str:
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

    def _sentence(self, name: str, e: MutableMapping[str, Any]) -> str | None:
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
        if name in _LINES:
            return _LINES[name].format_map(collections.defaultdict(str, e))
        if name == "db.detected":
            track, pending = str(e.get("track")), e.get("pending")
            if not pending and track == "incremental":
                current = e.get("current_version")
                return f"  ✓ Existing database at version {current}: no pending migrations"
            if track == "baseline":
                return f"  {_TRACKS[track]}" + (f", then {pending} newer" if pending else "")
            return f"  {_TRACKS.get(track, track)} ({pending} pending)"
        if name == "migration.reverted":
            return self._paint(
                _GREEN, f"  ✓ reverted {e.get('migration')} ({e.get('duration_ms')} ms)"
            )
        if name == "migration.applied":
            recorded = (
                f", recorded {e['recorded']} contained migrations" if e.get("recorded") else ""
            )
            return self._paint(
                _GREEN, f"  ✓ {e.get('migration')} ({e.get('duration_ms')} ms{recorded})"
            )
        if name == "run.finished":
            ok = e.get("exit_code") == 0
            done = {"migrate": "All migrations applied successfully", "down": "Rolled back"}
            verdict = (
                f"✅ {done.get(str(e.get('command')), 'Done')}"
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
