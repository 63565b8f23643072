"""Schema reads answered offline from the schema model: `sa.inspect(op.get_bind())`, the
`checkfirst=True` of SQLAlchemy's DDL, `bind.engine.url`, and what still needs a database."""

from __future__ import annotations

import textwrap
from pathlib import Path

import dbs
import pytest
import sqlc_project as sp
from click.testing import CliRunner
from helpers import REVISION, compile_body_of, compile_ops, script_source

from sqlcompile.cli import cli
from sqlcompile.config import load_config
from sqlcompile.dialects import get_dialect, known_dialects
from sqlcompile.errors import LiveDatabaseRequired
from sqlcompile.pipeline.render import load_project


def script(revision: str, down: str | None, upgrade: str, downgrade: str) -> str:
    """An Alembic-format script with the two bodies given."""

    def body(src: str) -> str:
        return textwrap.indent(textwrap.dedent(src).strip(), "    ")

    return (
        f'"""{revision}"""\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
        f"revision = {revision!r}\ndown_revision = {down!r}\n"
        "branch_labels = None\ndepends_on = None\n\n\n"
        f"def upgrade():\n{body(upgrade)}\n\n\ndef downgrade():\n{body(downgrade)}\n"
    )


# A history whose later revisions decide what to do by reading the schema, as scripts written
# to be re-runnable against databases in unknown states do.
HISTORY = {
    "a1_accounts.py": script("a1", None, """
        op.create_table(
            "accounts",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(80), nullable=False),
            sa.Column("status", sa.Enum("active", "closed", name="account_status"),
                      nullable=False, server_default="active"),
        )
    """, """
        op.drop_table("accounts")
        sa.Enum(name="account_status").drop(op.get_bind(), checkfirst=True)
    """),
    "b2_guarded.py": script("b2", "a1", """
        insp = sa.inspect(op.get_bind())
        if not insp.has_table("accounts"):  # created by a1: skipped
            op.create_table("accounts", sa.Column("id", sa.Integer, primary_key=True))
        if not insp.has_table("notes"):
            op.create_table(
                "notes",
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("account_id", sa.Integer, nullable=False),
                sa.Column("body", sa.Text),
            )
        assert insp.has_table("notes")  # what this script created counts at once
        op.execute("CREATE TABLE raw_made (id INTEGER)")
        assert "raw_made" in insp.get_table_names()  # raw SQL the model follows counts too
        if "email" not in [c["name"] for c in insp.get_columns("accounts")]:
            op.add_column("accounts", sa.Column("email", sa.String(200)))
        for _ in range(2):  # the second pass finds the index the first one made
            if not insp.has_index("accounts", "ix_accounts_name"):
                op.create_index("ix_accounts_name", "accounts", ["name"])
    """, """
        insp = sa.inspect(op.get_bind())
        if insp.has_index("accounts", "ix_accounts_name"):
            op.drop_index("ix_accounts_name", table_name="accounts")
        if "email" in [c["name"] for c in insp.get_columns("accounts")]:
            op.drop_column("accounts", "email")
        for name in ("raw_made", "notes", "never_made"):
            if insp.has_table(name):
                op.drop_table(name)
    """),
    "c3_keys.py": script("c3", "b2", """
        bind = op.get_bind()
        insp = sa.inspect(bind)
        for _ in range(2):  # the second pass finds the key the first one added
            if not any(fk["referred_table"] == "accounts"
                       for fk in insp.get_foreign_keys("notes")):
                op.create_foreign_key("fk_notes_account", "notes", "accounts",
                                      ["account_id"], ["id"])
        meta = sa.MetaData()
        sa.Table("accounts", meta, sa.Column("id", sa.Integer, primary_key=True))
        sa.Table("tags", meta, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("label", sa.String(40), nullable=False))
        meta.create_all(bind, checkfirst=True)  # accounts is there: only tags is created
        sa.Enum("active", "closed", name="account_status").create(bind, checkfirst=True)
        assert insp.get_pk_constraint("tags")["constrained_columns"] == ["id"]
    """, """
        bind = op.get_bind()
        insp = sa.inspect(bind)
        for _ in range(2):  # gone after the first: one DROP TABLE
            sa.Table("tags", sa.MetaData(), sa.Column("id", sa.Integer)).drop(
                bind, checkfirst=True)
        for fk in insp.get_foreign_keys("notes"):
            if fk["referred_table"] == "accounts":
                op.drop_constraint(fk["name"], "notes", type_="foreignkey")
    """),
    "d4_per_dialect.py": script("d4", "c3", """
        url = op.get_bind().engine.url
        op.create_table(f"made_for_{url.get_backend_name()}",
                        sa.Column("id", sa.Integer, primary_key=True))
        if str(url).startswith("postgresql"):
            op.execute("COMMENT ON TABLE accounts IS 'postgresql only'")
    """, """
        op.drop_table(f"made_for_{op.get_bind().engine.url.get_backend_name()}")
    """),
    "e5_enums.py": script("e5", "d4", """
        bind = op.get_bind()
        insp = sa.inspect(bind)
        if hasattr(insp, "get_enums"):  # where enum types are schema objects of their own
            existing = {e["name"] for e in insp.get_enums()}
            assert existing == {"account_status"}, existing
            if "priority" not in existing:
                sa.Enum("low", "high", name="priority").create(bind)
    """, """
        sa.Enum(name="priority").drop(op.get_bind(), checkfirst=True)
    """),
}


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("inspect")
    sp.write_history(root, HISTORY)
    sp.write_config(root, known_dialects())
    return root


def statements(path: Path) -> list[str]:
    """The statements of a rendered file, comments left out."""
    text = sp.sql_text(path)
    return [line for line in text.splitlines() if line and not line.startswith("--")]


def count(path: Path, fragment: str) -> int:
    return sum(fragment in line for line in statements(path))


@pytest.mark.parametrize("dialect", known_dialects())
def test_guards_compile_to_the_ddl_that_runs(history: Path, dialect: str) -> None:
    files = sp.render(history, dialect)
    by_rev = {sp.revision_of(p): p for p in files.upgrade}
    down = {sp.revision_of(p): p for p in files.downgrade}
    assert count(by_rev["b2"], "CREATE TABLE accounts") == 0
    assert count(by_rev["b2"], "CREATE TABLE notes") == 1
    assert count(by_rev["b2"], "ix_accounts_name") == 1
    assert count(by_rev["c3"], "CREATE TABLE tags") == 1
    assert count(by_rev["c3"], "CREATE TABLE accounts") == 0
    assert count(by_rev["d4"], f"CREATE TABLE made_for_{get_dialect(dialect).sa_dialect.name}") \
        == 1
    assert count(by_rev["d4"], "COMMENT ON TABLE") == (dialect == "postgresql")
    assert count(down["c3"], "DROP TABLE tags") == 1
    assert count(down["b2"], "DROP TABLE never_made") == 0
    enum_types = get_dialect(dialect) is get_dialect("postgresql")
    assert count(by_rev["c3"], "CREATE TYPE") == 0  # account_status exists since a1
    assert count(by_rev["e5"], "CREATE TYPE priority") == enum_types
    assert count(down["e5"], "DROP TYPE priority") == enum_types
    assert count(down["a1"], "DROP TYPE account_status") == enum_types


DBS = [("pg_db", "postgresql"), ("sqlite_db", "sqlite"), ("mariadb_db", "mariadb"),
       ("mariadb_db", "mysql")]


def columns(db: dbs.ScratchDB, table: str) -> list[str]:
    if isinstance(db, dbs.SQLiteDB):
        return sorted(r[1] for r in db.query(f"PRAGMA table_info({table})"))
    where = "table_schema = 'public'" if isinstance(db, dbs.PostgresDB) \
        else "table_schema = DATABASE()"
    return sorted(r[0] for r in db.query(
        f"SELECT column_name FROM information_schema.columns WHERE {where} "
        f"AND table_name = '{table}'"))


@pytest.mark.parametrize("db_fixture, dialect", DBS)
def test_guarded_history_applies_up_and_down(history: Path, db_fixture: str, dialect: str,
                                             request: pytest.FixtureRequest) -> None:
    db: dbs.ScratchDB = request.getfixturevalue(db_fixture)
    files = sp.render(history, dialect)
    for path in files.upgrade:
        sp.apply_ok(db, path)
    made_for = f"made_for_{get_dialect(dialect).sa_dialect.name}"
    assert sorted(db.tables()) == sorted(["accounts", "notes", "raw_made", "tags", made_for,
                                          sp.VERSION_TABLE])
    assert columns(db, "accounts") == ["email", "id", "name", "status"]
    if isinstance(db, dbs.PostgresDB):
        types = [r[0] for r in db.query("SELECT typname FROM pg_type t JOIN pg_namespace n "
                                        "ON n.oid = t.typnamespace WHERE t.typtype = 'e' "
                                        "AND n.nspname = 'public' ORDER BY 1")]
        assert types == ["account_status", "priority"]
    for path in reversed(files.downgrade):
        sp.apply_ok(db, path)
    assert db.tables() == [sp.VERSION_TABLE]
    if isinstance(db, dbs.PostgresDB):
        assert db.query("SELECT typname FROM pg_type WHERE typtype = 'e' AND typnamespace = "
                        "'public'::regnamespace") == []


# -- a replay of some revisions answers for those only -------------------------------------


def branch(name: str, other: str) -> str:
    return script(name, "r0", f"""
        insp = sa.inspect(op.get_bind())
        op.create_table("{name}_t", sa.Column("id", sa.Integer, primary_key=True))
        saw = "{name}_saw_{other}" if insp.has_table("{other}_t") else "{name}_alone"
        op.create_table(saw, sa.Column("id", sa.Integer, primary_key=True))
    """, f"""
        insp = sa.inspect(op.get_bind())
        for name in ("{name}_saw_{other}", "{name}_alone", "{name}_t"):
            if insp.has_table(name):
                op.drop_table(name)
    """)


def test_schema_at_a_branch_runs_its_scripts_against_that_replay(tmp_path: Path) -> None:
    """The model at one branch's head does not hold the other branch, and a script reading
    the model there gets that model, not the graph order's (nor does that answer leak into
    the files, which follow the graph order)."""
    sp.write_history(tmp_path, {
        "r0.py": script("r0", None, 'op.create_table("base_t", sa.Column("id", sa.Integer))',
                        'op.drop_table("base_t")'),
        "bx.py": branch("bx", "by"),
        "by.py": branch("by", "bx"),
    })
    project = load_project(load_config(cwd=tmp_path))
    dialect = get_dialect("postgresql")
    first, second = project.graph.order[1:]

    def names(revisions: list[str] | None) -> set[str]:
        return {key[1] for key in project.schema_at(dialect, revisions).tables}

    assert names([second]) == {"base_t", f"{second}_t", f"{second}_alone"}
    assert names(None) == {"base_t", f"{first}_t", f"{first}_alone", f"{second}_t",
                           f"{second}_saw_{first}"}
    assert names([second]) == {"base_t", f"{second}_t", f"{second}_alone"}
    steps = {up.script.revision: up for up, _ in project.graph.file_steps()}
    body = project.body(steps[second], dialect)
    sql = [s.sql for segment in body.segments for s in segment.statements if s.sql]
    assert any(f"CREATE TABLE {second}_saw_{first}" in s for s in sql), sql


# -- the inspector's answers ----------------------------------------------------------------


@pytest.mark.parametrize("dialect", known_dialects())
def test_inspector_answers_in_sqlalchemy_shapes(dialect: str, tmp_path: Path) -> None:
    src = """
        op.create_table(
            "parent", sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("code", sa.String(10), nullable=False, server_default="x",
                      comment="the code"),
            sa.UniqueConstraint("code", name="uq_parent_code"),
            sa.CheckConstraint("id > 0", name="ck_parent_id"),
        )
        op.create_table(
            "child", sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("parent_id", sa.Integer,
                      sa.ForeignKey("parent.id", name="fk_child_parent", ondelete="CASCADE")),
        )
        op.create_index("ix_child_parent", "child", ["parent_id"])
        insp = sa.inspect(op.get_bind())
        code = insp.get_columns("parent")[1]
        assert (code["name"], code["nullable"], code["comment"]) == ("code", False, "the code")
        assert isinstance(code["type"], sa.String) and code["type"].length == 10
        assert code["default"] is not None and "x" in code["default"]
        assert insp.get_columns("parent")[0]["autoincrement"] is True
        assert insp.get_pk_constraint("parent")["constrained_columns"] == ["id"]
        assert insp.get_unique_constraints("parent") == [
            {"name": "uq_parent_code", "column_names": ["code"]}]
        assert [c["name"] for c in insp.get_check_constraints("parent")] == ["ck_parent_id"]
        (fk,) = insp.get_foreign_keys("child")
        assert fk == {"name": "fk_child_parent", "constrained_columns": ["parent_id"],
                      "referred_schema": None, "referred_table": "parent",
                      "referred_columns": ["id"], "options": {"ondelete": "CASCADE"}}
        assert insp.get_indexes("child") == [
            {"name": "ix_child_parent", "unique": False, "column_names": ["parent_id"]}]
        assert insp.get_table_names() == ["child", "parent"]
        assert [n for n, _ in insp.get_sorted_table_and_fkc_names()] == ["parent", "child", None]
        assert sa.inspect(op.get_bind().engine).has_table("child")
        from sqlalchemy.engine.reflection import Inspector
        assert Inspector.from_engine(op.get_bind()).has_index("child", "ix_child_parent")
        try:
            insp.get_columns("missing")
        except sa.exc.NoSuchTableError:
            pass
        else:
            raise AssertionError("a table the model does not have is not there")
        child = sa.Table("child", sa.MetaData(), autoload_with=op.get_bind())
        op.execute(child.update().where(child.c.parent_id.is_(None)).values(parent_id=1))
    """
    with pytest.warns(sa_deprecation()):
        got = compile_ops(src, dialect, tmp_path=tmp_path)
    assert got[-1] == "UPDATE child SET parent_id=1 WHERE child.parent_id IS NULL"


def sa_deprecation() -> type[Warning]:
    import sqlalchemy as sa

    return sa.exc.SADeprecationWarning


def test_default_schema_is_the_unqualified_one(tmp_path: Path) -> None:
    src = """
        op.create_table("t", sa.Column("id", sa.Integer))
        insp = sa.inspect(op.get_bind())
        assert insp.default_schema_name == "public"
        assert insp.get_table_names(schema="public") == ["t"] == insp.get_table_names()
        assert insp.has_table("t", schema="public") and not insp.has_table("t", schema="other")
        op.execute("SELECT 1")
    """
    assert compile_ops(src, "postgresql", tmp_path=tmp_path) == ["CREATE TABLE t (\n\tid "
                                                                 "INTEGER\n)", "SELECT 1"]


@pytest.mark.parametrize("dialect", known_dialects())
def test_url_names_the_dialect_without_a_configured_one(dialect: str, tmp_path: Path) -> None:
    src = 'op.execute(sa.text("SELECT :u").bindparams(u=str(op.get_bind().engine.url)))'
    expected = f"{get_dialect(dialect).sa_dialect.name}://"
    assert compile_ops(src, dialect, tmp_path=tmp_path) == [f"SELECT '{expected}'"]


@pytest.mark.parametrize(("url", "dialect", "seen"), [
    ("postgresql+psycopg://app@db.example/app", "postgresql",
     "postgresql+psycopg://app@db.example/app"),
    ("postgresql+psycopg://app@db.example/app", "sqlite", "sqlite://"),
    ("mysql+pymysql://app@db.example/app", "mariadb", "mysql+pymysql://app@db.example/app"),
    ("mysql+pymysql://app@db.example/app", "mysql", "mysql+pymysql://app@db.example/app"),
    ("mariadb+pymysql://app@db.example/app", "mysql", "mysql://"),
])
def test_url_is_the_configured_one_where_it_reaches_the_target(
        url: str, dialect: str, seen: str, tmp_path: Path) -> None:
    src = """
        bind = op.get_bind()
        assert bind.url is bind.engine.url and bind.engine.dialect is bind.dialect
        op.execute(sa.text("SELECT :u").bindparams(u=str(bind.engine.url)))
    """
    assert compile_ops(src, dialect, tmp_path=tmp_path, url=url) == [f"SELECT '{seen}'"]


# -- what still needs a database --------------------------------------------------------------

NEEDS_SERVER = {
    "server_version": "if op.get_bind().dialect.server_version_info >= (12,):  # READ",
    "schemas": "names = sa.inspect(op.get_bind()).get_schema_names()  # READ",
    "views": "names = sa.inspect(op.get_bind()).get_view_names()  # READ",
    "domains": "names = sa.inspect(op.get_bind()).get_domains()  # READ",
    "dbapi_connection": "cursor = op.get_bind().connection.cursor()  # READ",
    "isolation": "level = op.get_bind().dialect.get_isolation_level(None)  # READ",
    "engine_raw": "raw = op.get_bind().engine.raw_connection()  # READ",
    "rows": 'n = op.get_bind().execute(sa.text("SELECT count(*) FROM t")).scalar()  # READ',
}


@pytest.mark.parametrize("case", sorted(NEEDS_SERVER))
def test_what_the_model_cannot_answer_needs_a_live_database(case: str, tmp_path: Path) -> None:
    body = NEEDS_SERVER[case] + ("\n    pass" if case == "server_version" else "")
    with pytest.raises(LiveDatabaseRequired, match="needs a live database") as info:
        compile_body_of(body, "postgresql", tmp_path=tmp_path)
    lines = script_source(body).splitlines()
    assert info.value.line == next(i for i, line in enumerate(lines, 1) if "# READ" in line)
    assert f"migrations/sql/postgresql/{REVISION}.upgrade.sql" in (info.value.hint or "")


def test_default_schema_of_a_connected_database_needs_one(tmp_path: Path) -> None:
    with pytest.raises(LiveDatabaseRequired, match="default schema"):
        compile_ops("name = sa.inspect(op.get_bind()).default_schema_name", "mysql",
                    tmp_path=tmp_path)


def test_reading_rows_in_a_history_fails_with_its_line(tmp_path: Path) -> None:
    reads = script("r2", "r1", """
        insp = sa.inspect(op.get_bind())
        assert insp.has_table("t")
        n = op.get_bind().execute(sa.text("SELECT count(*) FROM t")).scalar()  # READ
    """, "pass")
    sp.write_history(tmp_path, {
        "r1.py": script("r1", None, 'op.create_table("t", sa.Column("id", sa.Integer))',
                        'op.drop_table("t")'),
        "r2.py": reads,
    })
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / sp.CONFIG_NAME), "render"])
    assert result.exit_code == 2, result.stderr
    line = next(i for i, text in enumerate(reads.splitlines(), 1) if "# READ" in text)
    assert f"migrations/versions/r2.py:{line}:" in result.stderr
    assert "needs a live database" in result.stderr
    assert not (tmp_path / sp.OUTPUT_DIR).exists() or not any(
        (tmp_path / sp.OUTPUT_DIR).rglob("*.sql"))


def test_checkfirst_decides_indexes_types_and_drops(tmp_path: Path, pg_db: dbs.PostgresDB) -> None:
    sp.write_history(tmp_path, {
        "r1.py": script("r1", None, """
            op.create_table("t", sa.Column("id", sa.Integer), sa.Column("code", sa.String(5)))
            sa.Enum("a", "b", name="kind").create(op.get_bind())
        """, """
            op.drop_table("t")
            sa.Enum(name="kind").drop(op.get_bind())
        """),
        "r2.py": script("r2", "r1", """
            bind = op.get_bind()
            insp = sa.inspect(bind)
            t = sa.Table("t", sa.MetaData(), sa.Column("code", sa.String(5)))
            for _ in range(2):
                sa.Index("ix_t_code", t.c.code).create(bind, checkfirst=True)
            assert insp.has_type("kind") and not insp.has_type("other")
            assert [e["name"] for e in insp.get_enums(schema="*")] == ["kind"]
            sa.Enum("a", "b", name="kind").create(bind, checkfirst=True)
        """, """
            bind = op.get_bind()
            meta = sa.MetaData()
            t = sa.Table("t", meta, sa.Column("code", sa.String(5)))
            gone = sa.Table("gone", meta, sa.Column("id", sa.Integer))
            for _ in range(2):
                sa.Index("ix_t_code", t.c.code).drop(bind, checkfirst=True)
            meta.drop_all(bind, tables=[gone], checkfirst=True)
        """),
    })
    files = sp.render(tmp_path, "postgresql")
    up, down = files.upgrade[1], files.downgrade[1]
    assert count(up, "CREATE INDEX ix_t_code") == 1 and count(up, "CREATE TYPE") == 0
    assert count(down, "DROP INDEX ix_t_code") == 1 and count(down, "DROP TABLE") == 0
    for path in files.upgrade:
        sp.apply_ok(pg_db, path)
    for path in reversed(files.downgrade):
        sp.apply_ok(pg_db, path)
    assert pg_db.tables() == [sp.VERSION_TABLE]
