"""Validation verdicts. On PostgreSQL the server's own parser (pglast) decides and sqlglot's
verdict is kept beside it; elsewhere SQL that SQLAlchemy compiled and sqlglot cannot parse is a
parser gap (unvalidated), while SQL an author wrote must parse, or say on a leading comment
line `-- sqlcompile: unvalidated <reason>` that it is accepted unvalidated. Every render here is
applied to the real server it targets."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import dbs
import pytest
from click.testing import CliRunner, Result

from sqlcompile.cli import cli
from sqlcompile.dialects import get_dialect
from sqlcompile.pipeline.compiler import Statement
from sqlcompile.pipeline.validate import (
    ACCEPTED,
    DIRECTIVE,
    FAILED,
    GAP,
    UNVALIDATED,
    VALID,
    Report,
    Validator,
    accepted_reason,
)

FIRST = "aaaaaaaaaaaa"
NULLS_DISTINCT = "CREATE TABLE t (a INT, CONSTRAINT u UNIQUE NULLS DISTINCT (a))"
#: MySQL table options: sqlglot's PostgreSQL grammar takes them, PostgreSQL does not.
ENGINE = "CREATE TABLE t (a INT) ENGINE=InnoDB"
#: Valid SQLite (a conflict clause on a column's UNIQUE) that sqlglot cannot parse.
ON_CONFLICT = "CREATE TABLE notes (id INTEGER PRIMARY KEY, slug TEXT UNIQUE ON CONFLICT ABORT)"


def script(upgrade: str, downgrade: str = "pass") -> str:
    """The one revision of a test history, whose upgrade() runs ``upgrade``."""
    return (
        '"""validation test"""\n'
        "from alembic import op\n"
        "import sqlalchemy as sa\n\n"
        f"revision = {FIRST!r}\n"
        "down_revision = None\n\n\n"
        f"def upgrade():\n{textwrap.indent(textwrap.dedent(upgrade).strip(), '    ')}\n\n\n"
        f"def downgrade():\n{textwrap.indent(textwrap.dedent(downgrade).strip(), '    ')}\n"
    )


class History:
    """A one-revision history for some dialects in a temporary folder."""

    def __init__(self, root: Path, dialects: list[str], upgrade: str = "pass") -> None:
        self.root = root
        (root / "migrations" / "versions").mkdir(parents=True)
        listed = ", ".join(f'"{d}"' for d in dialects)
        (root / "sqlcompile.toml").write_text(
            f'script_location = "migrations"\noutput_dir = "out"\ndialects = [{listed}]\n',
            encoding="utf-8")
        self.script(upgrade)

    def script(self, upgrade: str, downgrade: str = "pass") -> None:
        path = self.root / "migrations" / "versions" / f"{FIRST}_validation_test.py"
        path.write_text(script(upgrade, downgrade), encoding="utf-8")

    def hand_written(self, dialect: str, text: str) -> None:
        """The upgrade of the revision, written by hand for ``dialect``."""
        folder = self.root / "migrations" / "sql" / dialect
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{FIRST}.upgrade.sql").write_text(text, encoding="utf-8")

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(cli, ["--config", str(self.root / "sqlcompile.toml"), *args],
                                  catch_exceptions=False)

    def upgrade_file(self, dialect: str) -> Path:
        [path] = (self.root / "out" / dialect / "upgrade").glob("*.sql")
        return path


def summary(result: Result, dialect: str) -> str:
    [line] = [ln for ln in result.stderr.splitlines() if ln.startswith(f"{dialect}: ")
              and " files, " in ln]
    return line


# -- PostgreSQL: the server's own parser decides ------------------------------------------------


NULLS_HISTORY = """
    op.create_table(
        "members",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(100)),
        sa.Column("nick", sa.String(50)),
        sa.UniqueConstraint("email", name="uq_members_email", postgresql_nulls_not_distinct=False),
    )
    op.create_unique_constraint("uq_members_nick", "members", ["nick"],
                                postgresql_nulls_not_distinct=True)
    op.create_index("ix_members_pair", "members", ["email", "nick"], unique=True,
                    postgresql_nulls_not_distinct=True)
"""


def test_nulls_distinct_and_not_distinct_validate_and_apply(tmp_path: Path,
                                                            pg_db: dbs.PostgresDB) -> None:
    history = History(tmp_path, ["postgresql"], NULLS_HISTORY)
    result = history.run("render", "-v")
    assert result.exit_code == 0, result.stderr
    text = history.upgrade_file("postgresql").read_text(encoding="utf-8")
    assert "CONSTRAINT uq_members_email UNIQUE NULLS DISTINCT (email)" in text
    assert "NULLS NOT DISTINCT" in text
    assert summary(result, "postgresql").endswith(" 0 failed")
    # sqlglot's own verdict is shown beside the parser's: it fails the first, cannot read the
    # index beyond an opaque command.
    assert ("PostgreSQL's parser accepts it; sqlglot fails it (Expecting )."
            in result.stderr)
    assert ("PostgreSQL's parser accepts it; sqlglot leaves it unvalidated (sqlglot parsed it "
            "only as an opaque command): CREATE UNIQUE INDEX ix_members_pair") in result.stderr
    assert "postgresql: sqlglot's own verdict: " in result.stderr

    applied = pg_db.apply(history.upgrade_file("postgresql"))
    assert applied.returncode == 0, applied.stderr
    rows = pg_db.query(
        "SELECT c.relname, i.indnullsnotdistinct FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = ANY(%s) ORDER BY 1",
        [["ix_members_pair", "uq_members_email", "uq_members_nick"]])
    assert rows == [("ix_members_pair", True), ("uq_members_email", False),
                    ("uq_members_nick", True)]


def test_the_postgresql_parser_wins_over_sqlglot_both_ways(pg_db: dbs.PostgresDB) -> None:
    validator = Validator(get_dialect("postgresql"))
    accepted = validator.verdict(NULLS_DISTINCT)
    assert (accepted.status, accepted.sqlglot) == (VALID, FAILED)
    assert accepted.sqlglot_detail.startswith("Expecting )")
    for sql, where in ((ENGINE, "ENGINE"), ("ALTER TABLE t ADD COLUMN b INT FIRST", "FIRST")):
        rejected = validator.verdict(sql)
        assert (rejected.status, rejected.sqlglot) == (FAILED, VALID)
        assert rejected.detail == (f"PostgreSQL's parser: syntax error at or near \"{where}\" "
                                   f"(line 1, column {sql.index(where) + 1})")
    # ... and the server agrees with its parser, not with sqlglot.
    assert pg_db.apply(f"{NULLS_DISTINCT};\n").returncode == 0
    refused = pg_db.apply(f"{ENGINE.replace(' t ', ' t2 ')};\n")
    assert refused.returncode != 0 and 'syntax error at or near "ENGINE"' in refused.stderr


def test_a_rejected_statement_fails_the_render_with_the_parsers_message(tmp_path: Path) -> None:
    history = History(tmp_path, ["postgresql"], f"op.execute({ENGINE!r})")
    result = history.run("render", "-v")
    assert result.exit_code == 1
    assert ("statement failed validation (PostgreSQL's parser: syntax error at or near "
            "\"ENGINE\" (line 1, column 24)):") in result.stderr
    assert "PostgreSQL's parser rejects it; sqlglot parses it: CREATE TABLE t" in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_parsers_position_counts_lines_and_characters() -> None:
    sql = "CREATE TABLE é (\n  a INT\n) ENGINE=InnoDB"
    found = Validator(get_dialect("postgresql")).verdict(sql)
    assert found.detail.endswith("syntax error at or near \"ENGINE\" (line 3, column 3)")
    cut = Validator(get_dialect("postgresql")).verdict("SELECT 1 FROM")
    assert cut.detail == "PostgreSQL's parser: syntax error at end of input"


def test_psql_directives_stay_client_directives() -> None:
    found = Validator(get_dialect("postgresql")).verdict("\\set ON_ERROR_STOP on")
    assert (found.status, found.kind, found.sqlglot) == (UNVALIDATED, DIRECTIVE, "")


def test_two_statements_in_one_fail_on_postgresql_too() -> None:
    found = Validator(get_dialect("postgresql")).verdict("SELECT 1; SELECT 2", "raw")
    assert found.status == FAILED and "2 statements where one was expected" in found.detail


def test_a_broken_hand_written_statement_fails_on_postgresql(tmp_path: Path) -> None:
    history = History(tmp_path, ["postgresql"])
    # sqlglot reads the doubled comma as if it were one; PostgreSQL does not.
    history.hand_written("postgresql", "CREATE TABLE notes (id INT,, body TEXT);\n")
    result = history.run("render")
    assert result.exit_code == 1
    assert "PostgreSQL's parser: syntax error at or near \",\" (line 1, column 28)" in (
        result.stderr)


def test_pglast_that_cannot_be_imported_is_an_input_error(tmp_path: Path) -> None:
    """A broken install (here: a pglast whose import fails) says so; nothing falls back."""
    broken = tmp_path / "broken" / "pglast"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text(
        'raise ImportError("libpg_query could not be loaded")\n', encoding="utf-8")
    History(tmp_path / "p", ["postgresql", "sqlite"], 'op.execute("SELECT 1")')
    env = {**os.environ, "PYTHONPATH": str(broken.parent)}
    env.pop("SQLCOMPILE_TRACEBACK", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "sqlcompile", *args], cwd=tmp_path / "p",
                              env=env, capture_output=True, text=True, timeout=120, check=False)

    done = run("render")
    assert done.returncode == 2, done.stderr
    assert ("error: validating PostgreSQL needs pglast (PostgreSQL's own parser), which cannot "
            "be imported: libpg_query could not be loaded") in done.stderr
    assert "hint: sqlcompile's installation is broken: reinstall it" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "p" / "out").exists()
    assert run("render", "--dialect", "sqlite").returncode == 0  # pglast is not needed there


def test_neither_help_nor_other_dialects_import_pglast(tmp_path: Path) -> None:
    History(tmp_path, ["sqlite"], 'op.execute("SELECT 1")')
    code = textwrap.dedent("""
        import sys
        from sqlcompile.cli import cli
        for args in (["--help"], ["render", "--dialect", "sqlite"]):
            try:
                cli(args)
            except SystemExit:
                pass
            print("pglast" in sys.modules)
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=True)
    assert done.stdout.split()[-2:] == ["False", "False"]


# -- other dialects: what SQLAlchemy compiled vs what an author wrote --------------------------


GAP_HISTORY = """
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("label", sa.String(40), nullable=False, sqlite_on_conflict_not_null="FAIL"),
    )
"""


def test_a_parser_gap_is_unvalidated_with_sqlglots_message_and_applies(
        tmp_path: Path, sqlite_db: dbs.SQLiteDB) -> None:
    history = History(tmp_path, ["sqlite"], GAP_HISTORY)
    result = history.run("render", "-v")
    assert result.exit_code == 0, result.stderr
    assert "unvalidated (2 parser gaps, 4 client directives), 0 failed" in summary(
        result, "sqlite")  # the migration and schema.sql
    assert ("upgrade/0001_aaaaaaaaaaaa_validation_test.sql: unvalidated, parser gap (sqlglot "
            "cannot parse what SQLAlchemy compiled: Expecting ). Line 3, Col: ") in result.stderr
    applied = sqlite_db.apply(history.upgrade_file("sqlite"))
    assert applied.returncode == 0, applied.stderr
    [(sql,)] = sqlite_db.query("SELECT sql FROM sqlite_master WHERE name = 'tags'")
    assert "NOT NULL ON CONFLICT FAIL" in sql


def test_the_same_text_from_an_author_fails(tmp_path: Path) -> None:
    """What is a parser gap when compiled fails as op.execute text: the verdict follows the
    statement's origin, cache and all."""
    validator = Validator(get_dialect("sqlite"))
    for origin, status in (("compiled", UNVALIDATED), ("raw", FAILED), ("compiled", UNVALIDATED)):
        validator.statement("f.sql", Statement(ON_CONFLICT, origin=origin))
        assert validator.verdict(ON_CONFLICT, origin).status == status
    assert (validator.report.validated, validator.report.unvalidated) == (0, 2)
    assert [p.detail for p in validator.report.errors] == ["Expecting ). Line 1, Col: 78."]

    history = History(tmp_path, ["sqlite"], f"op.execute({ON_CONFLICT!r})")
    result = history.run("render")
    assert result.exit_code == 1
    assert "statement failed validation (Expecting ). Line 1, Col: 78.):" in result.stderr


def test_a_broken_hand_written_statement_fails(tmp_path: Path) -> None:
    history = History(tmp_path, ["sqlite"])
    history.hand_written("sqlite", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT;\n")
    result = history.run("render")
    assert result.exit_code == 1
    assert "statement failed validation (Expecting ). Line 1, Col: 53.):" in result.stderr
    assert summary(result, "sqlite").endswith(", 1 failed")


def test_an_accepted_hand_written_statement_is_counted_and_applies(
        tmp_path: Path, sqlite_db: dbs.SQLiteDB) -> None:
    history = History(tmp_path, ["sqlite"])
    history.hand_written("sqlite", f"{ON_CONFLICT};\n")
    assert history.run("render").exit_code == 1  # valid SQLite, but sqlglot cannot tell
    history.hand_written("sqlite", (
        "CREATE TABLE authors (id INTEGER PRIMARY KEY);\n"
        "-- sqlcompile: unvalidated sqlglot has no grammar for a column's ON CONFLICT clause\n"
        f"{ON_CONFLICT};\n"))
    result = history.run("render", "-v")
    assert result.exit_code == 0, result.stderr
    assert "unvalidated (4 client directives, 1 accepted by the author), 0 failed" in summary(
        result, "sqlite")
    assert ("unvalidated, accepted by the author (sqlglot has no grammar for a column's ON "
            "CONFLICT clause; sqlglot: Expecting ). Line 2, Col: 78.): CREATE TABLE notes"
            ) in result.stderr
    text = history.upgrade_file("sqlite").read_text(encoding="utf-8")
    assert "-- sqlcompile: unvalidated sqlglot has no grammar" in text  # seen in review
    applied = sqlite_db.apply(history.upgrade_file("sqlite"))
    assert applied.returncode == 0, applied.stderr
    assert sqlite_db.tables() == ["authors", "notes", "sqlcompile_version"]


def test_an_accepted_op_execute_statement_applies_on_mariadb(
        tmp_path: Path, mariadb_db: dbs.MariaDB) -> None:
    """MariaDB frames each statement as a step of its own: the origin survives framing."""
    ignore = ("-- sqlcompile: unvalidated sqlglot cannot parse ALTER INDEX ... IGNORED\n"
              "ALTER TABLE books ALTER INDEX ix_books_title IGNORED")
    upgrade = f"""
        op.create_table("books", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("title", sa.String(80)))
        op.create_index("ix_books_title", "books", ["title"])
        op.execute({ignore.split(chr(10))[1]!r})
    """
    history = History(tmp_path, ["mariadb"], upgrade)
    failed = history.run("render")
    assert failed.exit_code == 1
    assert "statement failed validation (Required keyword: 'visible' missing" in failed.stderr
    history.script(upgrade.replace(repr(ignore.split(chr(10))[1]), repr(ignore)))
    result = history.run("render")
    assert result.exit_code == 0, result.stderr
    assert "(1 accepted by the author)" in summary(result, "mariadb")
    applied = mariadb_db.apply(history.upgrade_file("mariadb"))
    assert applied.returncode == 0, applied.stderr
    rows = mariadb_db.query("SELECT ignored FROM information_schema.statistics WHERE "
                            "table_schema = DATABASE() AND index_name = 'ix_books_title'")
    assert rows == [("YES",)]


def test_a_marker_needs_a_reason_and_only_leading_comments_count() -> None:
    validator = Validator(get_dialect("sqlite"))
    bare = validator.verdict(f"-- sqlcompile: unvalidated\n{ON_CONFLICT}", "raw")
    assert bare.status == FAILED and "gives no reason" in bare.detail
    inside = "INSERT INTO t VALUES ('\n-- sqlcompile: unvalidated reason\n')"
    assert accepted_reason(inside) is None
    assert accepted_reason("-- a note\n\n-- SQLCompile:  Unvalidated  why\nSELECT 1") == "why"
    assert accepted_reason("SELECT 1 -- sqlcompile: unvalidated why") is None
    assert validator.verdict("-- sqlcompile: unvalidated why\nSELECT 1", "raw").status == VALID


def test_an_accepted_statement_on_postgresql_is_counted_as_such() -> None:
    """For syntax newer than pglast's grammar, the same line accepts a statement the parser
    rejects; it is counted, never validated."""
    found = Validator(get_dialect("postgresql")).verdict(
        f"-- sqlcompile: unvalidated a newer server's syntax\n{ENGINE}", "raw")
    assert (found.status, found.kind) == (UNVALIDATED, ACCEPTED)
    assert found.detail.startswith("a newer server's syntax; PostgreSQL's parser: syntax error")


# -- the summary ---------------------------------------------------------------------------------


def test_the_summary_counts_each_kind() -> None:
    report = Report("sqlite", files=3, statements=10, validated=6, unvalidated=3,
                    kinds={DIRECTIVE: 2, GAP: 1})
    assert report.summary() == ("sqlite: 3 files, 10 statements, 6 validated, 3 unvalidated "
                                "(1 parser gap, 2 client directives), 0 failed")
    other = Report("sqlite", files=1, statements=2, validated=1, unvalidated=1,
                   kinds={ACCEPTED: 1}, sqlglot={VALID: 1})
    report.add(other)
    assert report.summary() == ("sqlite: 4 files, 12 statements, 7 validated, 4 unvalidated "
                                "(1 parser gap, 2 client directives, 1 accepted by the author), "
                                "0 failed")
    assert report.sqlglot_summary() == (
        "sqlite: sqlglot's own verdict: 1 validated, 0 unvalidated, 0 failed")
    assert Report("mysql", files=1).summary() == (
        "mysql: 1 files, 0 statements, 0 validated, 0 unvalidated, 0 failed")


@pytest.mark.parametrize("dialect", ["mysql", "mariadb", "sqlite", "mssql", "oracle"])
def test_sqlglot_alone_decides_without_a_server_parser(dialect: str) -> None:
    found = Validator(get_dialect(dialect)).verdict("SELECT 1")
    assert (found.status, found.sqlglot) == (VALID, "")
