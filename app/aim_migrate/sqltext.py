"""Split a SQL file into top-level statements, exactly as written.

Each statement is later sent to the server on its own, byte for byte, so that a failure can
be pinned to its line and so that non-transactional statements (CREATE INDEX CONCURRENTLY)
are not wrapped in the implicit transaction of a multi-statement query.

The lexer follows PostgreSQL's own (src/backend/parser/scan.l, with standard_conforming_strings
on) as far as a statement boundary depends on it: quotes with doubled quotes, E-strings with
backslash escapes (and their continuation over a newline), quoted identifiers, dollar quotes,
nested block comments and line comments. A semicolon ends a statement only outside
parentheses (multi-action rules: `DO ALSO (INSERT ...; INSERT ...)`) and outside the
`BEGIN ATOMIC ... END` body of CREATE [OR REPLACE] FUNCTION/PROCEDURE, as in psql's lexer.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterator
from typing import NamedTuple

# PostgreSQL's whitespace. Not Python's `\s`: U+00A0 and friends are identifier characters.
_SPACE = " \t\n\r\f\v"
_IDENT_START = r"A-Za-z_\x80-\U0010ffff"
_IDENT_CONT = r"A-Za-z_0-9$\x80-\U0010ffff"
_LEXEME_PATTERN = rf"""
    [ \t\n\r\f\v]*+  # whitespace before the lexeme is skipped in the same match
  (?:
    (?P<line_comment>--[^\n\r]*)
  | (?P<block_comment>/\*)
  | (?P<estring>[eE]')
  | (?P<string>')
  | (?P<ident>")
  | (?P<dollar>\$(?:[{_IDENT_START}][A-Za-z_0-9\x80-\U0010ffff]*)?\$)
  | (?P<word>[{_IDENT_START}][{_IDENT_CONT}]*)
  | (?P<semi>;)
  | (?P<open>\()
  | (?P<close>\))
  | (?P<param>\$[0-9]+)
  | (?P<number>(?:[0-9][0-9_]*(?:\.(?!\.)[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9]+)?)
  | (?P<backslash>\\)
  | (?P<other>[^ \t\n\r\f\v'"$;()\\0-9.{_IDENT_START}/\-]+|.)
  )
    """
# After an E-string's closing quote: whitespace with a newline, then a quote, continues it
# (scan.l's {quotecontinue}; `--` comments count as whitespace there, block comments do not).
_CONTINUATION_PATTERN = r"(?:[ \t\f\v]|--[^\n\r]*+)*+[\n\r](?:[ \t\n\r\f\v]|--[^\n\r]*+[\n\r])*+'"


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """Compiled on first use: a run with nothing pending never splits a file."""
    return (
        re.compile(_LEXEME_PATTERN, re.VERBOSE | re.DOTALL),
        re.compile(r"(?:[^'\\]|\\.|'')*+'", re.DOTALL),  # E'' body; possessive: no backtracking
        re.compile(r"/\*|\*/"),
        re.compile(_CONTINUATION_PATTERN),
    )


_TRANSACTION_CONTROL = {"BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT"}
_NEEDS_NO_TRANSACTION = {"VACUUM"}
_ROUTINE = {"FUNCTION", "PROCEDURE"}
# Values of a boolean setting that mean "on" (PostgreSQL's parse_bool takes unique prefixes).
_TRUE = {"on", "t", "tr", "tru", "true", "y", "ye", "yes", "1", "default"}


class SqlSyntaxError(ValueError):
    def __init__(
        self,
        message: str,
        line: int,
        column: int,
        offset: int = 0,
        before: tuple[Statement, ...] = (),
    ) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.offset = offset  # where in the file the unterminated construct starts
        # The statements before that point, the last one possibly cut there: a file that a
        # client would have read differently (COPY ... FROM stdin data, a psql command's
        # argument) is best reported by what a statement before the error is.
        self.before = before


class Statement(NamedTuple):
    text: str  # the exact characters of the statement, without the terminating semicolon
    offset: int  # index of `text` in the file
    line: int  # line of the first significant character
    words: tuple[str, ...]  # the first keywords (at any parenthesis depth), upper-cased

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
        """A psql backslash command (`\\i`, `\\gset`, ...) anywhere at the top level."""
        return self.meta_command_at is not None

    @property
    def meta_command_at(self) -> int | None:
        """Index in `text` of the first backslash outside quotes and comments, if any.

        The server never accepts one there: it is a psql command, at the start of the
        statement (`\\i file`) or after it (`SELECT 1 \\gset`).
        """
        if "\\" not in self.text:
            return None
        if self.text.startswith("\\"):
            return 0
        return next((b for kind, b, _ in _lexemes_of(self.text) if kind == "backslash"), None)

    def has_keyword(self, keyword: str) -> bool:
        """Whether `keyword` (upper case) appears as a word outside quotes and comments."""
        if keyword.lower() not in self.text.lower():
            return False
        return any(
            kind == "word" and self.text[begin:end].upper() == keyword
            for kind, begin, end in _lexemes_of(self.text)
        )

    @property
    def client_copy(self) -> str | None:
        """`FROM STDIN` or `TO STDOUT` of a COPY, which needs a client that streams the rows."""
        if not self.words or self.words[0] != "COPY" or "STD" not in self.text.upper():
            return None
        depth, previous = 0, ""
        for kind, begin, end in _lexemes_of(self.text):
            if kind == "open":
                depth += 1
            elif kind == "close":
                depth = max(depth - 1, 0)
            elif depth == 0:
                word = self.text[begin:end].upper() if kind == "word" else ""
                if previous in {"FROM", "TO"} and word in {"STDIN", "STDOUT"}:
                    return f"{previous} {word}"
                previous = word
        return None

    @property
    def disables_standard_conforming_strings(self) -> bool:
        """Sets standard_conforming_strings to anything but on (SET, ALTER ... SET, set_config).

        With it off, a backslash escapes a quote in a plain '...' string: the rest of the
        file (and, through ALTER ROLE/DATABASE, the next run's) would be read differently
        from how it is split here. Looked for in dollar-quoted bodies (DO blocks) too.
        """
        return "standard_conforming_strings" in self.text.lower() and _sets_scs_off(self.text)


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


def _lexemes(sql: str) -> Iterator[tuple[str, int, int]]:  # noqa: PLR0912, PLR0915 - one loop
    """Yield (kind, start, end) of each significant lexeme; whitespace and comments are skipped.

    Raises SqlSyntaxError (with the offset in `offset`, line and column 0) if a quote,
    comment or dollar quote is not closed.
    """
    token, estring_body, block_comment_edge, continuation = _patterns()
    n = len(sql)
    pos = 0
    while pos < n:
        match = token.match(sql, pos)
        if match is None:  # only whitespace is left: `.` matches any other character
            return
        kind = match.lastgroup or ""
        end = match.end()
        if kind == "line_comment":
            pos = end
            continue
        pos = match.start(kind)
        if kind == "block_comment":
            depth, scan = 1, end
            while depth:
                edge = block_comment_edge.search(sql, scan)
                if edge is None:
                    raise SqlSyntaxError("unterminated /* comment", 0, 0, pos)
                depth += 1 if edge.group() == "/*" else -1
                scan = edge.end()
            pos = scan
            continue
        if kind in {"string", "ident"}:
            # A plain string continued over a newline (`'a'\n'b'`) reads the same as two.
            quote = sql[pos]
            scan = end
            while True:
                close = sql.find(quote, scan)
                if close == -1:
                    what = "string literal" if quote == "'" else "quoted identifier"
                    raise SqlSyntaxError(f"unterminated {what}", 0, 0, pos)
                if close + 1 < n and sql[close + 1] == quote:
                    scan = close + 2
                    continue
                end = close + 1
                break
        elif kind == "estring":
            while True:  # E'a'<newline>'\'' is one E-string: the continuation keeps escapes
                body = estring_body.match(sql, end)
                if body is None:
                    raise SqlSyntaxError("unterminated E'' string literal", 0, 0, pos)
                end = body.end()
                more = continuation.match(sql, end)
                if more is None:
                    break
                end = more.end()
        elif kind == "dollar":
            tag = sql[pos:end]
            close = sql.find(tag, end)
            if close == -1:
                raise SqlSyntaxError(f"unterminated dollar-quoted string {tag}", 0, 0, pos)
            end = close + len(tag)
        yield kind, pos, end
        pos = end


def _lexemes_of(text: str) -> Iterator[tuple[str, int, int]]:
    """The lexemes of a statement's text; it always lexes unless made up by hand."""
    try:
        yield from _lexemes(text)
    except SqlSyntaxError:
        return


def split_statements(sql: str) -> list[Statement]:  # noqa: PLR0912 - one scanning loop
    """Return the non-empty top-level statements of `sql`; raise SqlSyntaxError if unterminated.

    A semicolon ends a statement unless it is inside parentheses, or inside the
    BEGIN ATOMIC ... END body of a CREATE [OR REPLACE] FUNCTION/PROCEDURE. That body is
    tracked as psql does (BEGIN, CASE and END at parenthesis depth 0 of such a statement), but
    stricter: BEGIN counts only before ATOMIC (not a parameter or function named `begin`), and
    no keyword counts as a label (after AS or a `.`, e.g. `SELECT r.end`).
    """
    lines = LineIndex(sql)
    statements: list[Statement] = []
    start: int | None = None  # offset of the first significant character of the statement
    words: list[str] = []
    parens: list[int] = []  # offsets of the open parentheses
    blocks: list[int] = []  # offsets of the open BEGIN ATOMIC (and CASE in it) of a routine
    routine = False
    prev_kind, prev_begin, prev_end = "", 0, 0  # the previous lexeme

    try:
        for kind, begin, end in _lexemes(sql):
            if start is None:
                start = begin
            if kind == "word":
                if len(words) < 6:
                    words.append(sql[begin:end].upper())
                    if len(words) in (2, 4) and words[-1] in _ROUTINE and words[0] == "CREATE":
                        routine = routine or words[1:-1] in ([], ["OR", "REPLACE"])
                if routine and not parens and 3 <= end - begin <= 6:
                    keyword = sql[begin:end].upper() if sql[begin:end].isascii() else ""
                    if keyword == "ATOMIC":
                        if prev_kind == "word" and sql[prev_begin:prev_end].upper() == "BEGIN":
                            blocks.append(prev_begin)
                    elif (
                        keyword in ("CASE", "END")
                        and blocks
                        and not _is_label(sql, prev_kind, prev_begin, prev_end)
                    ):
                        if keyword == "CASE":
                            blocks.append(begin)
                        else:
                            blocks.pop()
            elif kind == "semi":
                if not parens and not blocks:
                    if start < begin:
                        statements.append(_statement(sql, start, begin, lines, words))
                    start, words, routine = None, [], False
                    prev_kind = kind
                    continue
            elif kind == "open":
                parens.append(begin)
            elif kind == "close" and parens:
                parens.pop()
            prev_kind, prev_begin, prev_end = kind, begin, end
    except SqlSyntaxError as exc:
        raise _located(exc, sql, lines, statements, start, words, exc.offset) from None

    if parens or blocks:  # only ever in a statement the server would not accept either
        what = "unclosed parenthesis" if parens else "unterminated BEGIN ATOMIC body (no END)"
        at = parens[0] if parens else blocks[0]
        raise _located(SqlSyntaxError(what, 0, 0, at), sql, lines, statements, start, words)
    if start is not None:
        tail = sql[start:].rstrip(_SPACE)
        if tail:
            statements.append(_statement(sql, start, start + len(tail), lines, words))
    return statements


def _located(
    exc: SqlSyntaxError,
    sql: str,
    lines: LineIndex,
    statements: list[Statement],
    start: int | None,
    words: list[str],
    cut: int | None = None,
) -> SqlSyntaxError:
    """The error with its line and column, and the statements before it (the last one cut)."""
    before = list(statements)
    if start is not None:
        text = sql[start:cut].rstrip(_SPACE)
        if text:
            before.append(_statement(sql, start, start + len(text), lines, words))
    line, column = lines.locate(exc.offset)
    return SqlSyntaxError(str(exc), line, column, exc.offset, tuple(before))


def _is_label(sql: str, prev_kind: str, prev_begin: int, prev_end: int) -> bool:
    """Whether a keyword after this lexeme is a name: `x AS end`, `r.end`, `$1.case`."""
    if prev_kind == "word":
        return sql[prev_begin:prev_end].upper() == "AS"
    return prev_kind == "other" and sql[prev_begin:prev_end] == "."


def _statement(sql: str, start: int, end: int, lines: LineIndex, words: list[str]) -> Statement:
    return Statement(
        text=sql[start:end],
        offset=start,
        line=lines.locate(start)[0],
        words=tuple(words),
    )


def _sets_scs_off(sql: str) -> bool:
    """`standard_conforming_strings {TO|=} <not on>` or set_config('standard_...', <not on>)."""
    lexemes = [(kind, sql[b:e]) for kind, b, e in _lexemes_of(sql)]
    for i, (kind, text) in enumerate(lexemes):
        if kind == "dollar" and "standard_conforming_strings" in text.lower():
            tag = text[: text.index("$", 1) + 1]
            if _sets_scs_off(text[len(tag) : -len(tag)]):  # a DO block or function body
                return True
            continue
        if _name(kind, text) != "standard_conforming_strings":
            continue
        after = [*lexemes[i + 1 : i + 3], ("", "")]
        if kind in ("word", "ident"):  # SET [SESSION | LOCAL] ..., ALTER ... SET ...
            op_kind, op = after[0]
            if op_kind == "word" and op.upper() == "TO":
                value = _name(*after[1])
            elif op_kind == "other" and op.startswith("="):
                value = op[1:].strip() or _name(*after[1])
            else:
                continue  # SHOW, RESET, SET ... FROM CURRENT
        else:  # set_config('standard_conforming_strings', 'off', false)
            call = [_name(*lexeme) for lexeme in lexemes[max(i - 2, 0) : i]]
            if call != ["set_config", "("] or after[0][1].strip() != ",":
                continue
            value = _name(*after[1])
        if value not in _TRUE:
            return True
    return False


def _name(kind: str, text: str) -> str:
    """A lexeme as a lower-cased name or value: `Off`, `"Off"` and `'off'` are all `off`."""
    if kind == "word":
        return text.lower()
    if kind in ("string", "ident"):
        quote = text[0]
        return text[1:-1].replace(quote * 2, quote).lower()
    if kind == "estring":
        return text[2:-1].replace("''", "'").lower()
    return text.strip().lower()
