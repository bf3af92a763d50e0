"""Pure tests of the SQL statement splitter and the Statement classifiers (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest
from aim_migrate.errors import ValidationError
from aim_migrate.sqltext import LineIndex, SqlSyntaxError, Statement, split_statements
from hypothesis import given, settings
from hypothesis import strategies as st


def texts(sql: str) -> list[str]:
    return [s.text for s in split_statements(sql)]


def one(sql: str) -> Statement:
    found = split_statements(sql)
    assert len(found) == 1, [s.text for s in found]
    return found[0]


def assert_exact(sql: str, statements: list[Statement]) -> None:
    """Every statement is a verbatim slice of the file at its offset, on its line."""
    index = LineIndex(sql)
    for s in statements:
        assert sql[s.offset : s.offset + len(s.text)] == s.text
        assert index.locate(s.offset)[0] == s.line
        assert s.text[:1].strip(), "a statement starts with a significant character"


# --- quoting: what can hide a semicolon ---------------------------------------------------


def test_semicolon_in_single_quoted_string_with_doubled_quotes() -> None:
    sql = "INSERT INTO t VALUES ('it''s; here', 'a;b');\nSELECT ';''';"
    found = split_statements(sql)
    assert [s.text for s in found] == [
        "INSERT INTO t VALUES ('it''s; here', 'a;b')",
        "SELECT ';'''",
    ]
    assert_exact(sql, found)


def test_backslash_is_not_an_escape_in_a_standard_string() -> None:
    # standard_conforming_strings: '\' is a complete one-character string.
    assert texts("SELECT '\\';SELECT 2;") == ["SELECT '\\'", "SELECT 2"]


def test_e_string_with_backslash_escaped_quote_and_semicolon() -> None:
    sql = "SELECT E'it\\'s; \\\\'; SELECT e'a''b;c';"
    assert texts(sql) == ["SELECT E'it\\'s; \\\\'", "SELECT e'a''b;c'"]


def test_word_ending_in_e_is_not_an_e_string() -> None:
    # `type'...'` is the word `type` then a plain string whose backslash is literal.
    assert texts("SELECT type'\\';SELECT 2") == ["SELECT type'\\'", "SELECT 2"]


def test_double_quoted_identifier_with_semicolon_and_doubled_quote() -> None:
    sql = 'CREATE TABLE "a;b""c" ("x;" int);\nSELECT 1;'
    assert texts(sql) == ['CREATE TABLE "a;b""c" ("x;" int)', "SELECT 1"]


def test_dollar_quoted_do_block_with_exception_handler_is_one_statement() -> None:
    sql = (
        "DO $$\n"
        "BEGIN\n"
        "  INSERT INTO t VALUES (1);\n"
        "  COMMIT;\n"
        "EXCEPTION WHEN others THEN\n"
        "  RAISE NOTICE 'x;y';\n"
        "END\n"
        "$$;\n"
        "SELECT 2;\n"
    )
    found = split_statements(sql)
    assert len(found) == 2
    assert found[0].text == sql[: sql.index("$$;") + 2]
    assert found[0].words == ("DO",)
    assert not found[0].transaction_control
    assert found[1].text == "SELECT 2"
    assert found[1].line == 9
    assert_exact(sql, found)


def test_tagged_dollar_quote_may_contain_plain_dollar_quotes() -> None:
    sql = (
        "CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $fn$\n"
        "BEGIN RETURN $$a;b$$ || ';'; END;\n"
        "$fn$;\n"
        "SELECT $q$;$q$;"
    )
    found = split_statements(sql)
    assert [s.text for s in found] == [sql[: sql.index("$fn$;") + 4], "SELECT $q$;$q$"]
    assert found[1].line == 4
    assert_exact(sql, found)


def test_positional_parameter_is_not_a_dollar_quote() -> None:
    assert texts("PREPARE p AS SELECT $1;SELECT 2") == ["PREPARE p AS SELECT $1", "SELECT 2"]


def test_nested_block_comments_hide_semicolons() -> None:
    sql = "SELECT 1 /* outer; /* inner; */ still comment; */ + 2;\nSELECT 3;"
    assert texts(sql) == ["SELECT 1 /* outer; /* inner; */ still comment; */ + 2", "SELECT 3"]


def test_leading_comments_are_not_part_of_the_statement() -> None:
    sql = "/* header; */\n-- note; more\n\n  SELECT 1;"
    (s,) = split_statements(sql)
    assert s.text == "SELECT 1"
    assert s.offset == sql.index("SELECT")
    assert s.line == 4


def test_line_comment_with_semicolon_does_not_end_statement() -> None:
    sql = "SELECT 1 -- not the end; really\n + 2;\nSELECT 3 -- trailing; comment\n;"
    found = split_statements(sql)
    assert [s.text for s in found] == [
        "SELECT 1 -- not the end; really\n + 2",
        "SELECT 3 -- trailing; comment\n",
    ]
    assert [s.line for s in found] == [1, 3]
    assert_exact(sql, found)


def test_minus_and_slash_operators_are_not_comments() -> None:
    assert texts("SELECT 4-1, 4/2, 4 - -1;SELECT 2") == ["SELECT 4-1, 4/2, 4 - -1", "SELECT 2"]


def test_non_ascii_text_offsets_are_character_offsets() -> None:
    sql = "-- ünïcødé header\nINSERT INTO señal VALUES ('ça; va', \"日本;語\");\nSELECT 'ß';"
    found = split_statements(sql)
    assert [s.text for s in found] == [
        "INSERT INTO señal VALUES ('ça; va', \"日本;語\")",
        "SELECT 'ß'",
    ]
    assert found[0].words[:3] == ("INSERT", "INTO", "SEÑAL")
    assert [s.line for s in found] == [2, 3]
    assert_exact(sql, found)


def test_percent_signs_are_kept_verbatim() -> None:
    sql = "SELECT 10 % 3, 'a%sb' LIKE '%%';SELECT format('%s', 1)"
    assert texts(sql) == ["SELECT 10 % 3, 'a%sb' LIKE '%%'", "SELECT format('%s', 1)"]


def test_begin_atomic_function_body_is_one_statement() -> None:
    sql = (
        "CREATE OR REPLACE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql\n"
        "BEGIN ATOMIC\n"
        "  SELECT CASE WHEN a IS NULL THEN 0 ELSE a END;\n"
        "  SELECT a + b;\n"
        "END;\n"
        "CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); END;\n"
        "SELECT add(1, 2);"
    )
    found = split_statements(sql)
    assert len(found) == 3
    assert found[0].text.startswith("CREATE OR REPLACE FUNCTION add")
    assert found[0].text.endswith("SELECT a + b;\nEND")
    assert found[1].text == (
        "CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); END"
    )
    assert found[2].text == "SELECT add(1, 2)"
    assert [s.line for s in found] == [1, 6, 7]
    assert_exact(sql, found)


def test_case_end_outside_a_routine_does_not_swallow_statements() -> None:
    sql = "SELECT CASE WHEN true THEN 1 END;\nSELECT 2;"
    assert texts(sql) == ["SELECT CASE WHEN true THEN 1 END", "SELECT 2"]


def test_trailing_statement_without_semicolon() -> None:
    sql = "SELECT 1;\nSELECT 2  \n\n"
    found = split_statements(sql)
    assert [s.text for s in found] == ["SELECT 1", "SELECT 2"]
    assert found[1].offset == sql.index("SELECT 2")
    assert found[1].line == 2


def test_empty_statements_and_comment_only_input() -> None:
    assert texts(";;\n ; SELECT 1;;; SELECT 2;;") == ["SELECT 1", "SELECT 2"]
    assert split_statements("") == []
    assert split_statements("  \n-- only a comment;\n/* and; this */\n") == []
    assert split_statements(";\n;") == []


def test_text_offset_line_and_words_are_exact() -> None:
    sql = "SET lock_timeout = '5s';\n\n  create index  ix on t (a);\n/* c */ VACUUM t"
    found = split_statements(sql)
    assert [(s.text, s.offset, s.line) for s in found] == [
        ("SET lock_timeout = '5s'", 0, 1),
        ("create index  ix on t (a)", 28, 3),
        ("VACUUM t", 63, 4),
    ]
    assert found[0].words == ("SET", "LOCK_TIMEOUT")
    assert found[1].words == ("CREATE", "INDEX", "IX", "ON", "T", "A")
    assert found[2].words == ("VACUUM", "T")
    assert_exact(sql, found)


def test_words_keep_only_the_first_six() -> None:
    s = one("SELECT a, b, c, d, e, f, g, h FROM t")
    assert s.words == ("SELECT", "A", "B", "C", "D", "E")


# --- unterminated input -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "line", "column", "fragment"),
    [
        ("SELECT 1;\nSELECT 'abc;\nSELECT 2;", 2, 8, "string literal"),
        ("SELECT 'it''s", 1, 8, "string literal"),
        ("SELECT 1;\n  SELECT E'x\\';", 2, 10, "E'' string"),
        ('SELECT "col;', 1, 8, "quoted identifier"),
        ("SELECT 1;\nDO $$ BEGIN NULL; END;", 2, 4, "dollar-quoted"),
        ("SELECT $tag$ x $TAG$ $tag", 1, 8, "$tag$"),
        ("SELECT 1; /* a /* b */ c;", 1, 11, "/* comment"),
        ("SELECT 1;\n\n\t/* never closed", 3, 2, "/* comment"),
    ],
)
def test_unterminated_constructs_raise_with_position(
    sql: str, line: int, column: int, fragment: str
) -> None:
    with pytest.raises(SqlSyntaxError) as info:
        split_statements(sql)
    assert (info.value.line, info.value.column) == (line, column)
    assert fragment in str(info.value)
    assert "unterminated" in str(info.value)


def test_unterminated_e_string_with_doubled_quote_is_reported_at_its_start() -> None:
    with pytest.raises(SqlSyntaxError) as info:
        split_statements("SELECT E'it''s")
    assert (info.value.line, info.value.column) == (1, 8)
    assert "E''" in str(info.value)


def test_unterminated_e_string_does_not_split_silently() -> None:
    with pytest.raises(SqlSyntaxError):
        split_statements("SELECT E'x'' \\';\nSELECT 2;")


# --- classifiers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("BEGIN", True),
        ("begin transaction isolation level serializable", True),
        ("BEGIN WORK", True),
        ("COMMIT", True),
        ("END", True),
        ("ABORT", True),
        ("ROLLBACK", True),
        ("rollback work", True),
        ("START TRANSACTION", True),
        ("ROLLBACK TO SAVEPOINT s1", False),
        ("ROLLBACK TO s1", False),
        ("SAVEPOINT s1", False),
        ("RELEASE SAVEPOINT s1", False),
        ("SELECT 1", False),
        ("DO $$ BEGIN COMMIT; END $$", False),
        ("-- c\n(SELECT 1)", False),
    ],
)
def test_transaction_control(sql: str, expected: bool) -> None:
    assert one(sql).transaction_control is expected


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("CREATE INDEX CONCURRENTLY ix ON t (a)", True),
        ("create unique index concurrently if not exists ix on t (a)", True),
        ("DROP INDEX CONCURRENTLY ix", True),
        ("DROP INDEX CONCURRENTLY IF EXISTS ix", True),
        ("REINDEX INDEX CONCURRENTLY ix", True),
        ("REINDEX TABLE CONCURRENTLY t", True),
        ("REINDEX (VERBOSE) TABLE CONCURRENTLY t", True),
        ("VACUUM", True),
        ("vacuum (analyze) t", True),
        ("CREATE DATABASE other", True),
        ("DROP DATABASE other", True),
        ("CREATE TABLESPACE ts LOCATION '/x'", True),
        ("ALTER SYSTEM SET work_mem = '64MB'", True),
        ("CREATE INDEX ix ON t (a)", False),
        ("CREATE UNIQUE INDEX ix ON t (a)", False),
        ("DROP INDEX ix", False),
        ("REINDEX TABLE t", False),
        ("ALTER TABLE t ADD COLUMN a int", False),
        ("ANALYZE t", False),
        ("SELECT 'VACUUM'", False),
        ('CREATE TABLE "concurrently" (a int)', False),
    ],
)
def test_requires_no_transaction(sql: str, expected: bool) -> None:
    assert one(sql).requires_no_transaction is expected


@pytest.mark.parametrize("sql", ["REINDEX SCHEMA public", "REINDEX DATABASE app"])
def test_reindex_schema_requires_no_transaction(sql: str) -> None:
    assert one(sql).requires_no_transaction is True


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SET search_path = app, public", True),
        ("set statement_timeout to 0", True),
        ("SET SESSION work_mem = '1GB'", True),
        ("RESET search_path", True),
        ("RESET ALL", True),
        ("SET LOCAL lock_timeout = '1s'", False),
        ("set local search_path = x", False),
        ("SELECT set_config('a.b', 'c', false)", False),
        ("ALTER ROLE r SET search_path = x", False),
        ("CREATE FUNCTION f() RETURNS int LANGUAGE sql SET search_path = x AS 'SELECT 1'", False),
    ],
)
def test_changes_session(sql: str, expected: bool) -> None:
    assert one(sql).changes_session is expected


def test_psql_meta_command_detection() -> None:
    found = split_statements("SELECT 1;\n\\i other.sql\nSELECT 2;\n\\set ON_ERROR_STOP on")
    assert [s.text for s in found] == [
        "SELECT 1",
        "\\i other.sql\nSELECT 2",
        "\\set ON_ERROR_STOP on",
    ]
    assert [s.is_psql_meta_command for s in found] == [False, True, True]
    assert [s.line for s in found] == [1, 2, 4]
    assert not one("SELECT '\\i x'").is_psql_meta_command
    assert not one("SELECT E'\\\\'").is_psql_meta_command


def test_empty_words_classify_as_nothing() -> None:
    s = Statement(text="(1)", offset=0, line=1, words=())
    assert not s.transaction_control
    assert not s.requires_no_transaction
    assert not s.changes_session
    assert not s.is_psql_meta_command


# --- LineIndex ----------------------------------------------------------------------------


def test_line_index_locate() -> None:
    text = "ab\ncd\n\nxyz"
    index = LineIndex(text)
    assert index.locate(0) == (1, 1)
    assert index.locate(1) == (1, 2)
    assert index.locate(2) == (1, 3)  # the newline itself belongs to its line
    assert index.locate(3) == (2, 1)
    assert index.locate(6) == (3, 1)
    assert index.locate(7) == (4, 1)
    assert index.locate(9) == (4, 3)
    assert index.locate(len(text)) == (4, 4)
    assert LineIndex("").locate(0) == (1, 1)
    assert LineIndex("\n\n").locate(2) == (3, 1)


# --- property -----------------------------------------------------------------------------

_FRAGMENTS = [
    "'a;b'",
    "'it''s; ok'",
    "E'x\\';y'",
    "$$x;y$$",
    "$tag$a;$$;b$tag$",
    '"semi;colon"',
    "/* c; /* nested; */ d; */",
    "-- c;\n",
    "'é;ü'",
    "10 % 3",
    "1",
    "col_a",
    "-1",
    "4/2",
    "''",
    "$1",
]


@st.composite
def simple_statements(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.sampled_from(_FRAGMENTS), min_size=1, max_size=5))
    if parts[-1].startswith("--"):  # a statement ends with a significant token
        parts.append("0")
    return "SELECT " + " ".join(parts)


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(simple_statements(), min_size=1, max_size=8), st.booleans())
def test_joined_statements_split_back_in_order(statements: list[str], trailing: bool) -> None:
    sql = ";\n".join(statements) + (";\n" if trailing else "")
    found = split_statements(sql)
    assert [s.text for s in found] == statements
    for s in found:
        assert sql[s.offset : s.offset + len(s.text)] == s.text
        assert s.words[0] == "SELECT"


# --- what PostgreSQL's grammar makes one statement (issue 11; tests/test_sqltext_oracle.py) ---


def test_semicolons_inside_parentheses_do_not_split_a_multi_action_rule() -> None:
    sql = (
        "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); "
        "INSERT INTO b VALUES (2));\nSELECT 1;"
    )
    found = split_statements(sql)
    assert [s.text for s in found] == [sql[: sql.index(");\n") + 1], "SELECT 1"]
    assert [s.line for s in found] == [1, 2]
    assert_exact(sql, found)


def test_a_parameter_named_begin_is_not_begin_atomic() -> None:
    sql = "CREATE FUNCTION f(begin int) RETURNS int LANGUAGE sql AS 'select 1';\nSELECT 2;"
    assert texts(sql) == [sql[: sql.index(";")], "SELECT 2"]
    sql = "CREATE FUNCTION begin() RETURNS int LANGUAGE sql AS 'select 1';SELECT begin();"
    assert texts(sql) == [sql[: sql.index(";")], "SELECT begin()"]


def test_begin_atomic_body_with_case_labels_and_comments_is_one_statement() -> None:
    body = (
        "CREATE OR REPLACE FUNCTION f(r t) RETURNS int LANGUAGE sql\n"
        "BEGIN /* ; */ ATOMIC\n"
        "  SELECT CASE WHEN r.a THEN CASE r.b WHEN 1 THEN 2 END ELSE 0 END;\n"
        "  SELECT r.end, $1.case, 1 AS end, (CASE WHEN true THEN 1 END) FROM r;\n"
        "  SELECT 'END;', \"end\"; -- END;\n"
        "END"
    )
    sql = body + ";\nSELECT 3;"
    found = split_statements(sql)
    assert [s.text for s in found] == [body, "SELECT 3"]
    assert [s.line for s in found] == [1, 7]


def test_continued_e_string_keeps_backslash_escapes() -> None:
    sql = "SELECT E'a' -- c;\n  '\\'; still the string'\n'x';\nSELECT 2;"
    assert texts(sql) == [sql[: sql.index(";\nSELECT 2")], "SELECT 2"]
    # A block comment is no whitespace for a continuation: a plain string follows.
    assert texts("SELECT E'a' /* */\n'\\';SELECT 2") == ["SELECT E'a' /* */\n'\\'", "SELECT 2"]


def test_postgres_whitespace_only() -> None:
    # U+00A0 is an identifier character to PostgreSQL, not whitespace: `\xa0$$` is a name.
    assert texts("SELECT 1 AS \xa0$$; SELECT 2") == ["SELECT 1 AS \xa0$$", "SELECT 2"]
    # A line comment ends at a carriage return too.
    assert texts("SELECT 1 -- c\r; SELECT 2") == ["SELECT 1 -- c\r", "SELECT 2"]


@pytest.mark.parametrize(
    ("sql", "line", "column", "fragment"),
    [
        ("SELECT 1;\nINSERT INTO t VALUES ((1);\nSELECT 2;", 2, 22, "unclosed parenthesis"),
        ("SELECT (1));\nSELECT (2", 2, 8, "unclosed parenthesis"),
        (
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql\n  BEGIN ATOMIC SELECT 1;\nSELECT 2;",
            2,
            3,
            "BEGIN ATOMIC",
        ),
        ("SELECT E'a'\n'\\';", 1, 8, "E'' string"),
    ],
)
def test_unclosed_parenthesis_and_body_raise_with_position(
    sql: str, line: int, column: int, fragment: str
) -> None:
    with pytest.raises(SqlSyntaxError) as info:
        split_statements(sql)
    assert (info.value.line, info.value.column) == (line, column)
    assert fragment in str(info.value)
    assert LineIndex(sql).locate(info.value.offset) == (line, column)


def test_syntax_error_carries_the_statements_before_it() -> None:
    sql = "COPY t FROM stdin;\nO'Brien\t1\n\\.\n"
    with pytest.raises(SqlSyntaxError) as info:
        split_statements(sql)
    first, cut = info.value.before
    assert first.text == "COPY t FROM stdin"
    assert first.client_copy == "FROM STDIN"
    assert (cut.text, cut.offset) == ("O", sql.index("O'"))


@pytest.mark.parametrize(
    ("sql", "at"),
    [
        ("SELECT 1 \\gset", 9),
        ("SELECT 1\n\\gexec", 9),
        ("\\i other.sql", 0),
        ("SELECT E'\\\\', '\\', $$\\$$, \"\\\" /* \\ */ -- \\\n\\x", 43),
    ],
)
def test_backslash_anywhere_at_top_level_is_a_meta_command(sql: str, at: int) -> None:
    s = one(sql)
    assert s.is_psql_meta_command
    assert s.meta_command_at == at


@pytest.mark.parametrize(
    "sql",
    ["SELECT E'\\\\', E'\\'', '\\', $$\\$$, $q$\\$q$, \"\\\" /* \\ */ -- \\\n + 1", "SELECT 1"],
)
def test_backslashes_in_strings_and_comments_are_no_meta_command(sql: str) -> None:
    s = one(sql)
    assert not s.is_psql_meta_command
    assert s.meta_command_at is None


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("COPY t FROM stdin", "FROM STDIN"),
        ("copy public.t (a, b) from STDIN with (format csv)", "FROM STDIN"),
        ("COPY BINARY t FROM Stdin", "FROM STDIN"),
        ("COPY (SELECT * FROM stdin) TO STDOUT", "TO STDOUT"),
        ("COPY t TO stdout WITH (FORMAT csv, HEADER)", "TO STDOUT"),
        ("COPY t FROM '/data/t.csv'", None),
        ("COPY t FROM PROGRAM 'cat stdin'", None),
        ("COPY (SELECT stdin FROM stdin) TO '/tmp/x'", None),
        ("SELECT 1 FROM stdin", None),
    ],
)
def test_client_copy(sql: str, expected: str | None) -> None:
    assert one(sql).client_copy == expected


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SET standard_conforming_strings = off", True),
        ("set standard_conforming_strings to OFF", True),
        ("SET SESSION standard_conforming_strings TO 'off'", True),
        ("SET LOCAL standard_conforming_strings = false", True),
        ("SET standard_conforming_strings=0", True),
        ('SET "standard_conforming_strings" = no', True),
        ("SELECT set_config('standard_conforming_strings', 'off', false)", True),
        ("SELECT pg_catalog.set_config('Standard_Conforming_Strings', 'of', true)", True),
        ("ALTER DATABASE app SET standard_conforming_strings = off", True),
        ("ALTER ROLE app SET standard_conforming_strings TO off", True),
        ("DO $$ BEGIN SET standard_conforming_strings = off; END $$", True),
        (
            "DO $$ BEGIN PERFORM set_config('standard_conforming_strings', 'off', false); END $$",
            True,
        ),
        ("SET standard_conforming_strings = on", False),
        ("SET standard_conforming_strings TO DEFAULT", False),
        ("SELECT set_config('standard_conforming_strings', 'on', false)", False),
        ("RESET standard_conforming_strings", False),
        ("SHOW standard_conforming_strings", False),
        ("SELECT current_setting('standard_conforming_strings')", False),
        ("SELECT 'SET standard_conforming_strings = off' /* = off */", False),
    ],
)
def test_disables_standard_conforming_strings(sql: str, expected: bool) -> None:
    assert one(sql).disables_standard_conforming_strings is expected


# --- refusals through app.source.statements -----------------------------------------------


def _refused(tmp_path: Path, text: str, transactional: bool = True) -> ValidationError:
    from aim_migrate.source import load, statements

    (tmp_path / "001_x.sql").write_text(text, encoding="utf-8")
    (migration,) = load(tmp_path).migrations
    with pytest.raises(ValidationError) as info:
        statements(migration.file, transactional=transactional)
    assert info.value.fields["file"] == str(migration.file.path)
    return info.value


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("CREATE TABLE t (a text);\nSET standard_conforming_strings = off;\n", 2),
        ("-- h\nSET SESSION standard_conforming_strings TO off;\n", 2),
        ("SELECT 1;\n\nSELECT set_config('standard_conforming_strings', 'off', false);\n", 3),
    ],
)
def test_standard_conforming_strings_off_is_refused(tmp_path: Path, text: str, line: int) -> None:
    exc = _refused(tmp_path, text)
    assert exc.fields["line"] == line
    assert f"001_x.sql:{line}:" in exc.message
    assert "standard_conforming_strings" in exc.message
    assert "E'" in exc.hint


@pytest.mark.parametrize(
    ("text", "line", "direction"),
    [
        ("CREATE TABLE t (a int);\nCOPY t (a) FROM stdin;\n1\n2\n\\.\n", 2, "FROM STDIN"),
        (
            "CREATE TABLE t (a text);\nCOPY t FROM STDIN WITH (FORMAT csv);\nO'Brien\n\\.\n",
            2,
            "FROM STDIN",
        ),
        ("\n\ncopy (select 1) to stdout;\n", 3, "TO STDOUT"),
    ],
)
def test_copy_with_the_client_is_refused(
    tmp_path: Path, text: str, line: int, direction: str
) -> None:
    # The rows after the COPY (pg_dump output) are no SQL; the COPY is what is reported,
    # also when a quote in the rows makes the rest of the file unreadable.
    exc = _refused(tmp_path, text, transactional=False)
    assert exc.fields["line"] == line
    assert f"001_x.sql:{line}:" in exc.message
    assert direction in exc.message
    if direction == "FROM STDIN":
        assert "INSERT" in exc.hint


@pytest.mark.parametrize(
    ("text", "line", "command"),
    [
        ("CREATE TABLE t (a int);\nSELECT count(*) FROM t \\gset\n", 2, "\\gset"),
        ("SELECT 1\n  \\gexec\n", 2, "\\gexec"),
        ("SELECT 1;\n\\echo it's done\n", 2, "\\echo"),  # the quote hides the rest from SQL
        ("\\set ON_ERROR_STOP on\nSELECT 1;\n", 1, "\\set"),
    ],
)
def test_psql_command_anywhere_in_a_statement_is_refused(
    tmp_path: Path, text: str, line: int, command: str
) -> None:
    exc = _refused(tmp_path, text)
    assert exc.fields["line"] == line
    assert f"001_x.sql:{line}:" in exc.message
    assert "meta-command" in exc.message
    assert command in exc.message


def test_backslashes_inside_strings_and_bodies_are_accepted(tmp_path: Path) -> None:
    from aim_migrate.source import load, statements

    text = (
        "INSERT INTO t VALUES (E'a\\nb\\'c', '\\', $$\\d$$);\n"
        "DO $do$ BEGIN RAISE NOTICE E'\\\\'; END $do$;\n"
        "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); NOTIFY t);\n"
    )
    (tmp_path / "001_x.sql").write_text(text, encoding="utf-8")
    (migration,) = load(tmp_path).migrations
    assert [s.line for s in statements(migration.file, transactional=True)] == [1, 2, 3]
