"""The splitter against PostgreSQL's own grammar and lexer, as compiled into pglast.

pglast (libpg_query) is the PostgreSQL parser as a library: `pglast.split` cuts a script
where the server's grammar ends each statement, and `pglast.parser.scan` is the server's lexer
(standard_conforming_strings on, as the runner requires). It is a test-only dependency; the
runner never imports it.

Compared: each statement's offset (of its first token) and its text without trailing
whitespace; comments before the semicolon are part of the statement on both sides.
"""

from __future__ import annotations

import bisect
from pathlib import Path

import pglast
import pytest
from aim_migrate.sqltext import SqlSyntaxError, split_statements
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pglast import parser as pg

_SPACE = " \t\n\r\f\v"
_COMMENTS = {"SQL_COMMENT", "C_COMMENT"}


def ours(sql: str) -> list[tuple[int, str]]:
    return [(s.offset, s.text.rstrip(_SPACE)) for s in split_statements(sql)]


def postgres(sql: str) -> list[tuple[int, str]]:
    """Statement boundaries by the PostgreSQL grammar; raises pglast.parser.ParseError.

    PostgreSQL 17 (pglast 7) starts a statement right after the previous semicolon, 18
    (pglast 8) at its first token: the comments in between are skipped here, as the scanner
    sees them, so that either agrees with the splitter.
    """
    starts = [t.start for t in pg.scan(sql) if t.name not in _COMMENTS]
    found = []
    for part in pglast.split(sql, only_slices=True):
        start = starts[bisect.bisect_left(starts, part.start)]
        found.append((start, sql[start : part.stop]))
    return found


# --- (a) hand-written inputs --------------------------------------------------------------

_RULE = "CREATE RULE r AS ON INSERT TO t DO ALSO "
_FN = "CREATE FUNCTION f() RETURNS int LANGUAGE sql "

CASES: dict[str, str] = {
    # parentheses: a semicolon inside them is no boundary
    "rule-two-actions": _RULE + "(INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));\nSELECT 1;",
    "rule-instead-trailing-semicolon": "CREATE RULE r AS ON UPDATE TO t DO INSTEAD "
    "(UPDATE a SET x = new.x; DELETE FROM b WHERE id = old.id;);\nSELECT 2;",
    "rule-notify-and-strings": _RULE + "(NOTIFY t; INSERT INTO log VALUES ('a;b', $$c;d$$));"
    "SELECT 3",
    "rule-nothing": "CREATE RULE r AS ON DELETE TO t DO INSTEAD NOTHING; SELECT 4;",
    "rule-or-replace-where": "CREATE OR REPLACE RULE r AS ON INSERT TO t WHERE new.a > 0 DO "
    "ALSO (INSERT INTO a VALUES (new.a); SELECT 1;);;SELECT 5",
    "rule-pg-dump-layout": "CREATE RULE r AS\n    ON INSERT TO public.t DO ALSO ( INSERT INTO "
    "public.a (x)\n  VALUES (new.x);\n INSERT INTO public.b (y)\n  VALUES (new.y);\n);\n",
    "parens-nested-subquery": "SELECT (SELECT (1)), ((2)); SELECT (ARRAY[(3)])[1];",
    # the word begin is not BEGIN ATOMIC
    "param-named-begin": "CREATE FUNCTION f(begin int) RETURNS int LANGUAGE sql AS 'select 1';"
    "\nSELECT 2;",
    "params-begin-atomic": "CREATE FUNCTION f(begin int, atomic int) RETURNS int LANGUAGE sql "
    "AS $$ select begin + atomic $$; SELECT 2;",
    "param-begin-with-atomic-body": "CREATE FUNCTION f(begin int) RETURNS int LANGUAGE sql "
    "BEGIN ATOMIC SELECT begin; END; SELECT 2;",
    "function-named-begin": "CREATE FUNCTION begin() RETURNS int LANGUAGE sql AS 'select 1';"
    "SELECT begin();",
    "returns-table-begin": 'CREATE FUNCTION f() RETURNS TABLE (begin int, "end" int) '
    "LANGUAGE sql AS 'select 1, 2'; SELECT 3;",
    "quoted-end-param": 'CREATE FUNCTION f("end" int, "case" int) RETURNS int LANGUAGE sql '
    'BEGIN ATOMIC SELECT "end" + "case"; END; SELECT 2;',
    "table-column-begin": "CREATE TABLE t (begin int, atomic int); SELECT begin, atomic FROM t;",
    "select-begin-label": "SELECT 1 begin; SELECT 2 atomic; SELECT 3;",
    # BEGIN ATOMIC bodies
    "atomic-two-statements": _FN + "BEGIN ATOMIC SELECT 1; SELECT 2; END; SELECT 3;",
    "atomic-case": _FN + "BEGIN ATOMIC SELECT CASE WHEN true THEN 1 ELSE 2 END; "
    "SELECT 2; END;\nSELECT 3;",
    "atomic-nested-case": _FN + "BEGIN ATOMIC SELECT CASE WHEN a THEN CASE WHEN b THEN 1 END "
    "ELSE 2 END FROM t; END; SELECT 3",
    "atomic-case-in-parens": _FN + "BEGIN ATOMIC SELECT (CASE WHEN true THEN 1 END); "
    "SELECT f((CASE 1 WHEN 1 THEN 2 END)); END; SELECT 3",
    "atomic-simple-case": _FN + "BEGIN ATOMIC SELECT CASE x WHEN 1 THEN 'a;' WHEN 2 THEN 'b' "
    "END FROM t; END; SELECT 3",
    "atomic-qualified-end": _FN + "BEGIN ATOMIC SELECT r.end FROM r; END; SELECT 2;",
    "atomic-qualified-case": _FN + "BEGIN ATOMIC SELECT r.case FROM r; SELECT 1; END; SELECT 2;",
    "atomic-qualified-all": _FN + "BEGIN ATOMIC SELECT r.end, r.case, r.begin FROM r; END; "
    "SELECT 2;",
    "atomic-qualified-end-spaced": _FN + "BEGIN ATOMIC SELECT r . end FROM r; END; SELECT 2;",
    "atomic-as-end": _FN + "BEGIN ATOMIC SELECT 1 AS end; END; SELECT 2;",
    "atomic-as-case": _FN + "BEGIN ATOMIC SELECT 1 AS case; END; SELECT 2;",
    "atomic-as-labels": _FN + "BEGIN ATOMIC SELECT 1 AS end, 2 AS case, 3 AS begin; END; SELECT 2;",
    "atomic-param-field": "CREATE FUNCTION f(r t) RETURNS int LANGUAGE sql "
    "BEGIN ATOMIC SELECT $1.end; END; SELECT 2",
    "atomic-decimal-before-end": _FN + "BEGIN ATOMIC SELECT CASE WHEN true THEN 1. END; END;"
    "SELECT 2",
    "atomic-comment-between": _FN + "BEGIN /* ; */ ATOMIC -- ;\n SELECT 1; END; SELECT 2;",
    "atomic-lowercase": "create function f() returns int language sql begin atomic select 1; "
    "end; select 2;",
    "atomic-or-replace-procedure": "CREATE OR REPLACE PROCEDURE p(a int) LANGUAGE sql "
    "BEGIN ATOMIC INSERT INTO t VALUES (a); INSERT INTO u VALUES (a); END; CALL p(1);",
    "atomic-procedure-commit": "CREATE PROCEDURE p() BEGIN ATOMIC COMMIT; END; SELECT 3",
    "atomic-empty": _FN + "BEGIN ATOMIC END; SELECT 2;",
    "atomic-empty-statements": _FN + "BEGIN ATOMIC ; ; END; SELECT 2;",
    "atomic-nested-function": _FN + "BEGIN ATOMIC CREATE FUNCTION g() RETURNS int LANGUAGE sql "
    "BEGIN ATOMIC SELECT 1; END; SELECT 2; END; SELECT 3",
    "atomic-strings-and-comments": _FN + "BEGIN ATOMIC SELECT 'END;'; /* END; */ SELECT \"end\" "
    "FROM t; -- END;\n SELECT $$END;$$; END; SELECT 2;",
    "atomic-trailing-comment": _FN + "BEGIN ATOMIC SELECT 1; END -- done\n; SELECT 2",
    "atomic-set-option": "CREATE FUNCTION f() RETURNS int LANGUAGE sql SET search_path = public "
    "STABLE BEGIN ATOMIC SELECT 1; END; SELECT 2",
    "atomic-comment-in-prefix": "CREATE /* x */ OR -- y\n REPLACE FUNCTION f() RETURNS int "
    "LANGUAGE sql BEGIN ATOMIC SELECT 1; END; SELECT 2",
    "return-case-no-atomic": "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql "
    "RETURN CASE WHEN a > 0 THEN 1 END; SELECT 2;",
    "case-outside-routine": "SELECT CASE WHEN true THEN 1 END; SELECT 2;",
    "trigger-execute-function": "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW EXECUTE "
    "FUNCTION f(); SELECT 2;",
    "transaction-statements": "BEGIN; SELECT 1; END; BEGIN WORK; COMMIT;",
    # dollar quotes
    "plpgsql-body": "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN 1;"
    "\nEND;\n$$;\nSELECT 2;",
    "dollar-tags": "SELECT $fn$ a; $$ b; $$ $fn$; SELECT $a$;$a$, $b$$a$$b$;",
    "dollar-unicode-tag": "SELECT $é$ x; $é$; SELECT 2",
    "dollar-after-identifier": "SELECT 1 AS a$$; SELECT 2",
    "do-block": "DO $do$\nBEGIN\n  PERFORM 1;\n  RAISE NOTICE 'x;y';\nEND\n$do$;\nSELECT 2;",
    "do-language": "DO LANGUAGE plpgsql $$ BEGIN NULL; END $$; SELECT 2",
    "positional-parameter": "PREPARE p AS SELECT $1, $2::int; EXECUTE p(1, 2);",
    # comments
    "nested-comments": "SELECT 1 /* a; /* b; */ c; */ + 2; /* /* */ */ SELECT 3;",
    "line-comment-semicolon": "SELECT 1 -- a; b\n + 2; SELECT 3 -- c; d\n;",
    "line-comment-ends-at-cr": "SELECT 1 -- c;\r; SELECT 2 -- d\r\n;",
    "comments-between": "SELECT 1; /* c; */ -- d;\n ; SELECT 2; -- end;",
    "operator-then-comment": "SELECT 1 +/* ; */ 2, 3 --- ;\n, 4 */* ; */ 5; SELECT 6;",
    "trailing-comment-no-semicolon": "SELECT 1;\nSELECT 2 -- last; one",
    "trailing-block-comment": "SELECT 1 /* x; */",
    "empty-statements": ";;\n ; SELECT 1;;; SELECT 2;;",
    "comment-only-between-semicolons": "SELECT 1; /* c */ ; -- d\n; SELECT 2",
    # strings
    "doubled-quotes": "SELECT 'it''s; here', ''''; SELECT ';''';",
    "empty-strings": "SELECT '', '''', E'', E''''; SELECT 2",
    "backslash-plain": "SELECT '\\'; SELECT 'a\\\\'; SELECT 2;",
    "e-string-escaped-quote": "SELECT E'it\\'s; x', e'a''b;c', E'\\\\'; SELECT 2;",
    "e-string-escapes": "SELECT E'\\n\\t\\x41\\101\\u00e9;\\'', E'\\;'; SELECT 2",
    "e-string-continuation": "SELECT E'a'\n'\\'; b'; SELECT 2;",
    "e-string-continuation-comments": "SELECT E'a' -- c;\n-- d;\n  '\\';' \n\t'x\\'y'; SELECT 2;",
    "e-string-continuation-blank-lines": "SELECT E'a'\n\n\n'\\'';\nSELECT 2",
    "plain-continuation": "SELECT 'a'\n'b;c'\n  'd'; SELECT 2;",
    "unicode-string": "SELECT U&'d\\0061t;a', U&'x!0061' UESCAPE '!'; SELECT 2;",
    "unicode-identifier": 'SELECT U&"d\\0061t;a" FROM t; SELECT 2;',
    "bit-hex-national": "SELECT B'0101', X'ff;'::text, N'n;''t'; SELECT 2;",
    "string-with-comment-markers": "SELECT '/* ;', '-- ;', E'/*', $$--$$; SELECT '*/';",
    # quoted identifiers and words
    "quoted-identifiers": 'CREATE TABLE "a;b""c" ("x;" int, "--y" int, "/*z" int); SELECT 1;',
    "identifier-with-dollar": "SELECT a$b$c, x$$ FROM t$; SELECT 2",
    "non-ascii": "INSERT INTO señal VALUES ('ça; va', \"日本;語\"); SELECT 'ß';",
    "nbsp-in-identifier": "SELECT a\xa0b, c\xa0$$x FROM t; SELECT 2",
    "nbsp-before-dollar": "SELECT 1 AS \xa0$$; SELECT 2",  # U+00A0 is no whitespace to PG
    "nbsp-before-e": "SELECT \xa0E'\\'; SELECT 2",  # a type named U+00A0 E, then '\'
    "word-then-quote": "SELECT type'\\'; SELECT 2",
    "vertical-tab-and-form-feed": "SELECT\v1;\fSELECT\t2\v;",
    # other statement kinds
    "create-schema-elements": "CREATE SCHEMA s CREATE TABLE t (a int) CREATE VIEW v AS SELECT "
    "a FROM t; SELECT 2;",
    "cte-and-window": "WITH q AS (SELECT 'x;' AS a) SELECT sum(1) OVER (ORDER BY a ROWS BETWEEN 1 "
    "PRECEDING AND CURRENT ROW) FROM q; SELECT 2;",
    "alter-and-comment-on": "ALTER TABLE t ADD COLUMN b text DEFAULT 'x;y'; COMMENT ON TABLE t "
    "IS 'has; semicolons'; SELECT 2",
    "create-index-concurrently": "CREATE INDEX CONCURRENTLY ix ON t ((lower(a)));\nSELECT 2",
    "numbers": "SELECT 1.5, .5e-3, 1e5, 0x1F, 1_000; SELECT 2",
}


@pytest.mark.parametrize("sql", list(CASES.values()), ids=list(CASES))
def test_statement_boundaries_match_postgres(sql: str) -> None:
    assert ours(sql) == postgres(sql)


def test_there_are_many_hand_written_cases() -> None:
    assert len(CASES) >= 60


_SHIPPED = sorted((Path(__file__).resolve().parent.parent / "migrations").glob("*.sql"))


@pytest.mark.parametrize("path", _SHIPPED, ids=[p.name for p in _SHIPPED])
def test_shipped_migrations_split_like_postgres(path: Path) -> None:
    sql = path.read_text(encoding="utf-8")
    assert ours(sql) == postgres(sql)


# --- (b) generated inputs -----------------------------------------------------------------

# Separators between tokens: whitespace, and comments that hide semicolons and quotes.
_SEPARATORS = [" ", " ", "\n", "\t", " /* ; ' */ ", "/* a /* ; */ b */", " -- ; ' $$\n", "\r\n"]
_sep = st.sampled_from(_SEPARATORS)


def _quote(content: str) -> str:
    return "'" + content.replace("'", "''") + "'"


_plain_text = st.text(alphabet="a;'\\$-/* \né\"", max_size=8)
_e_piece = st.sampled_from(["a", ";", "\\'", "\\\\", "''", "\\n", "\\x41", "$$", "--", "/*", " "])
_e_text = st.lists(_e_piece, max_size=5).map("".join)
_ws_with_newline = st.sampled_from(["\n", " \n ", "\n\n", " -- c;'\n", "\n-- c\n\t", "\r\n"])


@st.composite
def _e_string(draw: st.DrawFn) -> str:
    text = "E'" + draw(_e_text) + "'"
    for _ in range(draw(st.integers(0, 2))):  # continued over a newline: still an E-string
        text += draw(_ws_with_newline) + "'" + draw(_e_text) + "'"
    return text


@st.composite
def _dollar(draw: st.DrawFn) -> str:
    tag = "$" + draw(st.sampled_from(["", "a", "fn", "é_1"])) + "$"
    body = draw(st.lists(st.sampled_from(["x", ";", "'", "$$", "$b$", "--", "/*", "\\", "\n"])))
    text = "".join(body)
    assume(tag not in text + "$")  # the body must not close (or run into) the quote
    return tag + text + tag


_literals = st.one_of(
    _plain_text.map(_quote),
    _e_string(),
    _dollar(),
    st.sampled_from(["1", "2.5", ".5", "1e3", "$1", "NULL", "true"]),
    st.sampled_from(["B'0101'", "X'ff'", "N'n;''x'", "U&'d\\0061t;'", "U&'x!0061' UESCAPE '!'"]),
    st.text(alphabet='a;"é-', min_size=1, max_size=5).map(
        lambda s: '"' + s.replace('"', '""') + '"'
    ),
    st.sampled_from(["a", "t.x", "r.end", "r.case", "begin", "atomic", "x$y", "é"]),
)


def _expressions() -> st.SearchStrategy[list[str]]:
    """An expression as a list of tokens; the separators are drawn when joining."""

    def extend(inner: st.SearchStrategy[list[str]]) -> st.SearchStrategy[list[str]]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "||", "=", "<>", "AND"]), inner).map(
                lambda t: [*t[0], t[1], *t[2]]
            ),
            inner.map(lambda e: ["(", *e, ")"]),
            st.tuples(inner, inner).map(lambda t: ["f", "(", *t[0], ",", *t[1], ")"]),
            st.tuples(inner, inner, inner).map(
                lambda t: ["CASE", "WHEN", *t[0], "THEN", *t[1], "ELSE", *t[2], "END"]
            ),
        )

    return st.recursive(_literals.map(lambda token: [token]), extend, max_leaves=6)


_expr = _expressions()


@st.composite
def _simple_statement(draw: st.DrawFn) -> list[str]:
    kind = draw(st.integers(0, 3))
    a, b = draw(_expr), draw(_expr)
    if kind == 0:
        return ["SELECT", *a, ",", *b]
    if kind == 1:
        label = draw(st.sampled_from(["x", "end", "case", "begin", '"a;b"']))
        return ["SELECT", *a, "AS", label, "FROM", "t", "WHERE", *b]
    if kind == 2:
        return ["INSERT", "INTO", "t", "VALUES", "(", *a, ",", *b, ")"]
    return ["UPDATE", "t", "SET", "x", "=", *a, "WHERE", *b]


@st.composite
def _statement(draw: st.DrawFn) -> list[str]:
    kind = draw(st.integers(0, 5))
    if kind <= 1:
        return draw(_simple_statement())
    body: list[str] = []
    for stmt in draw(st.lists(_simple_statement(), max_size=3)):
        body += [*stmt, ";"]
    if kind == 2:  # a multi-action rule
        return [*_RULE.split(), "(", *body, ")"]
    head = draw(st.sampled_from(["CREATE", "CREATE OR REPLACE"])).split()
    param = draw(st.sampled_from(["a", "begin", "atomic", '"end"']))
    if kind == 3:  # a BEGIN ATOMIC body
        signature = ["FUNCTION", "f", "(", param, "int", ")", "RETURNS", "int"]
    elif kind == 4:
        signature = ["PROCEDURE", "p", "(", param, "int", ")"]
    else:
        return ["DO", draw(_dollar())]
    return [*head, *signature, "LANGUAGE", "sql", "BEGIN", "ATOMIC", *body, "END"]


@st.composite
def _script(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for statement in draw(st.lists(_statement(), min_size=1, max_size=4)):
        for token in statement:
            parts += [token, draw(_sep)]
        parts.append(draw(st.sampled_from([";", ";\n", ";;", "\n;", " -- x\n;"])))
        parts.append(draw(_sep))
    if draw(st.booleans()):
        parts.pop()  # the last statement's semicolon, or what follows it
    return "".join(parts)


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(_script())
def test_generated_scripts_split_like_postgres(sql: str) -> None:
    try:
        expected = postgres(sql)
    except pg.ParseError:
        # Not SQL to PostgreSQL (e.g. `1e3.x`, a dollar body ending in `$`, an invalid U&
        # escape): there is no grammar to agree with, and the server would refuse the file.
        assume(False)
    assert ours(sql) == expected


# Lexical soup: anything the lexer can read, not necessarily SQL. The oracle is PostgreSQL's
# scanner: the splitter must find the same top-level semicolons, parentheses and backslashes
# (those not hidden in a quote, comment or dollar quote), and cut statements where psql does:
# at a semicolon outside parentheses.
_soup_token = st.one_of(
    _literals,
    st.sampled_from(["SELECT", "x", "1", ";", ";", "(", ")", ",", "+", "-", "/", "*", "\\", "."]),
    st.sampled_from(
        ["/* ; */", "/* /* ; */ */", "-- ;\n", "-- c\r", "'", '"', "E", "e", "$", "::"]
    ),
)


@st.composite
def _soup(draw: st.DrawFn) -> str:
    parts = ["SELECT "]
    for token in draw(st.lists(_soup_token, max_size=14)):
        parts += [token, draw(st.sampled_from(["", " ", "\n", "\r", " -- c\n", " --\r", "/**/"]))]
    return "".join(parts)


def _scan_expectation(sql: str) -> tuple[list[tuple[int, str]], int | None, dict[str, list[int]]]:
    """Statements, the offset of an unclosed parenthesis, and where `;`, `(`, `)`, `\\` are."""
    tokens = [t for t in pg.scan(sql) if t.name not in _COMMENTS]
    where: dict[str, list[int]] = {"semi": [], "open": [], "close": [], "backslash": []}
    names = {"ASCII_59": "semi", "ASCII_40": "open", "ASCII_41": "close", "ASCII_92": "backslash"}
    statements: list[tuple[int, str]] = []
    opened: list[int] = []
    first: int | None = None
    for token in tokens:
        kind = names.get(token.name)
        if kind is not None:
            where[kind].append(token.start)
        if kind == "semi" and not opened:
            if first is not None:  # comments before the semicolon belong to the statement
                statements.append((first, sql[first : token.start].rstrip(_SPACE)))
            first = None
            continue
        if kind == "open":
            opened.append(token.start)
        elif kind == "close" and opened:
            opened.pop()
        if first is None:
            first = token.start
    if first is not None:
        statements.append((first, sql[first:].rstrip(_SPACE)))
    return statements, (opened[0] if opened else None), where


def _our_lexemes(sql: str) -> dict[str, list[int]]:
    from aim_migrate.sqltext import _lexemes  # the splitter's lexer itself

    where: dict[str, list[int]] = {"semi": [], "open": [], "close": [], "backslash": []}
    for kind, start, _ in _lexemes(sql):
        if kind in where:
            where[kind].append(start)
    return where


@settings(max_examples=400, deadline=None, database=None)
@given(_soup())
def test_lexical_soup_agrees_with_the_postgres_scanner(sql: str) -> None:
    try:
        statements, unclosed, where = _scan_expectation(sql)
    except pg.ParseError as exc:
        if "unterminated" in str(exc):  # an open quote or comment: the splitter says so too
            with pytest.raises(SqlSyntaxError, match="unterminated"):
                split_statements(sql)
        # Other lexical errors (`1x`: trailing junk after a number, a bad U& escape) are
        # the server's to report; they cannot hide a semicolon.
        assume(False)
        return
    assert _our_lexemes(sql) == where
    if unclosed is not None:
        with pytest.raises(SqlSyntaxError, match="unclosed parenthesis") as info:
            split_statements(sql)
        assert info.value.offset == unclosed
        return
    assert ours(sql) == statements
    for statement in split_statements(sql):
        at = statement.meta_command_at
        inside = [b for b in where["backslash"] if 0 <= b - statement.offset < len(statement.text)]
        assert (statement.offset + at if at is not None else None) == (
            inside[0] if inside else None
        )


def test_the_runner_never_imports_pglast() -> None:
    # Only `lint` (and `validate`, through it) uses the parser; tests/test_lint.py checks
    # that a migrate run never imports it.
    app = Path(__file__).resolve().parent.parent / "app" / "aim_migrate"
    users = [p.name for p in app.rglob("*.py") if "pglast" in p.read_text(encoding="utf-8")]
    assert sorted(users) == ["lint.py", "lint_checks.py"]
