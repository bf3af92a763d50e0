"""Split a SQL file into top-level statements, exactly as written.

Each statement is later sent to the server on its own, byte for byte, so that a failure can
be pinned to its line and so that non-transactional statements (CREATE INDEX CONCURRENTLY)
are not wrapped in the implicit transaction of a multi-statement query. The scanner knows
what can hide a semicolon: quotes, E-strings, quoted identifiers, dollar quotes, nested
block comments, line comments, and `BEGIN ATOMIC ... END` function bodies.
"""

from __future__ import annotations

import bisect
import functools
import re
from typing import NamedTuple

_LEXEME_PATTERN = r"""
    (?P<ws>\s+)
  | (?P<line_comment>--[^\n]*)
  | (?P<block_comment>/\*)
  | (?P<estring>[eE]')
  | (?P<string>')
  | (?P<ident>")
  | (?P<dollar>\$(?:[A-Za-z_\x80-\U0010ffff][A-Za-z_0-9\x80-\U0010ffff]*)?\$)
  | (?P<word>[A-Za-z_\x80-\U0010ffff][A-Za-z_0-9$\x80-\U0010ffff]*)
  | (?P<semi>;)
  | (?P<other>[^\s'"$;A-Za-z_\x80-\U0010ffff/\-]+|.)
    """


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """Compiled on first use: a run with nothing pending never splits a file."""
    return (
        re.compile(_LEXEME_PATTERN, re.VERBOSE | re.DOTALL),
        re.compile(r"(?:[^'\\]|\\.|'')*+'", re.DOTALL),  # E'' body; possessive: no backtracking
        re.compile(r"/\*|\*/"),
    )


_TRANSACTION_CONTROL = {"BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT"}
_NEEDS_NO_TRANSACTION = {"VACUUM"}


class SqlSyntaxError(ValueError):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


class Statement(NamedTuple):
    text: str  # the exact characters of the statement, without the terminating semicolon
    offset: int  # index of `text` in the file
    line: int  # line of the first significant character
    words: tuple[str, ...]  # the first top-level keywords, upper-cased

    @property
    def transaction_control(self) -> bool:
        """BEGIN/COMMIT/ROLLBACK would end the runner's own transaction early."""
        if not self.words or self.words[0] not in _TRANSACTION_CONTROL:
            return False
        if self.words[0] == "ROLLBACK" and len(self.words) > 1 and self.words[1] == "TO":
            return False
        return not (self.words[0] == "START" and self.words[1:2] != ("TRANSACTION",))

    @property
    def requires_no_transaction(self) -> bool:
        """Statements PostgreSQL refuses to run inside a transaction block."""
        w = self.words
        if not w:
            return False
        if w[0] in _NEEDS_NO_TRANSACTION:
            return True
        if w[0] in {"CREATE", "DROP", "REINDEX"} and "CONCURRENTLY" in w[:5]:
            return True
        if w[0] == "REINDEX" and {"SCHEMA", "DATABASE", "SYSTEM"} & set(w[1:3]):
            return True
        if w[0] in {"CREATE", "DROP"} and w[1:2] in {("DATABASE",), ("TABLESPACE",)}:
            return True
        return w[:2] == ("ALTER", "SYSTEM")

    @property
    def changes_session(self) -> bool:
        """A plain SET or RESET outlives the migration and would leak into the next one."""
        if not self.words:
            return False
        if self.words[0] == "RESET":
            return True
        return self.words[0] == "SET" and self.words[1:2] != ("LOCAL",)

    @property
    def is_psql_meta_command(self) -> bool:
        return self.text.startswith("\\")


class LineIndex:
    """Maps a character offset in a file to its 1-based line and column."""

    def __init__(self, text: str) -> None:
        self._starts = [0]
        pos = text.find("\n")
        while pos != -1:
            self._starts.append(pos + 1)
            pos = text.find("\n", pos + 1)

    def locate(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1


def split_statements(sql: str) -> list[Statement]:  # noqa: PLR0912, PLR0915 - one scanning loop
    """Return the non-empty top-level statements of `sql`; raise SqlSyntaxError if unterminated."""
    token, estring_body, block_comment_edge = _patterns()
    lines = LineIndex(sql)
    statements: list[Statement] = []
    n = len(sql)
    pos = 0
    start: int | None = None  # offset of the first significant character of the statement
    words: list[str] = []
    atomic_depth = 0  # BEGIN ATOMIC ... END nesting inside CREATE FUNCTION/PROCEDURE
    routine = False

    def fail(message: str, at: int) -> SqlSyntaxError:
        line, column = lines.locate(at)
        return SqlSyntaxError(message, line, column)

    while pos < n:
        match = token.match(sql, pos)
        if match is None:  # pragma: no cover - `.` matches any character
            raise fail("unreadable character", pos)
        kind = match.lastgroup
        end = match.end()
        if kind in ("ws", "line_comment"):
            pos = end
            continue
        if kind == "block_comment":
            depth, scan = 1, end
            while depth:
                edge = block_comment_edge.search(sql, scan)
                if edge is None:
                    raise fail("unterminated /* comment", pos)
                depth += 1 if edge.group() == "/*" else -1
                scan = edge.end()
            pos = scan
            continue
        if start is None:
            start = pos
        if kind in {"string", "ident"}:
            quote = sql[pos]
            scan = end
            while True:
                close = sql.find(quote, scan)
                if close == -1:
                    what = "string literal" if quote == "'" else "quoted identifier"
                    raise fail(f"unterminated {what}", pos)
                if close + 1 < n and sql[close + 1] == quote:
                    scan = close + 2
                    continue
                end = close + 1
                break
        elif kind == "estring":
            body = estring_body.match(sql, end)
            if body is None:
                raise fail("unterminated E'' string literal", pos)
            end = body.end()
        elif kind == "dollar":
            tag = match.group()
            close = sql.find(tag, end)
            if close == -1:
                raise fail(f"unterminated dollar-quoted string {tag}", pos)
            end = close + len(tag)
        elif kind == "word":
            word = match.group().upper()
            if len(words) < 6:
                words.append(word)
                if len(words) <= 4 and word in ("FUNCTION", "PROCEDURE") and words[0] == "CREATE":
                    routine = True
            if routine:
                if word == "BEGIN" or (atomic_depth and word == "CASE"):
                    atomic_depth += 1
                elif word == "END" and atomic_depth:
                    atomic_depth -= 1
        elif kind == "semi" and not atomic_depth:
            if start is not None and start < pos:
                statements.append(_statement(sql, start, pos, lines, words))
            start, words, routine = None, [], False
            pos = end
            continue
        pos = end

    if start is not None:
        tail = sql[start:].rstrip()
        if tail:
            statements.append(_statement(sql, start, start + len(tail), lines, words))
    return statements


def _statement(sql: str, start: int, end: int, lines: LineIndex, words: list[str]) -> Statement:
    return Statement(
        text=sql[start:end],
        offset=start,
        line=lines.locate(start)[0],
        words=tuple(words),
    )
