"""Scripts written for Alembic compile unchanged, with no database and without Alembic itself."""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from helpers import REVISION, compile_body_of, compile_ops, script_source, statements_of

from sqlcompile.errors import CompileError, LiveDatabaseRequired, ScriptError
from sqlcompile.pipeline.compiler import Body

DIALECTS = ("postgresql", "sqlite")
ALEMBIC_MODULES = ("alembic", "alembic.op", "alembic.context")
CONTEXT = "from alembic import context"


def alembic_modules() -> dict[str, ModuleType | None]:
    return {name: sys.modules.get(name) for name in ALEMBIC_MODULES}


# -- importing op and context -----------------------------------------------------------------


def test_real_alembic_in_sys_modules_is_left_alone(tmp_path: Path) -> None:
    real = pytest.importorskip("alembic")
    import alembic.context  # noqa: F401  (the real modules, as an env.py run would load them)
    import alembic.op  # noqa: F401

    before = alembic_modules()
    statements = compile_ops(
        """
        op.execute("UPDATE t SET a = 1")
        if context.is_offline_mode():
            op.drop_table("t")
        """,
        "postgresql", tmp_path=tmp_path, imports=CONTEXT,
    )
    assert statements == ["UPDATE t SET a = 1", "DROP TABLE t"]
    after = alembic_modules()
    assert all(after[name] is before[name] for name in ALEMBIC_MODULES)
    assert sys.modules.get("alembic") is real


class _NoAlembic(importlib.abc.MetaPathFinder):
    """Makes `import alembic` fail as if Alembic were not installed."""

    def find_spec(self, fullname: str, path: object, target: object = None) -> None:
        if fullname == "alembic" or fullname.startswith("alembic."):
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None


@pytest.fixture
def alembic_not_installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in [n for n in sys.modules if n == "alembic" or n.startswith("alembic.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [_NoAlembic(), *sys.meta_path])
    with pytest.raises(ModuleNotFoundError):
        import alembic  # noqa: F401
    yield


@pytest.mark.usefixtures("alembic_not_installed")
def test_scripts_compile_without_alembic_installed(tmp_path: Path) -> None:
    before = alembic_modules()
    assert before == dict.fromkeys(ALEMBIC_MODULES)
    statements = compile_ops(
        """
        if context.is_offline_mode():
            op.drop_table("t")
        """,
        "postgresql", tmp_path=tmp_path, imports=CONTEXT,
    )
    assert statements == ["DROP TABLE t"]
    assert alembic_modules() == before  # no stand-in left behind
    with pytest.raises(ModuleNotFoundError):
        import alembic  # noqa: F401


def test_alembic_module_state_is_unchanged_after_compiling(tmp_path: Path) -> None:
    before = sys.modules.get("alembic")
    compile_ops('op.drop_table("t")', "sqlite", tmp_path=tmp_path, imports=CONTEXT)
    assert sys.modules.get("alembic") is before


# -- the offline context ----------------------------------------------------------------------


def test_dialect_name_branches_give_per_dialect_sql(tmp_path: Path) -> None:
    src = """
        if op.get_context().dialect.name == "postgresql":
            op.execute("SELECT 'pg'")
        else:
            op.execute("SELECT 'other'")
        op.execute("SELECT '%s'" % op.get_bind().dialect.name)
    """
    assert compile_ops(src, "postgresql", tmp_path=tmp_path / "pg") == [
        "SELECT 'pg'", "SELECT 'postgresql'"
    ]
    assert compile_ops(src, "sqlite", tmp_path=tmp_path / "lite") == [
        "SELECT 'other'", "SELECT 'sqlite'"
    ]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_context_is_offline(dialect: str, tmp_path: Path) -> None:
    src = """
        assert context.is_offline_mode() is True
        assert op.get_context().as_sql is True
        op.execute("SELECT 1")
    """
    assert compile_ops(src, dialect, tmp_path=tmp_path, imports=CONTEXT) == ["SELECT 1"]


def test_main_option_answers_from_config_url(tmp_path: Path) -> None:
    src = """
        url = op.get_context().config.get_main_option("sqlalchemy.url")
        same = context.config.get_main_option("sqlalchemy.url")
        op.execute(sa.text("SELECT :u, :s").bindparams(u=url, s=same))
    """
    url = "postgresql://app@db.example/app"
    statements = compile_ops(src, "postgresql", tmp_path=tmp_path, imports=CONTEXT, url=url)
    assert statements == [f"SELECT '{url}', '{url}'"]


def test_x_arguments_answer_from_config(tmp_path: Path) -> None:
    src = """
        args = context.get_x_argument(as_dictionary=True)
        listed = context.get_x_argument()
        op.execute(sa.text("SELECT :a, :n").bindparams(a=args["a"], n=len(listed)))
    """
    statements = compile_ops(src, "sqlite", tmp_path=tmp_path, imports=CONTEXT,
                             x_arguments=("a=1", "flag"))
    assert statements == ["SELECT '1', 2"]


def test_op_f_keeps_the_name(tmp_path: Path) -> None:
    src = """
        op.create_index(op.f("ix_t_a"), "t", ["a"])
        op.create_unique_constraint(op.f("uq_t_b"), "t", ["b"])
    """
    assert compile_ops(src, "postgresql", tmp_path=tmp_path) == [
        "CREATE INDEX ix_t_a ON t (a)",
        "ALTER TABLE t ADD CONSTRAINT uq_t_b UNIQUE (b)",
    ]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_inline_literal_in_an_update(dialect: str, tmp_path: Path) -> None:
    src = """
        t = sa.table("t", sa.column("a"), sa.column("b"))
        op.execute(
            t.update().where(t.c.b == op.inline_literal("x'y")).values(a=op.inline_literal(3))
        )
    """
    assert compile_ops(src, dialect, tmp_path=tmp_path) == ["UPDATE t SET a=3 WHERE t.b = 'x''y'"]


@pytest.mark.parametrize(("dialect", "literal"), [("postgresql", "true"), ("sqlite", "1")])
def test_untyped_boolean_renders_per_dialect(dialect: str, literal: str, tmp_path: Path) -> None:
    """Alembic fails here with "No literal value renderer is available"."""
    src = 'op.execute(sa.table("t", sa.column("confirmed")).update().values(confirmed=True))'
    assert compile_ops(src, dialect, tmp_path=tmp_path) == [f"UPDATE t SET confirmed={literal}"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_text_bindparams_render_exactly(dialect: str, tmp_path: Path) -> None:
    src = r"""op.execute(sa.text("UPDATE t SET a = :v").bindparams(v="it's 50%\t:x"))"""
    assert compile_ops(src, dialect, tmp_path=tmp_path) == ["UPDATE t SET a = 'it''s 50%\t:x'"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_raw_string_is_kept_verbatim(dialect: str, tmp_path: Path) -> None:
    sql = "UPDATE t SET a = :name, b = '%s', c = '%(x)s' WHERE d = ?"
    src = f"op.execute({sql!r})\nop.get_bind().execute({sql!r})"
    assert compile_ops(src, dialect, tmp_path=tmp_path) == [sql, sql]


def test_bind_execute_with_parameters_renders_each_row(tmp_path: Path) -> None:
    src = """op.get_bind().execute(sa.text("UPDATE t SET a = :a"), [{"a": 1}, {"a": "x'y"}])"""
    assert compile_ops(src, "postgresql", tmp_path=tmp_path) == [
        "UPDATE t SET a = 1", "UPDATE t SET a = 'x''y'"
    ]


def test_enum_create_on_the_bind(tmp_path: Path) -> None:
    src = 'sa.Enum("a", "b", name="mood").create(op.get_bind())'
    assert compile_ops(src, "postgresql", tmp_path=tmp_path / "pg") == [
        "CREATE TYPE mood AS ENUM ('a', 'b')"
    ]
    assert compile_ops(src, "sqlite", tmp_path=tmp_path / "lite") == []  # no enum types


# -- reads need a live database ---------------------------------------------------------------

READS = {
    "fetchall": """
        result = op.get_bind().execute(sa.text("SELECT 1"))
        rows = result.fetchall()  # READ
    """,
    "result_scalar": """
        result = op.get_bind().execute(sa.text("SELECT 1"))
        value = result.scalar()  # READ
    """,
    "connection_scalar": """
        bind = op.get_bind()
        value = bind.scalar(sa.text("SELECT 1"))  # READ
    """,
    "iteration": """
        result = op.get_bind().execute(sa.text("SELECT id FROM t"))
        for row in result:  # READ
            op.execute("UPDATE t SET a = 1")
    """,
    "rowcount": """
        result = op.get_bind().execute(sa.text("UPDATE t SET a = 1"))
        count = result.rowcount  # READ
    """,
    "inspect_views": """
        op.execute("SELECT 1")
        names = sa.inspect(op.get_bind()).get_view_names()  # READ
    """,
    "current_revision": """
        rev = op.get_context().get_current_revision()  # READ
    """,
}


def marker_line(source: str) -> int:
    lines = [i for i, line in enumerate(source.splitlines(), 1) if "# READ" in line]
    assert len(lines) == 1
    return lines[0]


@pytest.mark.parametrize("direction", ["upgrade", "downgrade"])
@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("read", sorted(READS))
def test_reads_raise_live_database_required(
    read: str, dialect: str, direction: str, tmp_path: Path
) -> None:
    with pytest.raises(LiveDatabaseRequired) as info:
        compile_body_of(READS[read], dialect, direction, tmp_path=tmp_path)
    exc = info.value
    script = tmp_path / "migrations" / "versions" / f"{REVISION}_test.py"
    path = Path(exc.path or "")
    assert (path if path.is_absolute() else tmp_path / path).resolve() == script.resolve()
    assert exc.line == marker_line(script.read_text(encoding="utf-8"))
    assert exc.line == marker_line(script_source(READS[read], direction))
    assert f"migrations/sql/{dialect}/{REVISION}.{direction}.sql" in (exc.hint or "")


def hand_write(root: Path, dialect: str, text: str, direction: str = "upgrade") -> str:
    rel = f"migrations/sql/{dialect}/{REVISION}.{direction}.sql"
    path = root / rel
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    return rel


def test_hand_written_sql_replaces_the_script(tmp_path: Path) -> None:
    rel = hand_write(tmp_path, "postgresql",
                     "UPDATE t SET a = 'x;y' WHERE b = 1;\n\n-- a comment\nDELETE FROM t;\n")
    body = compile_body_of(READS["fetchall"], "postgresql", tmp_path=tmp_path)
    assert body.hand_written == rel
    assert statements_of(body) == [
        "UPDATE t SET a = 'x;y' WHERE b = 1", "-- a comment\nDELETE FROM t"
    ]
    assert [s.kind for s in body.segments] == ["transaction"]
    # only for its dialect and direction: SQLite still runs the script
    with pytest.raises(LiveDatabaseRequired):
        compile_body_of(READS["fetchall"], "sqlite", tmp_path=tmp_path)


def test_compiled_body_is_not_hand_written(tmp_path: Path) -> None:
    body = compile_body_of('op.drop_table("t")', "postgresql", tmp_path=tmp_path)
    assert body.hand_written is None


# -- transaction boundaries -------------------------------------------------------------------


def kinds(body: Body) -> list[tuple[str, list[str]]]:
    return [(s.kind, [st.sql for st in s.statements if st.sql]) for s in body.segments]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_commit_starts_a_break_segment(dialect: str, tmp_path: Path) -> None:
    src = """
        op.execute("UPDATE t SET a = 1")
        op.get_bind().commit()
        op.execute("UPDATE t SET a = 2")
    """
    body = compile_body_of(src, dialect, tmp_path=tmp_path)
    assert kinds(body) == [("transaction", ["UPDATE t SET a = 1"]),
                           ("break", ["UPDATE t SET a = 2"])]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_autocommit_block_gives_an_autocommit_segment(dialect: str, tmp_path: Path) -> None:
    src = """
        op.execute("UPDATE t SET a = 1")
        with op.get_context().autocommit_block():
            op.execute("VACUUM")
        op.execute("UPDATE t SET a = 2")
    """
    body = compile_body_of(src, dialect, tmp_path=tmp_path)
    assert kinds(body) == [
        ("transaction", ["UPDATE t SET a = 1"]),
        ("autocommit", ["VACUUM"]),
        ("transaction", ["UPDATE t SET a = 2"]),
    ]


def test_nested_autocommit_block_is_a_script_error(tmp_path: Path) -> None:
    src = """
        with op.get_context().autocommit_block():
            with op.get_context().autocommit_block():  # NESTED
                op.execute("VACUUM")
    """
    with pytest.raises(ScriptError, match="cannot be nested") as info:
        compile_body_of(src, "postgresql", tmp_path=tmp_path)
    lines = script_source(src).splitlines()
    assert info.value.line == next(i for i, line in enumerate(lines, 1) if "# NESTED" in line)


# -- compatibility gaps found while writing these tests ---------------------------------------


def test_table_create_on_the_bind(tmp_path: Path) -> None:
    src = 'sa.Table("z", sa.MetaData(), sa.Column("a", sa.Integer)).create(op.get_bind())'
    assert compile_ops(src, "postgresql", tmp_path=tmp_path) == ["CREATE TABLE z (\n\ta INTEGER\n)"]


def test_enum_create_checkfirst_is_decided_by_the_model(tmp_path: Path) -> None:
    """The type is created when the model has none (tests/test_offline_inspect.py has more)."""
    src = 'sa.Enum("a", "b", name="mood").create(op.get_bind(), checkfirst=True)'
    assert compile_ops(src, "postgresql", tmp_path=tmp_path) == [
        "CREATE TYPE mood AS ENUM ('a', 'b')"
    ]


@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
def test_create_table_if_not_exists(tmp_path: Path) -> None:
    src = 'op.create_table("t", sa.Column("a", sa.Integer()), if_not_exists=True)'
    assert compile_ops(src, "postgresql", tmp_path=tmp_path) == [
        "CREATE TABLE IF NOT EXISTS t (\n\ta INTEGER\n)"
    ]


def test_batch_execute(tmp_path: Path) -> None:
    src = """
        with op.batch_alter_table("t") as batch_op:
            batch_op.execute("UPDATE t SET a = 1")
    """
    assert compile_ops(src, "postgresql", tmp_path=tmp_path) == ["UPDATE t SET a = 1"]


def test_add_column_inline_references(tmp_path: Path) -> None:
    src = """
        op.add_column("t", sa.Column("u_id", sa.Integer(), sa.ForeignKey("u.id")),
                      inline_references=True)
    """
    try:
        statements = compile_ops(src, "postgresql", tmp_path=tmp_path)
    except CompileError:
        return  # refusing with a clear message would do
    assert "REFERENCES u (id)" in "\n".join(statements)
