"""Pure tests of migration file discovery and preflight checks (files in tmp_path, no database)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from aim_migrate.errors import ExitCode, ValidationError
from aim_migrate.source import SqlFile, load, statements

SQL = "CREATE TABLE t (a int);\n"


def write(directory: Path, files: dict[str, str | bytes]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        if isinstance(content, bytes):
            (directory / name).write_bytes(content)
        else:
            (directory / name).write_text(content, encoding="utf-8")
    return directory


def load_error(directory: Path, **kwargs: object) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        load(directory, **kwargs)  # type: ignore[arg-type]
    assert info.value.exit_code == ExitCode.VALIDATION == 3
    return info.value


def sql_file(tmp_path: Path, text: str, name: str = "001_x.sql") -> SqlFile:
    write(tmp_path, {name: text})
    (migration,) = load(tmp_path).migrations
    return migration.file


def statements_error(file: SqlFile, *, transactional: bool = True) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        statements(file, transactional=transactional)
    assert info.value.exit_code == 3
    assert info.value.fields["file"] == str(file.path)
    return info.value


# --- naming and ordering ------------------------------------------------------------------


def test_numeric_ordering_not_lexical(tmp_path: Path) -> None:
    write(tmp_path, {"100_b.sql": SQL, "0099_a.sql": SQL, "10_y.sql": SQL, "2_x.sql": SQL})
    source = load(tmp_path)
    assert [(m.number, m.name) for m in source.migrations] == [
        (2, "2_x"),
        (10, "10_y"),
        (99, "0099_a"),
        (100, "100_b"),
    ]
    assert [m.description for m in source.migrations] == ["x", "y", "a", "b"]
    assert source.baseline is None
    assert source.notices == ()
    assert source.directory == tmp_path.resolve()


def test_up_file_is_forward_and_down_file_is_attached(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "001_init.up.sql": SQL,
            "001_init.down.sql": "DROP TABLE t;\n",
            "002_more-stuff.sql": SQL,
        },
    )
    source = load(tmp_path)
    assert [m.name for m in source.migrations] == ["001_init", "002_more-stuff"]
    first, second = source.migrations
    assert first.description == "init"
    assert first.file.path.name == "001_init.up.sql"
    assert first.down is not None
    assert first.down.path.name == "001_init.down.sql"
    assert first.down.text == "DROP TABLE t;\n"
    assert second.down is None
    assert set(source.by_name()) == {"001_init", "002_more-stuff"}


def test_plain_sql_may_have_a_down_file(tmp_path: Path) -> None:
    write(
        tmp_path, {"003_c.sql": SQL, "003_c.down.sql": "-- aim-migrate: data-loss\nDROP TABLE t;"}
    )
    (m,) = load(tmp_path).migrations
    assert m.down is not None
    assert m.down.directives == {"data-loss": ("", 1)}


def test_down_without_forward_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, {"001_a.sql": SQL, "002_b.down.sql": "DROP TABLE t;"})
    exc = load_error(tmp_path)
    assert exc.fields["file"] == str(tmp_path.resolve() / "002_b.down.sql")
    assert "002_b" in exc.message


def test_same_migration_as_sql_and_up_sql_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, {"001_a.sql": SQL, "001_a.up.sql": SQL})
    exc = load_error(tmp_path)
    assert "001_a" in exc.message
    assert "001_a.sql" in exc.message
    assert "001_a.up.sql" in exc.message


def test_duplicate_numbers_are_a_notice_or_strict_error(tmp_path: Path) -> None:
    write(tmp_path, {"005_alpha.sql": SQL, "005_beta.sql": SQL, "006_c.sql": SQL})
    source = load(tmp_path)
    assert [m.name for m in source.migrations] == ["005_alpha", "005_beta", "006_c"]
    (notice,) = source.notices
    assert notice.code == "source.duplicate_version"
    assert notice.fields == {"file": str(tmp_path.resolve() / "005_beta.sql"), "number": 5}
    assert "005_alpha" in notice.message
    assert "005_beta" in notice.message

    exc = load_error(tmp_path, strict=True)
    assert exc.fields["number"] == 5
    assert exc.fields["file"] == notice.fields["file"]


def test_strict_without_duplicates_is_fine(tmp_path: Path) -> None:
    write(tmp_path, {"1_a.sql": SQL, "2_b.sql": SQL})
    assert len(load(tmp_path, strict=True).migrations) == 2


@pytest.mark.parametrize(
    "name",
    [
        "init.sql",
        "001_.sql",
        "001_bad name.sql",
        "_001_a.sql",
        "001_a,b.sql",
        "0x1f_hex.sql",
        "V1_single_underscore.sql",
        "v1__lowercase.sql",
        "001_é.sql",
    ],
)
def test_malformed_names_are_rejected_naming_the_file(tmp_path: Path, name: str) -> None:
    write(tmp_path, {"001_ok.sql": SQL, name: SQL})
    exc = load_error(tmp_path)
    assert exc.fields["file"] == str(tmp_path.resolve() / name)
    assert name in exc.message


def test_hyphen_separator_and_dotted_descriptions_are_accepted(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"001-init.sql": SQL, "002_1.7.0_schema.up.sql": SQL, "002_1.7.0_schema.down.sql": SQL},
    )
    found = load(tmp_path).migrations
    assert [(m.number, m.name, m.description) for m in found] == [
        (1, "001-init", "init"),
        (2, "002_1.7.0_schema", "1.7.0_schema"),
    ]
    assert found[1].down is not None


def test_non_sql_files_and_dotfiles_are_ignored(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "001_a.sql": SQL,
            "README.md": "# docs",
            "notes.txt": "x",
            "002_b.sql~": "garbage",
            "002_b.sql.bak": "garbage",
            ".003_hidden.sql": SQL,
            ".#001_a.sql": "lock",
            "bad name.sql.orig": "x",
        },
    )
    (tmp_path / "..data").mkdir()
    (tmp_path / "subdir").mkdir()
    (tmp_path / "subdir" / "002_nested.sql").write_text(SQL)
    source = load(tmp_path)
    assert [m.name for m in source.migrations] == ["001_a"]


def test_directory_named_like_a_migration_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, {"001_a.sql": SQL})
    (tmp_path / "005_x.sql").mkdir()
    exc = load_error(tmp_path)
    assert exc.fields["file"] == str(tmp_path.resolve() / "005_x.sql")
    assert "directory" in exc.message


def test_symlink_outside_directory_is_rejected(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.sql"
    outside.write_text(SQL)
    migrations = write(tmp_path / "migrations", {"001_a.sql": SQL})
    (migrations / "002_link.sql").symlink_to(outside)
    exc = load_error(migrations)
    assert exc.fields["file"] == str(migrations.resolve() / "002_link.sql")
    assert "symlink" in exc.message


def test_symlink_inside_directory_is_accepted(tmp_path: Path) -> None:
    migrations = write(tmp_path / "migrations", {"001_a.sql": SQL})
    (migrations / "shared").mkdir()
    (migrations / "shared" / "body.sql.txt").write_text("CREATE TABLE linked (a int);")
    (migrations / "002_link.sql").symlink_to(migrations / "shared" / "body.sql.txt")
    source = load(migrations)
    assert [m.name for m in source.migrations] == ["001_a", "002_link"]
    assert source.migrations[1].file.text == "CREATE TABLE linked (a int);"


def test_symlinked_directory_itself_is_resolved(tmp_path: Path) -> None:
    real = write(tmp_path / "real", {"001_a.sql": SQL})
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    source = load(link)
    assert source.directory == real.resolve()
    assert [m.name for m in source.migrations] == ["001_a"]


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    exc = load_error(tmp_path / "nope")
    assert exc.fields["file"] == str(tmp_path / "nope")


def test_file_given_as_directory_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, {"001_a.sql": SQL})
    exc = load_error(tmp_path / "001_a.sql")
    assert "not a directory" in exc.message


def test_non_utf8_bytes_report_line_and_column(tmp_path: Path) -> None:
    # Latin-1 'é' (0xE9) followed by a space is the first invalid byte: line 1, column 4.
    write(tmp_path, {"001_a.sql": "-- é ok\nSELECT 1;\nSELECT 'ab\xe9'".encode("latin-1")})
    exc = load_error(tmp_path)
    assert (exc.fields["line"], exc.fields["column"]) == (1, 4)

    write(tmp_path, {"001_a.sql": "-- é ok\nSELECT 1;\nSELECT 'ab".encode() + b"\xff'"})
    exc = load_error(tmp_path)
    assert exc.fields["file"] == str(tmp_path.resolve() / "001_a.sql")
    assert (exc.fields["line"], exc.fields["column"]) == (3, 11)
    assert "UTF-8" in exc.message


def test_checksum_is_sha256_of_the_bytes(tmp_path: Path) -> None:
    data = "-- ünï\r\nCREATE TABLE t (a int);\r\n".encode()
    write(tmp_path, {"001_a.sql": data, "V1__base.sql": b"-- aim-migrate: baseline-version=1\n"})
    source = load(tmp_path)
    (m,) = source.migrations
    assert m.file.checksum == hashlib.sha256(data).hexdigest()
    assert m.file.text == data.decode()  # no newline translation
    assert source.baseline is not None
    assert (
        source.baseline.file.checksum
        == hashlib.sha256(b"-- aim-migrate: baseline-version=1\n").hexdigest()
    )


# --- baseline -----------------------------------------------------------------------------


def test_baseline_declared_version(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "V3__consolidated_schema.sql": "-- aim-migrate: baseline-version=2\n" + SQL,
            "001_a.sql": SQL,
            "002_b.sql": SQL,
            "003_c.sql": SQL,
        },
    )
    source = load(tmp_path)
    assert source.baseline is not None
    assert source.baseline.name == "V3__consolidated_schema"
    assert source.baseline.version == 2
    assert source.baseline.version_source == "declared"
    assert source.baseline.file.directives == {"baseline-version": ("2", 1)}
    assert [m.name for m in source.migrations] == ["001_a", "002_b", "003_c"]


def test_baseline_override_wins(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "V1__base.sql": "-- aim-migrate: baseline-version=1\n" + SQL,
            "001_a.sql": SQL,
            "002_b.sql": SQL,
        },
    )
    source = load(tmp_path, baseline_override=2)
    assert source.baseline is not None
    assert (source.baseline.version, source.baseline.version_source) == (2, "override")


def test_override_also_covers_a_missing_declaration(tmp_path: Path) -> None:
    write(tmp_path, {"V1__base.sql": SQL, "001_a.sql": SQL})
    source = load(tmp_path, baseline_override=1)
    assert source.baseline is not None
    assert (source.baseline.version, source.baseline.version_source) == (1, "override")


def test_override_must_name_an_existing_migration(tmp_path: Path) -> None:
    write(tmp_path, {"V1__base.sql": SQL, "001_a.sql": SQL})
    exc = load_error(tmp_path, baseline_override=7)
    assert (exc.fields["declared_version"], exc.fields["source"]) == (7, "override")


def test_baseline_without_declaration_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, {"V1__base.sql": SQL, "001_a.sql": SQL})
    exc = load_error(tmp_path)
    assert exc.fields["file"] == str(tmp_path.resolve() / "V1__base.sql")
    assert "baseline-version" in exc.hint


def test_baseline_declaring_unknown_version_is_an_error(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"V1__base.sql": "-- aim-migrate: baseline-version=5\n" + SQL, "001_a.sql": SQL},
    )
    exc = load_error(tmp_path)
    assert (exc.fields["declared_version"], exc.fields["source"]) == (5, "declared")


def test_baseline_version_zero_needs_no_migration(tmp_path: Path) -> None:
    write(tmp_path, {"V1__base.sql": "-- aim-migrate: baseline-version=0\n" + SQL})
    source = load(tmp_path)
    assert source.baseline is not None
    assert source.baseline.version == 0
    assert source.migrations == ()


@pytest.mark.parametrize("value", ["two", "2a", "-1", "", "1.5"])
def test_baseline_version_must_be_numeric(tmp_path: Path, value: str) -> None:
    write(
        tmp_path,
        {"V1__base.sql": f"\n-- aim-migrate: baseline-version={value}\n" + SQL, "001_a.sql": SQL},
    )
    exc = load_error(tmp_path)
    assert exc.fields["line"] == 2
    assert "must be a number" in exc.message


def test_baseline_version_superscript_digit_is_a_validation_error(tmp_path: Path) -> None:
    write(tmp_path, {"V1__base.sql": "-- aim-migrate: baseline-version=²\n" + SQL})
    load_error(tmp_path)


def test_two_baselines_are_an_error(tmp_path: Path) -> None:
    header = "-- aim-migrate: baseline-version=1\n"
    write(tmp_path, {"V1__old.sql": header, "V2__new.sql": header, "001_a.sql": SQL})
    exc = load_error(tmp_path)
    assert "V1__old.sql" in exc.message
    assert "V2__new.sql" in exc.message


def test_directory_without_baseline_is_valid(tmp_path: Path) -> None:
    write(tmp_path, {"001_a.sql": SQL})
    assert load(tmp_path).baseline is None


def test_empty_directory_is_valid(tmp_path: Path) -> None:
    source = load(tmp_path)
    assert (source.baseline, source.migrations, source.notices) == (None, (), ())


def test_baseline_rejects_incremental_directives(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"V1__base.sql": "-- aim-migrate: baseline-version=1, no-transaction\n", "001_a.sql": SQL},
    )
    exc = load_error(tmp_path)
    assert exc.fields["line"] == 1
    assert "no-transaction" in exc.message


# --- directives ---------------------------------------------------------------------------


def test_no_transaction_directive(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "001_a.sql": SQL,
            "002_b.sql": "-- index without locking\n\n--aim-migrate:no-transaction\n"
            "CREATE INDEX CONCURRENTLY ix ON t (a);\n",
        },
    )
    first, second = load(tmp_path).migrations
    assert first.transactional is True
    assert first.file.directives == {}
    assert second.transactional is False
    assert second.file.directives == {"no-transaction": ("", 3)}


def test_unknown_directive_is_an_error_with_line(tmp_path: Path) -> None:
    write(tmp_path, {"001_a.sql": "-- header\n-- aim-migrate: no-transactoin\n" + SQL})
    exc = load_error(tmp_path)
    assert exc.fields["line"] == 2
    assert exc.fields["file"] == str(tmp_path.resolve() / "001_a.sql")
    assert "no-transactoin" in exc.message


def test_baseline_directive_in_incremental_is_unknown(tmp_path: Path) -> None:
    write(tmp_path, {"001_a.sql": "-- aim-migrate: baseline-version=1\n" + SQL})
    assert load_error(tmp_path).fields["line"] == 1


def test_directive_that_takes_no_value(tmp_path: Path) -> None:
    write(tmp_path, {"001_a.sql": "-- aim-migrate: no-transaction=yes\n" + SQL})
    exc = load_error(tmp_path)
    assert exc.fields["line"] == 1
    assert "takes no value" in exc.message


def test_directive_given_twice(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"001_a.sql": "-- aim-migrate: no-transaction\n-- aim-migrate: no-transaction\n" + SQL},
    )
    exc = load_error(tmp_path)
    assert exc.fields["line"] == 2
    assert "twice" in exc.message


def test_data_loss_only_allowed_in_down_files(tmp_path: Path) -> None:
    write(tmp_path, {"001_a.sql": "-- aim-migrate: data-loss\n" + SQL})
    assert "data-loss" in load_error(tmp_path).message


def test_directives_after_first_statement_are_ignored(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "001_a.sql": "CREATE TABLE t (a int);\n-- aim-migrate: no-transaction\n"
            "-- aim-migrate: anything-goes\n",
        },
    )
    (m,) = load(tmp_path).migrations
    assert m.file.directives == {}
    assert m.transactional is True


def test_directives_after_a_block_comment_are_ignored(tmp_path: Path) -> None:
    write(tmp_path, {"001_a.sql": "/* header */\n-- aim-migrate: no-transaction\n" + SQL})
    (m,) = load(tmp_path).migrations
    assert m.transactional is True


# --- statements() preflight ---------------------------------------------------------------


def test_statements_returns_the_split_statements(tmp_path: Path) -> None:
    file = sql_file(tmp_path, "-- header\nCREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\n")
    found = statements(file, transactional=True)
    assert [(s.text, s.line) for s in found] == [
        ("CREATE TABLE t (a int)", 2),
        ("INSERT INTO t VALUES (1)", 3),
    ]


@pytest.mark.parametrize("text", ["", "-- nothing here\n", "/* only; a comment */\n;;\n"])
def test_file_without_statements_is_an_error(tmp_path: Path, text: str) -> None:
    exc = statements_error(sql_file(tmp_path, text))
    assert "no SQL statement" in exc.message


@pytest.mark.parametrize(
    ("text", "line", "word"),
    [
        ("BEGIN;\nCREATE TABLE t (a int);\nCOMMIT;\n", 1, "BEGIN"),
        ("-- h\nCREATE TABLE t (a int);\n\ncommit;\n", 4, "COMMIT"),
        ("CREATE TABLE t (a int);\nSTART TRANSACTION;\n", 2, "START"),
        ("CREATE TABLE t (a int);\nROLLBACK;\n", 2, "ROLLBACK"),
    ],
)
def test_transaction_control_is_refused_with_line(
    tmp_path: Path, text: str, line: int, word: str
) -> None:
    file = sql_file(tmp_path, text)
    exc = statements_error(file)
    assert exc.fields["line"] == line
    assert word in exc.message
    # also in a no-transaction file
    assert statements_error(file, transactional=False).fields["line"] == line


def test_savepoints_are_allowed(tmp_path: Path) -> None:
    file = sql_file(tmp_path, "SAVEPOINT a;\nSELECT 1;\nROLLBACK TO SAVEPOINT a;\n")
    assert len(statements(file, transactional=True)) == 3


def test_concurrent_index_needs_no_transaction_directive(tmp_path: Path) -> None:
    text = "CREATE TABLE t (a int);\n\nCREATE INDEX CONCURRENTLY ix ON t (a);\n"
    file = sql_file(tmp_path, text)
    exc = statements_error(file, transactional=True)
    assert exc.fields["line"] == 3
    assert "CONCURRENTLY" in exc.message
    assert "no-transaction" in exc.hint


def test_concurrent_index_accepted_with_no_transaction_directive(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"001_a.sql": "-- aim-migrate: no-transaction\nCREATE INDEX CONCURRENTLY ix ON t (a);\n"},
    )
    (m,) = load(tmp_path).migrations
    assert m.transactional is False
    found = statements(m.file, transactional=m.transactional)
    assert [s.text for s in found] == ["CREATE INDEX CONCURRENTLY ix ON t (a)"]


def test_psql_meta_command_is_refused(tmp_path: Path) -> None:
    file = sql_file(tmp_path, "CREATE TABLE t (a int);\n\\i other.sql\n")
    exc = statements_error(file, transactional=False)
    assert exc.fields["line"] == 2
    assert "meta-command" in exc.message


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("CREATE TABLE t (a int);\nINSERT INTO t VALUES ('oops);\n", 2, 23),
        ("SELECT 1;\n/* open\n", 2, 1),
        ("DO $body$ BEGIN NULL; END $$;\n", 1, 4),
    ],
)
def test_unterminated_input_is_refused_with_line_and_column(
    tmp_path: Path, text: str, line: int, column: int
) -> None:
    exc = statements_error(sql_file(tmp_path, text))
    assert (exc.fields["line"], exc.fields["column"]) == (line, column)
    assert f"001_x.sql:{line}:{column}:" in exc.message
    assert "unterminated" in exc.message
