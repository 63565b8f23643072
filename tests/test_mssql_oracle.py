"""SQL Server and Oracle: no server here, so these check the SQL itself and sqlglot's view of it.

What the golden files cannot show: behaviour that needs the schema model (default constraint
names kept and dropped by name), client batch separators in generated and hand-written files,
and that every statement of the example is accepted by sqlglot (with the unvalidated ones
listed by kind).
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from helpers import load, statements_of, write_script

from sqlcompile.config import Config, load_config
from sqlcompile.dialects import get_dialect
from sqlcompile.pipeline.compiler import Statement, compile_recording, record, replay, split_sql
from sqlcompile.pipeline.output import format_statements
from sqlcompile.pipeline.render import load_project, render_files
from sqlcompile.pipeline.validate import Validator
from sqlcompile.schema.model import Schema

ROOT = Path(__file__).resolve().parent.parent

SETUP = """
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(255), nullable=False),
        sa.Column("note", sa.Text(), server_default="it's"),
        sa.Column("points", sa.Integer(), nullable=False, server_default="0"),
    )
"""


def compile_after_setup(body: str, dialect_name: str, tmp_path: Path) -> tuple[list[str], Schema]:
    """SQL of ``body`` compiled with the model SETUP leaves, and the model after ``body``."""
    dialect = get_dialect(dialect_name)
    schema = Schema(dialect)
    config = Config(root=tmp_path)
    for i, src in enumerate((SETUP, body)):
        folder = tmp_path / str(i)
        path = write_script(folder, src)
        script = load(path, Config(root=folder))
        recording = record(script, "upgrade", dialect, config)
        if i == 0:
            replay(recording, schema)
        else:
            sql = statements_of(compile_recording(recording, dialect, schema))
    return sql, schema


# -- SQL Server default constraints ---------------------------------------------------------


def test_mssql_names_defaults_in_the_ddl_and_the_model(tmp_path: Path) -> None:
    sql, schema = compile_after_setup(
        'op.add_column("accounts", sa.Column("level", sa.Integer(), nullable=False, '
        'server_default="1"))', "mssql", tmp_path)
    assert sql == ["ALTER TABLE accounts ADD level INTEGER NOT NULL "
                   "CONSTRAINT [DF_accounts_level] DEFAULT '1'"]
    table = schema.table("accounts")
    assert table is not None
    names = {c.name: c.default_name for c in table.columns}
    assert names == {"id": None, "email": None, "note": "DF_accounts_note",
                     "points": "DF_accounts_points", "level": "DF_accounts_level"}


def test_mssql_replaces_a_default_by_its_model_name_after_renames(tmp_path: Path) -> None:
    """The constraint keeps the name it was created with; the drop uses that name."""
    body = """
        op.rename_table("accounts", "clients")
        op.alter_column("clients", "note", new_column_name="remark")
        op.alter_column("clients", "remark", server_default="n/a")
    """
    sql, schema = compile_after_setup(body, "mssql", tmp_path)
    assert sql == [
        "EXEC sp_rename N'accounts', N'clients'",
        "EXEC sp_rename N'clients.note', N'remark', 'COLUMN'",
        "ALTER TABLE clients DROP CONSTRAINT [DF_accounts_note]",
        "ALTER TABLE clients ADD CONSTRAINT [DF_clients_remark] DEFAULT 'n/a' FOR remark",
    ]
    table = schema.table("clients")
    assert table is not None
    remark = table.column("remark")
    assert remark is not None and remark.default_name == "DF_clients_remark"


def test_mssql_drops_the_default_before_its_column_and_on_server_default_none(
    tmp_path: Path,
) -> None:
    body = """
        op.drop_column("accounts", "points")
        op.alter_column("accounts", "note", server_default=None)
    """
    sql, schema = compile_after_setup(body, "mssql", tmp_path)
    assert sql == [
        "ALTER TABLE accounts DROP CONSTRAINT [DF_accounts_points]",
        "ALTER TABLE accounts DROP COLUMN points",
        "ALTER TABLE accounts DROP CONSTRAINT [DF_accounts_note]",
    ]


def test_mssql_alter_column_restates_type_and_nullability_from_the_model(
    tmp_path: Path,
) -> None:
    sql, _ = compile_after_setup('op.alter_column("accounts", "email", nullable=True)',
                                 "mssql", tmp_path)
    assert sql == ["ALTER TABLE accounts ALTER COLUMN email VARCHAR(255) NULL"]
    sql, _ = compile_after_setup('op.alter_column("accounts", "email", type_=sa.String(320))',
                                 "mssql", tmp_path)
    assert sql == ["ALTER TABLE accounts ALTER COLUMN email VARCHAR(320) NOT NULL"]


def test_oracle_modify_states_only_what_changes(tmp_path: Path) -> None:
    body = 'op.alter_column("accounts", "email", nullable=True, server_default="x")'
    sql, _ = compile_after_setup(body, "oracle", tmp_path)
    assert sql == ["ALTER TABLE accounts MODIFY (email DEFAULT 'x' NULL)"]


# -- separators -----------------------------------------------------------------------------


def test_formatting_terminates_per_client() -> None:
    statements = [Statement("SELECT 1", ["a"]), Statement("BEGIN\n  NULL;\nEND;")]
    assert format_statements(statements, get_dialect("mssql")) == (
        "\n-- a\nSELECT 1;\nGO\n\nBEGIN\n  NULL;\nEND;;\nGO\n")
    assert format_statements(statements, get_dialect("oracle")) == (
        "\n-- a\nSELECT 1;\n\nBEGIN\n  NULL;\nEND;\n/\n")
    assert format_statements(statements, get_dialect("postgresql")) == (
        format_statements(statements))


def test_hand_written_mssql_file_splits_at_go_lines_then_semicolons() -> None:
    text = textwrap.dedent("""\
        UPDATE t SET a = 'x; y';
        IF 1 = 1 BEGIN SELECT 1; SELECT 2; END
        go
        CREATE VIEW v AS SELECT CASE WHEN a = 1 THEN 'go' END AS b FROM t
        GO
    """)
    assert [s.sql for s in split_sql(text, get_dialect("mssql"))] == [
        "UPDATE t SET a = 'x; y'",
        "IF 1 = 1 BEGIN SELECT 1; SELECT 2; END",
        "CREATE VIEW v AS SELECT CASE WHEN a = 1 THEN 'go' END AS b FROM t",
    ]


def test_hand_written_oracle_file_keeps_plsql_blocks_whole() -> None:
    text = textwrap.dedent("""\
        UPDATE t SET a = 1;
        DECLARE
          n NUMBER;
        BEGIN
          SELECT COUNT(*) INTO n FROM t;
          IF n > 0 THEN
            UPDATE t SET a = 2;
          END IF;
        END;
        /
        DELETE FROM t;
    """)
    statements = [s.sql for s in split_sql(text, get_dialect("oracle"))]
    assert statements[0] == "UPDATE t SET a = 1"
    assert statements[1].startswith("DECLARE") and statements[1].endswith("END IF;\nEND;")
    assert statements[2] == "DELETE FROM t"


@pytest.mark.parametrize(("dialect", "sql"), [
    ("mssql", "INSERT INTO t VALUES ('a\nGO\nb')"),
    ("oracle", "INSERT INTO t VALUES ('a\n/\nb')"),
])
def test_a_statement_the_client_would_split_fails_validation(dialect: str, sql: str) -> None:
    status, detail = Validator(get_dialect(dialect)).check(sql)
    assert status == "error" and "separator" in detail


def test_client_directives_and_plsql_are_unvalidated_never_validated() -> None:
    validator = Validator(get_dialect("oracle"))
    assert validator.check("WHENEVER SQLERROR EXIT SQL.SQLCODE ROLLBACK")[0] == "unvalidated"
    assert validator.check("SET DEFINE OFF")[0] == "unvalidated"
    assert validator.check("DECLARE n NUMBER; BEGIN NULL; END;")[0] == "unvalidated"
    assert validator.check("SET TRANSACTION READ WRITE")[0] != "error"


def test_hand_written_files_are_used_for_mssql_and_oracle(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(ROOT / "migrations", root / "migrations",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (root / "sqlcompile.toml").write_text(
        'dialects = ["mssql", "oracle"]\n', encoding="utf-8")
    first = "3f1c9a7e2b40"
    for dialect, text in {
        "mssql": "CREATE TABLE users (id INT NOT NULL)\nGO\nEXEC sp_rename N'users', N'u'\nGO\n",
        "oracle": "CREATE TABLE users (id INTEGER NOT NULL);\nBEGIN\n  NULL;\nEND;\n/\n",
    }.items():
        folder = root / "migrations" / "sql" / dialect
        folder.mkdir(parents=True)
        (folder / f"{first}.upgrade.sql").write_text(text, encoding="utf-8")
    project = load_project(load_config(root / "sqlcompile.toml"))
    for dialect, expected in {
        "mssql": ["CREATE TABLE users (id INT NOT NULL);\nGO\n",
                  "\nEXEC sp_rename N'users', N'u';\nGO\n"],
        "oracle": ["CREATE TABLE users (id INTEGER NOT NULL);\n", "\nBEGIN\n  NULL;\nEND;\n/\n"],
    }.items():
        rendered = render_files(project, dialect)
        assert rendered.report.errors == []
        text = next(t for p, t in rendered.files.items()
                    if p.parent.name == "upgrade" and p.name.startswith("0001_"))
        assert all(part in text for part in expected), text


# -- the example ----------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["mssql", "oracle"])
def test_example_is_accepted_by_sqlglot(dialect: str) -> None:
    """Every statement parses; the unvalidated ones are only the expected kinds."""
    project = load_project(load_config(ROOT / "pyproject.toml"))
    report = render_files(project, dialect).report
    assert report.errors == []
    assert report.statements == report.validated + report.unvalidated
    kinds = {item.sql.split()[0].upper() for item in report.unvalidated_items}
    if dialect == "mssql":
        # ADD CONSTRAINT ... DEFAULT ... FOR; sqlcmd's `:on error exit`
        assert kinds <= {"ALTER", ":ON"}
    else:
        # client directives, PL/SQL blocks (guard, version table), MODIFY
        assert kinds <= {"WHENEVER", "SET", "DECLARE", "BEGIN", "ALTER"}
        # Of what the migrations themselves say, most is validated (the framing's blocks
        # and directives are not: guard, lock, check).
        framing = sum(1 for item in report.unvalidated_items
                      if item.sql.split()[0].upper() in {"WHENEVER", "SET", "DECLARE"})
        assert report.validated > report.unvalidated - framing


def test_mssql_guard_is_a_select_sqlglot_parses_in_full() -> None:
    """The guard's abort (a failed CAST to INT quoting the message) is inside the parsed tree:
    a typo there would fail validation, not pass as an unknown alias."""
    import sqlalchemy as sa
    import sqlglot
    from sqlglot import exp

    dialect = get_dialect("mssql")
    table = sa.Table("sqlcompile_version", sa.MetaData(), sa.Column("version_num", sa.String))
    sql = dialect.guard(table, ["abc123"], "upgrade of 0002 abc123")
    tree = sqlglot.parse_one(sql, read="tsql")
    assert isinstance(tree, exp.Select)
    case = tree.expressions[0].find(exp.Case)  # the select list: CASE WHEN differs THEN CAST
    assert case is not None
    cast = case.find(exp.Cast)
    assert cast is not None and cast.to.sql("tsql") == "INTEGER"
    assert "but found [" in cast.sql("tsql") and "STRING_AGG" in sql
    assert tree.args["where"] is not None


def test_oracle_does_not_restate_a_nullability_the_column_has(tmp_path: Path) -> None:
    """ORA-01442/01451: MODIFY (c NOT NULL) on a NOT NULL column fails; the model knows."""
    from helpers import compile_body_of

    setup = 'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), ' \
            'sa.Column("c", sa.String(10), nullable=False))'
    same = compile_body_of('op.alter_column("t", "c", nullable=False)', "oracle",
                           tmp_path=tmp_path, setup=setup)
    assert statements_of(same) == []
    comments = [c for seg in same.segments for s in seg.statements for c in s.comments]
    assert "c is NOT NULL already (schema model): Oracle refuses to state it again" in comments
    changed = compile_body_of('op.alter_column("t", "c", nullable=True, type_=sa.String(20))',
                              "oracle", tmp_path=tmp_path / "2", setup=setup)
    assert statements_of(changed) == ["ALTER TABLE t MODIFY (c VARCHAR2(20 CHAR) NULL)"]
