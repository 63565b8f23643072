"""Raw SQL end to end: the model follows op.execute() DDL, `check` lists what it cannot follow,
and `op.execute(sql, dialect=...)` / `sql_dialect` transpile for other targets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dbs
import pytest
import sqlalchemy as sa
import sqlglot
from click.testing import CliRunner, Result
from helpers import script_source
from sqlc_project import write_config

from sqlcompile.cli import cli
from sqlcompile.config import load_config
from sqlcompile.dialects import get_dialect, known_dialects
from sqlcompile.pipeline.render import load_project

A, B = "aaaaaaaaaaaa", "bbbbbbbbbbbb"
SCRIPT = Path("migrations") / "versions" / f"{A}_test.py"


def make_project(root: Path, upgrades: dict[str, str], dialects: tuple[str, ...],
                 imports: str = "") -> Path:
    """A project whose revisions (in the order given, each on the previous) run ``upgrades``."""
    root.mkdir(parents=True, exist_ok=True)
    write_config(root, dialects)
    folder = root / "migrations" / "versions"
    folder.mkdir(parents=True, exist_ok=True)
    parent = None
    for rev, body in upgrades.items():
        text = script_source(body, imports=imports, revision=rev)
        text = text.replace("down_revision = None", f"down_revision = {parent!r}")
        (folder / f"{rev}_test.py").write_text(text, encoding="utf-8")
        parent = rev
    return root


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(root / "sqlcompile.toml"), *args],
                              catch_exceptions=False)


def stream(root: Path, dialect: str) -> str:
    result = run(root, "render", "--stdout", "--dialect", dialect)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def statements(root: Path, dialect: str) -> list[str]:
    """The SQL compiled from the ops of the project's first upgrade (no framing)."""
    project = load_project(load_config(root / "sqlcompile.toml"))
    step = project.graph.steps("upgrade", project.graph.resolve("base"),
                               project.graph.resolve("heads"))[0]
    body = project.body(step, get_dialect(dialect))
    return [st.sql for segment in body.segments for st in segment.statements if st.sql]


# -- the model follows raw DDL: alter_column without existing_* -------------------------------

RAW_TABLE = '''
op.execute("CREATE TABLE notes (id integer PRIMARY KEY, "
           "title varchar(20) NOT NULL DEFAULT 'untitled', body text)")
op.alter_column("notes", "title", type_=sa.String(40))
op.alter_column("notes", "body", nullable=False)
'''


@pytest.mark.parametrize(("fixture", "dialect"), [
    ("pg_db", "postgresql"), ("sqlite_db", "sqlite"), ("mariadb_db", "mariadb"),
])
def test_alter_column_on_a_table_created_by_raw_sql(
        tmp_path: Path, request: pytest.FixtureRequest, fixture: str, dialect: str) -> None:
    if dialect not in known_dialects():
        pytest.skip(f"the {dialect} target is not available in this tree")
    root = make_project(tmp_path / "p", {A: RAW_TABLE}, (dialect,))
    db: dbs.ScratchDB = request.getfixturevalue(fixture)
    sql = stream(root, dialect)
    dbs.apply_ok(db, sql)
    engine = sa.create_engine(db.url)
    try:
        found = {c["name"]: c for c in sa.inspect(engine).get_columns("notes")}
    finally:
        engine.dispose()
    title, body = found["title"], found["body"]
    assert (getattr(title["type"], "length", None), title["nullable"]) == (40, False)
    assert "untitled" in str(title["default"])  # the default survives the type change
    assert body["nullable"] is False
    project = load_project(load_config(root / "sqlcompile.toml"))
    final = project.schema_at(get_dialect(dialect))
    assert final.incomplete == []
    notes = final.table("notes")
    assert notes is not None
    assert [(c.name, c.nullable, c.default) for c in notes.columns] == [
        ("id", False, None), ("title", False, "'untitled'"), ("body", False, None)]


def test_postgresql_alter_column_gets_existing_values_from_the_followed_model(
        tmp_path: Path) -> None:
    root = make_project(tmp_path, {A: RAW_TABLE}, ("postgresql",))
    assert statements(root, "postgresql") == [
        "CREATE TABLE notes (id integer PRIMARY KEY, title varchar(20) NOT NULL DEFAULT "
        "'untitled', body text)",
        "ALTER TABLE notes ALTER COLUMN title TYPE VARCHAR(40)",
        "ALTER TABLE notes ALTER COLUMN body SET NOT NULL",
    ]
    project = load_project(load_config(root / "sqlcompile.toml"))
    dialect = get_dialect("postgresql")
    step = project.graph.steps("upgrade", project.graph.resolve("base"),
                               project.graph.resolve("heads"))[0]
    project.body(step, dialect)
    model = project.state(dialect, 0)
    ops = []
    for item in project.recording(step.script, "upgrade", dialect).ops:
        ops.append(item.op.completed(model))
        ops[-1].apply(model)
    title = ops[1]
    assert (str(title.existing_type), title.existing_nullable,
            title.existing_server_default.text) == ("VARCHAR(20)", False, "'untitled'")


# -- `sqlcompile check` lists what the model cannot follow -----------------------------------


def test_check_warns_about_raw_sql_the_model_cannot_follow(tmp_path: Path) -> None:
    root = make_project(tmp_path, {
        A: 'op.execute("CREATE TABLE t (id int PRIMARY KEY)")',
        B: 'op.execute("CREATE TABLE c AS SELECT id FROM t")',
    }, ("postgresql", "sqlite"))
    assert run(root, "render").exit_code == 0
    result = run(root, "check")
    assert result.exit_code == 0, result.stderr
    warnings = [ln for ln in result.stderr.splitlines() if ln.startswith("warning:")]
    assert warnings == [
        f"warning: {d}: schema model may be incomplete after revision {B}: raw SQL the model "
        "does not follow: CREATE TABLE c AS SELECT id FROM t" for d in ("postgresql", "sqlite")
    ]
    assert "(2 schema model warning(s) above)" in result.stderr
    strict = run(root, "check", "--strict")
    assert strict.exit_code == 1
    assert f"error: postgresql: schema model may be incomplete after revision {B}" in (
        strict.stderr)
    assert "check failed (--strict)" in strict.stderr


def test_check_is_quiet_when_the_model_follows_everything(tmp_path: Path) -> None:
    root = make_project(tmp_path, {A: RAW_TABLE}, ("postgresql",))
    assert run(root, "render").exit_code == 0
    for args in (("check",), ("check", "--strict")):
        result = run(root, *args)
        assert result.exit_code == 0, result.stderr
        assert "warning" not in result.stderr and "incomplete" not in result.stderr


# -- op.execute(sql, dialect=...) and sql_dialect ---------------------------------------------

WRITTEN = "SELECT a::int, b FROM t WHERE b ILIKE 'x%' AND c = :name"
EXPECTED = {
    "sqlite": "SELECT CAST(a AS INTEGER), b FROM t WHERE LOWER(b) LIKE LOWER('x%') AND c = :name",
    "mysql": "SELECT CAST(a AS SIGNED), b FROM t WHERE LOWER(b) LIKE LOWER('x%') AND c = :name",
    "mariadb": "SELECT CAST(a AS SIGNED), b FROM t WHERE LOWER(b) LIKE LOWER('x%') AND c = :name",
}


def compiled(tmp_path: Path, body: str, dialect: str, imports: str = "") -> list[str]:
    root = make_project(tmp_path / dialect, {A: body}, (dialect,), imports=imports)
    return statements(root, dialect)


@pytest.mark.parametrize("dialect", [d for d in known_dialects() if d != "postgresql"])
def test_execute_with_dialect_is_transpiled_for_each_target(tmp_path: Path,
                                                             dialect: str) -> None:
    [statement] = compiled(tmp_path, f'op.execute("{WRITTEN}", dialect="postgresql")', dialect)
    target = get_dialect(dialect)
    if dialect in EXPECTED:
        assert statement == EXPECTED[dialect]
    else:  # a target added later: sqlglot's rewrite, which it can read back
        assert sqlglot.parse_one(statement, read=target.sqlglot_name) is not None
    assert ":name" in statement  # `:name` stays as written, not the target's paramstyle


@pytest.mark.parametrize("written", ["postgresql", "postgres"])  # ours, and sqlglot's name
def test_execute_in_the_targets_own_dialect_is_byte_identical(tmp_path: Path,
                                                                written: str) -> None:
    sql = "UPDATE t SET a = 'x\\ty'  ,  b = :name WHERE c = E'\\\\n'"
    [statement] = compiled(tmp_path, f'op.execute("""{sql};""", dialect="{written}")',
                           "postgresql")
    assert statement == sql.replace("\\t", "\t").replace("\\\\", "\\")


def test_script_level_sql_dialect_applies_to_every_string(tmp_path: Path) -> None:
    body = f'op.execute("{WRITTEN}")\nop.execute("SELECT 1 WHERE true")'
    statements = compiled(tmp_path, body, "sqlite", imports='sql_dialect = "postgresql"')
    assert statements == [EXPECTED["sqlite"], "SELECT 1 WHERE TRUE"]


def test_text_construct_is_transpiled_and_keeps_its_values(tmp_path: Path) -> None:
    body = ('op.execute(sa.text("UPDATE t SET a = :v WHERE b ILIKE \'x%\'")'
            '.bindparams(v="it\'s"), dialect="postgresql")')
    assert compiled(tmp_path, body, "sqlite") == [
        "UPDATE t SET a = 'it''s' WHERE LOWER(b) LIKE LOWER('x%')"]
    assert compiled(tmp_path / "pg", body, "postgresql") == [
        "UPDATE t SET a = 'it''s' WHERE b ILIKE 'x%'"]


@pytest.mark.parametrize(("sql", "message"), [
    ("SELECT FROM WHERE (((", "sqlglot cannot parse this postgresql SQL"),
    ("DO $$ BEGIN PERFORM 1; END $$", "sqlglot does not understand this postgresql statement"),
    ("SELECT 1; SELECT 2", "op.execute() with dialect= takes one statement; found 2"),
])
def test_execute_that_cannot_be_transpiled_is_an_error(tmp_path: Path, sql: str,
                                                        message: str) -> None:
    body = f'op.execute("{sql}", dialect="postgresql")'
    root = make_project(tmp_path, {A: body}, ("sqlite",))
    result = run(root, "render")
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"error: {SCRIPT.as_posix()}:")
    assert "execute cannot be compiled for SQLite" in first and message in first
    assert "hint: write the statement for this dialect" in result.stderr


def test_unknown_source_dialect_is_an_error(tmp_path: Path) -> None:
    root = make_project(tmp_path, {A: 'op.execute("SELECT 1", dialect="postgress")'},
                        ("sqlite",))
    result = run(root, "render")
    assert result.exit_code == 2
    assert "unknown SQL dialect 'postgress'" in result.stderr


def test_transpiled_ddl_is_followed_by_the_model(tmp_path: Path) -> None:
    ddl = ("CREATE TABLE ev (id serial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), "
           "tag varchar(10))")
    root = make_project(tmp_path, {A: f'op.execute("{ddl}", dialect="postgresql")'},
                        ("postgresql", "sqlite"))
    project = load_project(load_config(root / "sqlcompile.toml"))
    shapes: dict[str, Any] = {}
    for name in ("postgresql", "sqlite"):
        final = project.schema_at(get_dialect(name))
        assert final.incomplete == []
        table = final.table("ev")
        assert table is not None
        shapes[name] = [(c.name, c.nullable) for c in table.columns]
    assert shapes["postgresql"] == shapes["sqlite"] == [
        ("id", False), ("at", False), ("tag", True)]

