"""Raw SQL holding several statements: op.execute() strings are cut as their client would run
them, each statement framed and validated on its own (and applied on real servers); blocks and
quoted text stay whole. Also the messages found on a real history: validation failures at the
script's line, a leading comment before raw DDL, byte-stable SQLAlchemy errors, SQLAlchemy 1.x
code, and ops on tables the history never created."""

from __future__ import annotations

from pathlib import Path

import dbs
import pytest
from helpers import compile_ops
from histories import line_of, run, run_process, script, write

from sqlcompile.dialects import get_dialect
from sqlcompile.dialects.splitting import split_statements, without_leading_comments
from sqlcompile.schema.model import Schema
from sqlcompile.sources.raw import apply_sql

TWO_UPDATES = "UPDATE w SET a = 1;\nUPDATE w SET a = 2;"
TABLE_W = 'op.create_table("w", sa.Column("id", sa.Integer, primary_key=True), ' \
          'sa.Column("a", sa.Integer))\nop.execute("INSERT INTO w (id, a) VALUES (1, 0)")'
PG_FUNCTION = (
    "CREATE FUNCTION w_bump() RETURNS trigger AS $$\n"
    "BEGIN\n"
    "    NEW.a := NEW.a + 10;\n"
    "    RETURN NEW;\n"
    "END\n"
    "$$ LANGUAGE plpgsql")
PG_TRIGGER = "CREATE TRIGGER w_bump BEFORE UPDATE ON w FOR EACH ROW EXECUTE FUNCTION w_bump()"


# -- the splitter ------------------------------------------------------------------------------

@pytest.mark.parametrize(("dialect", "sql", "count"), [
    ("postgresql", TWO_UPDATES, 2),
    ("postgresql", PG_FUNCTION, 1),
    ("postgresql", f"{PG_FUNCTION};\n{PG_TRIGGER};", 2),
    ("postgresql", "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql", 1),
    ("postgresql", "DO $$ BEGIN PERFORM 1; PERFORM 2; END $$", 1),
    ("postgresql", "CREATE FUNCTION g() RETURNS int LANGUAGE sql AS 'SELECT 1; SELECT 2'", 1),
    ("postgresql", "INSERT INTO w VALUES ('a;b') /* c; d */", 1),
    ("postgresql", "UPDATE w SET a = 1; -- then; the other\nUPDATE w SET a = 2", 2),
    ("postgresql", "BEGIN; UPDATE w SET a = 1; COMMIT", 3),
    ("mariadb", "CREATE TRIGGER t BEFORE INSERT ON w FOR EACH ROW BEGIN "
                "IF NEW.a IS NULL THEN SET NEW.a = 1; END IF; "
                "CASE NEW.a WHEN 1 THEN SET NEW.a = 2; ELSE SET NEW.a = 3; END CASE; END", 1),
    ("mysql", "UPDATE w SET a = CASE WHEN a > 1 THEN 1 END; UPDATE w SET a = 'x\\';y'", 2),
    ("sqlite", "CREATE TRIGGER t AFTER INSERT ON w BEGIN UPDATE w SET a = 1; END; SELECT 1", 2),
    ("mssql", "IF NOT EXISTS (SELECT 1 FROM w) BEGIN UPDATE w SET a = 1; DELETE FROM w; END", 1),
    ("mssql", "DECLARE @n INT; SET @n = 1; UPDATE w SET a = @n", 1),
    ("oracle", "BEGIN UPDATE w SET a = 1; DELETE FROM w; END;", 1),
    ("oracle", "CREATE OR REPLACE TRIGGER t BEFORE INSERT ON w FOR EACH ROW "
               "BEGIN :NEW.a := 1; END;", 1),
])
def test_the_splitter_keeps_blocks_and_quoted_text_whole(dialect: str, sql: str,
                                                         count: int) -> None:
    assert len(split_statements(sql, get_dialect(dialect))) == count


def test_leading_comments_are_left_out() -> None:
    assert without_leading_comments(" -- one\n/* two;\n */\n  DROP TRIGGER t -- three") == \
        "DROP TRIGGER t -- three"
    assert without_leading_comments("-- nothing else") == ""


# -- op.execute() compiles one statement per statement ------------------------------------------

def test_a_multi_statement_string_renders_as_separate_statements(tmp_path: Path) -> None:
    found = compile_ops(f"op.execute({TWO_UPDATES!r})", "postgresql", tmp_path=tmp_path)
    assert found == ["UPDATE w SET a = 1", "UPDATE w SET a = 2"]
    one = compile_ops(f"op.execute({PG_FUNCTION!r})", "postgresql", tmp_path=tmp_path / "b")
    assert one == [PG_FUNCTION]


def test_text_with_bound_values_is_cut_after_binding(tmp_path: Path) -> None:
    body = ('op.execute(sa.text("UPDATE w SET b = :b; UPDATE w SET c = :c")'
            '.bindparams(b="x; y", c=2))')
    assert compile_ops(body, "postgresql", tmp_path=tmp_path) == [
        "UPDATE w SET b = 'x; y'", "UPDATE w SET c = 2"]
    single = 'op.execute(sa.text("UPDATE w SET b = :b").bindparams(b="x; y"))'
    assert compile_ops(single, "postgresql", tmp_path=tmp_path / "b") == [
        "UPDATE w SET b = 'x; y'"]


def _history(root: Path, dialect: str, upgrade: str) -> Path:
    write(root, {"a1_first.py": script("a1", None, upgrade)}, [dialect])
    result = run(root, "render")
    assert result.code == 0, result.stderr
    [path] = (root / "out" / dialect / "upgrade").glob("*.sql")
    return path


@pytest.mark.parametrize("db_name", ["pg_db", "mariadb_db", "sqlite_db"])
def test_a_multi_statement_execute_applies(tmp_path: Path, db_name: str,
                                           request: pytest.FixtureRequest) -> None:
    db: dbs.ScratchDB = request.getfixturevalue(db_name)
    dialect = {"pg_db": "postgresql", "mariadb_db": "mariadb", "sqlite_db": "sqlite"}[db_name]
    upgrade = f"{TABLE_W}\nop.execute({TWO_UPDATES.replace('= 2', '= a + 5')!r})"
    path = _history(tmp_path / "p", dialect, upgrade)
    dbs.apply_ok(db, path)
    assert db.query("SELECT a FROM w") == [(6,)]


def test_a_pg_function_with_a_dollar_quoted_body_is_one_statement_and_created(
        tmp_path: Path, pg_db: dbs.PostgresDB) -> None:
    upgrade = f"{TABLE_W}\nop.execute({f'{PG_FUNCTION};{chr(10)}{PG_TRIGGER};'!r})"
    path = _history(tmp_path / "p", "postgresql", upgrade)
    text = path.read_text(encoding="utf-8")
    assert f"{PG_FUNCTION};\n" in text and f"{PG_TRIGGER};\n" in text
    dbs.apply_ok(pg_db, path)
    pg_db.apply("UPDATE w SET a = 1;\n")
    assert pg_db.query("SELECT a FROM w") == [(11,)]


MARIADB_TRIGGER = """CREATE TRIGGER w_bi BEFORE INSERT ON w FOR EACH ROW
BEGIN
  IF NEW.a IS NULL THEN
    SET NEW.a = 7;
  END IF;
END"""


def test_a_mariadb_trigger_body_is_framed_by_delimiter_lines(
        tmp_path: Path, mariadb_db: dbs.MariaDB) -> None:
    """The mysql client ends a statement at every `;`: a body with `;` inside goes between
    DELIMITER lines, and the file applies with the client."""
    path = _history(tmp_path / "p", "mariadb", f"{TABLE_W}\nop.execute({MARIADB_TRIGGER!r})")
    text = path.read_text(encoding="utf-8")
    assert f"DELIMITER $$\n{MARIADB_TRIGGER}\n$$\nDELIMITER ;\n" in text
    dbs.apply_ok(mariadb_db, path)
    mariadb_db.query("DELETE FROM w")
    mariadb_db.query("INSERT INTO w (id) VALUES (9)")
    assert mariadb_db.query("SELECT a FROM w") == [(7,)]


def test_hand_written_mariadb_sql_with_delimiter_lines(tmp_path: Path,
                                                       mariadb_db: dbs.MariaDB) -> None:
    """A hand-written file written as a DBA writes a trigger for the mysql client."""
    root = tmp_path / "h"
    write(root, {"a1_first.py": script("a1", None, TABLE_W)}, ["mariadb"])
    hand = root / "migrations" / "sql" / "mariadb"
    hand.mkdir(parents=True)
    (hand / "a1.upgrade.sql").write_text(
        "CREATE TABLE w (id INTEGER PRIMARY KEY, a INTEGER);\n"
        f"DELIMITER //\n{MARIADB_TRIGGER}//\nDELIMITER ;\n"
        "INSERT INTO w (id) VALUES (1);\n", encoding="utf-8")
    result = run(root, "render")
    assert result.code == 0, result.stderr
    [path] = (root / "out" / "mariadb" / "upgrade").glob("*.sql")
    dbs.apply_ok(mariadb_db, path)
    assert mariadb_db.query("SELECT id, a FROM w") == [(1, 7)]


# -- a statement that fails validation is reported at the script's line -------------------------

def test_a_validation_failure_names_the_script_line_and_hints(tmp_path: Path) -> None:
    upgrade = f"{TABLE_W}\nop.execute({TWO_UPDATES!r})\nop.execute('CREATE TABLE (broken')"
    write(tmp_path, {"a1_first.py": script("a1", None, upgrade)}, ["postgresql"])
    result = run(tmp_path, "render")
    assert result.code == 1
    text = (tmp_path / "migrations" / "versions" / "a1_first.py").read_text(encoding="utf-8")
    line = line_of(text, "CREATE TABLE (broken")
    lines = result.stderr.splitlines()
    at = lines.index(next(x for x in lines if "failed validation" in x))
    assert lines[at].startswith(f"error: migrations/versions/a1_first.py:{line}: statement "
                                "failed validation (PostgreSQL's parser: syntax error")
    assert lines[at].endswith(": in out/postgresql/upgrade/0001_a1_revision_a1.sql:")
    assert lines[at + 1] == "    CREATE TABLE (broken"
    assert lines[at + 2].startswith("  hint: correct the SQL the script gives op.execute()")
    assert result.errors()[-1] == "error: validation failed; no files were written"


# -- the model follows raw DDL after a leading comment -----------------------------------------

@pytest.mark.parametrize("lead", ["", "-- drop the old one\n", "/* old */ "])
def test_a_leading_comment_does_not_hide_a_drop_trigger(lead: str) -> None:
    schema = Schema(get_dialect("postgresql"))
    schema.revision = "r1"
    apply_sql(schema, "CREATE TABLE queries (id int); CREATE TRIGGER zt BEFORE UPDATE ON "
                      "queries FOR EACH ROW EXECUTE FUNCTION f()")
    assert [t.name for t in schema.tables[(None, "queries")].triggers] == ["zt"]
    apply_sql(schema, f"{lead}DROP TRIGGER IF EXISTS zt ON queries;\n"
                      "-- and the table grows\nALTER TABLE queries ADD COLUMN n int")
    assert schema.incomplete == []
    queries = schema.tables[(None, "queries")]
    assert queries.triggers == () and queries.column_names() == ["id", "n"]


# -- SQLAlchemy's errors carry no memory address ---------------------------------------------

def test_a_type_the_dialect_cannot_render_gives_the_same_message_every_run(
        tmp_path: Path) -> None:
    upgrade = 'op.create_table("docs", sa.Column("id", sa.Integer, primary_key=True), ' \
              'sa.Column("v", postgresql.TSVECTOR))'
    write(tmp_path, {"a1_first.py": script(
        "a1", None, upgrade, top="from sqlalchemy.dialects import postgresql")}, ["sqlite"])
    first, second = run_process(tmp_path, "render"), run_process(tmp_path, "render")
    assert first.code == 2 and first.stderr == second.stderr
    assert "0x" not in first.stderr
    assert ("type TSVECTOR has no SQLite form (SQLAlchemy's sqlite compiler cannot render it)"
            ) in first.stderr
    assert "hint: give the column a type SQLite has" in first.stderr


# -- SQLAlchemy 1.x code -------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "advice"), [
    ("meta = sa.MetaData(bind=op.get_bind())", "write sa.MetaData()"),
    ('sa.Table("w", sa.MetaData(), autoload=True)', "autoload_with=op.get_bind()"),
    ('w = sa.table("w", sa.column("a"))\nop.execute(sa.select([w.c.a]))', "sa.select(col, ...)"),
    ('op.get_bind().engine.execute("UPDATE w SET a = 1")', "op.execute(sa.text(...))"),
])
def test_sqlalchemy_1x_code_is_named_in_the_hint(tmp_path: Path, code: str,
                                                 advice: str) -> None:
    write(tmp_path, {"a1_first.py": script("a1", None, f"{TABLE_W}\n{code}")}, ["sqlite"])
    first, second = run(tmp_path, "render"), run(tmp_path, "render")
    assert first.code == 2 and first.stderr == second.stderr
    hint = next(x for x in first.stderr.splitlines() if x.startswith("  hint: "))
    assert hint.startswith("  hint: this is SQLAlchemy 1.x code, which SQLAlchemy 2 refuses: ")
    assert advice in hint and "write this revision's SQL by hand" in hint
    assert " at 0x" not in first.stderr


# -- ops on tables the application created -----------------------------------------------------

def test_ops_on_tables_the_history_never_created_are_one_line_per_table(
        tmp_path: Path) -> None:
    first = ('op.add_column("queries", sa.Column("is_draft", sa.Boolean))\n'
             'op.add_column("queries", sa.Column("tags", sa.Text))\n'
             'op.create_index("ix_users_email", "users", ["email"])')
    write(tmp_path, {"a1_first.py": script("a1", None, first),
                     "b2_second.py": script("b2", "a1", 'op.drop_column("queries", "tags")')},
          ["postgresql", "sqlite"])
    assert run(tmp_path, "render").code == 0
    result = run(tmp_path, "check")
    assert result.code == 0, result.stderr
    warnings = [x for x in result.stderr.splitlines() if "never created" in x]
    assert warnings == [
        f"warning: {d}: table {t}, which the history never created, is named by {n} op(s) "
        f"from revision a1 on (first: {what}); the schema model does not know it"
        for d in ("postgresql", "sqlite")
        for t, n, what in (("queries", 3, "add_column queries.is_draft"),
                           ("users", 1, "create_index ix_users_email on users"))]
    hints = [x for x in result.stderr.splitlines() if x.startswith("  hint:")]
    assert hints == [
        f'  hint: set baseline = "a1" in sqlcompile.toml and hand-write '
        f"migrations/sql/{d}/a1.upgrade.sql to create those tables as they are after revision "
        'a1, so the model knows them (see README "Adopting an existing database")'
        for d in ("postgresql", "sqlite")]
    assert result.stderr.endswith("(4 schema model warning(s) above)\n")


def test_a_broken_hand_written_statement_is_reported_at_its_line(tmp_path: Path) -> None:
    write(tmp_path, {"a1_first.py": script("a1", None)}, ["sqlite"])
    hand = tmp_path / "migrations" / "sql" / "sqlite" / "a1.upgrade.sql"
    hand.parent.mkdir(parents=True)
    hand.write_text("CREATE TABLE ok (id INTEGER);\n\n-- next\nCREATE TABLE (broken;\n",
                    encoding="utf-8")
    result = run(tmp_path, "render")
    assert result.code == 1
    [found, _] = result.errors()
    assert found.startswith("error: migrations/sql/sqlite/a1.upgrade.sql:4: statement failed "
                            "validation (")
    assert "  hint: correct the statement in migrations/sql/sqlite/a1.upgrade.sql" in \
        result.stderr


def test_delimiter_lines_count_only_outside_quotes_and_comments() -> None:
    """As the mysql client reads them: a `delimiter` line inside a literal or a comment is
    text (the trust property test's hostile literal "\\ndelimiter //\\n" found this)."""
    from sqlcompile.dialects.splitting import at_delimiter_lines

    hostile = "INSERT INTO t VALUES ('a\ndelimiter //\nb');\nSELECT 1;"
    assert at_delimiter_lines(hostile) == [hostile]
    commented = "-- delimiter //\nSELECT 1;\n/* \ndelimiter $$\n */ SELECT 2;"
    assert at_delimiter_lines(commented) == [commented]
    assert at_delimiter_lines("DELIMITER //\nSELECT '//;'//\nSELECT 2//\nDELIMITER ;\n"
                              "SELECT 3;\n") == ["\nSELECT '//;'", "\nSELECT 2", "\nSELECT 3;\n"]
