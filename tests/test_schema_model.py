"""The schema model: replaying ops, what it fills in for scripts, and `sqlcompile schema`."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import sqlc_project as sp
from helpers import load, write_script

from sqlcompile.config import Config, load_config
from sqlcompile.dialects import get_dialect
from sqlcompile.ops.base import IrreversibleOperation
from sqlcompile.ops.constraint_ops import DropConstraint
from sqlcompile.ops.index_ops import CreateIndex, DropIndex
from sqlcompile.ops.table_ops import AddColumn, AlterColumn, CreateTable, DropColumn, DropTable
from sqlcompile.pipeline.compiler import record, replay
from sqlcompile.pipeline.render import load_project
from sqlcompile.schema.model import Schema, TableModel

BASE = """
op.create_table(
    "authors",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, server_default="anon",
              comment="pen name"),
)
op.create_table(
    "books",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("author_id", sa.Integer, sa.ForeignKey("authors.id", ondelete="CASCADE",
                                                     name="fk_books_author")),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("isbn", sa.String(13)),
    sa.UniqueConstraint("isbn", name="uq_books_isbn"),
    sa.CheckConstraint("length(title) > 0", name="ck_books_title"),
    comment="the catalogue",
)
op.create_index("ix_books_title", "books", ["title"])
"""


def replayed(tmp_path: Path, body: str, dialect: str = "postgresql") -> tuple[Schema, list]:
    """The model after running ``body`` as an upgrade, and the ops it recorded as the model
    completed them (each from the model before it)."""
    path = write_script(tmp_path, textwrap.dedent(BASE) + textwrap.dedent(body))
    config = Config(root=tmp_path.resolve())
    script = load(path, config)
    schema = Schema(get_dialect(dialect))
    schema.revision = script.revision
    recording = record(script, "upgrade", get_dialect(dialect), config)
    ops = []
    for item in recording.ops:
        ops.append(item.op.completed(schema))
        ops[-1].apply(schema)
    check = Schema(get_dialect(dialect))
    replay(recording, check)  # what the pipeline replays is the same model
    assert [t for t in check.sorted_tables()] == [t for t in schema.sorted_tables()]
    return schema, ops


def table(schema: Schema, name: str) -> TableModel:
    found = schema.table(name)
    assert found is not None, name
    return found


def test_create_table_is_modelled_in_full(tmp_path: Path) -> None:
    schema, _ = replayed(tmp_path, "")
    books = table(schema, "books")
    assert books.column_names() == ["id", "author_id", "title", "isbn"]
    assert books.primary_key is not None and books.primary_key.columns == ("id",)
    (fk,) = books.foreign_keys
    assert (fk.name, fk.columns, fk.ref_table, fk.ref_columns, fk.ondelete) == (
        "fk_books_author", ("author_id",), "authors", ("id",), "CASCADE")
    assert [(u.name, u.columns) for u in books.uniques] == [("uq_books_isbn", ("isbn",))]
    assert [(c.name, c.sqltext) for c in books.checks] == [("ck_books_title", "length(title) > 0")]
    assert [(i.name, i.columns, i.unique) for i in books.indexes] == [
        ("ix_books_title", ("title",), False)]
    assert books.comment == "the catalogue"
    name = table(schema, "authors").column("name")
    assert name is not None
    assert (name.nullable, name.default, name.comment) == (False, "'anon'", "pen name")
    assert str(name.type) == "VARCHAR(100)"
    assert schema.incomplete == []


CHANGES = [
    # (body, check on the model)
    ('op.add_column("books", sa.Column("pages", sa.Integer, nullable=False, '
     'server_default="0"))',
     lambda s: table(s, "books").column("pages") is not None
     and table(s, "books").column("pages").default == "'0'"),  # type: ignore[union-attr]
    ('op.alter_column("books", "title", type_=sa.String(300), nullable=True)',
     lambda s: str(table(s, "books").column("title").type) == "VARCHAR(300)"  # type: ignore[union-attr]
     and table(s, "books").column("title").nullable),  # type: ignore[union-attr]
    ('op.alter_column("books", "title", new_column_name="headline")',
     lambda s: table(s, "books").column("title") is None
     and table(s, "books").indexes[0].columns == ("headline",)),
    ('op.alter_column("authors", "name", server_default=None, comment=None)',
     lambda s: table(s, "authors").column("name").default is None  # type: ignore[union-attr]
     and table(s, "authors").column("name").comment is None),  # type: ignore[union-attr]
    ('op.rename_table("authors", "writers")',
     lambda s: s.table("authors") is None and table(s, "books").foreign_keys[0].ref_table
     == "writers"),
    ('op.drop_column("books", "title")',
     lambda s: table(s, "books").column("title") is None and table(s, "books").indexes == ()),
    ('op.drop_index("ix_books_title")', lambda s: table(s, "books").indexes == ()),
    ('op.drop_constraint("uq_books_isbn", "books")', lambda s: table(s, "books").uniques == ()),
    ('op.drop_constraint("fk_books_author", "books", type_="foreignkey")',
     lambda s: table(s, "books").foreign_keys == ()),
    ('op.create_unique_constraint("uq_books_title", "books", ["title"])',
     lambda s: ("uq_books_title", ("title",)) in [(u.name, u.columns)
                                                  for u in table(s, "books").uniques]),
    ('op.create_index("ix_lower", "books", [sa.text("lower(title)")], unique=True, '
     'postgresql_where=sa.text("isbn IS NOT NULL"))',
     lambda s: [(i.parts[0].text, i.parts[0].expression, i.unique, dict(i.options))
                for i in table(s, "books").indexes if i.name == "ix_lower"]
     == [("lower(title)", True, True, {"postgresql_where": "isbn IS NOT NULL"})]),
    ('op.create_table_comment("authors", "people who write")',
     lambda s: table(s, "authors").comment == "people who write"),
    ('op.drop_table_comment("books")', lambda s: table(s, "books").comment is None),
    ('op.drop_table("books")', lambda s: s.table("books") is None),
    ('op.add_column("books", sa.Column("pages", sa.Integer, '
     'sa.CheckConstraint("pages > 0", name="ck_pages")))',
     lambda s: [c.name for c in table(s, "books").checks] == ["ck_books_title", "ck_pages"]),
    ('op.create_primary_key("pk_x", "books", ["isbn"])',
     lambda s: table(s, "books").primary_key.columns == ("isbn",)  # type: ignore[union-attr]
     and not table(s, "books").column("isbn").nullable),  # type: ignore[union-attr]
]


@pytest.mark.parametrize(("body", "check"), CHANGES, ids=[c[0][3:40] for c in CHANGES])
def test_each_op_changes_the_model(tmp_path: Path, body: str, check: object) -> None:
    schema, _ = replayed(tmp_path, body)
    assert callable(check) and check(schema)
    assert schema.incomplete == []


def test_the_model_fills_in_what_the_script_left_out(tmp_path: Path) -> None:
    """Drops become reversible and alter_column gets its existing_* from the model, in new
    ops: the recorded ones stay as the script made them."""
    path = write_script(tmp_path, textwrap.dedent(BASE) + textwrap.dedent("""
        op.alter_column("authors", "name", type_=sa.Text)
        op.drop_column("books", "isbn")
        op.drop_index("ix_books_title")
        op.drop_constraint("ck_books_title", "books")
        op.drop_table("books")
    """))
    config = Config(root=tmp_path.resolve())
    dialect = get_dialect("postgresql")
    recording = record(load(path, config), "upgrade", dialect, config)
    recorded = [item.op for item in recording.ops]
    schema = Schema(dialect)
    ops, befores = [], []
    for op in recorded:
        befores.append(schema.copy())
        ops.append(op.completed(schema))
        ops[-1].apply(schema)
    alter = next(op for op in ops if isinstance(op, AlterColumn))
    assert str(alter.existing_type) == "VARCHAR(100)"
    assert alter.existing_nullable is False and alter.existing_comment == "pen name"
    assert alter.existing_server_default is not None
    assert str(alter.existing_server_default.text) == "'anon'"
    back = alter.reverse()
    assert isinstance(back, AlterColumn) and str(back.type_) == "VARCHAR(100)"
    original = next(op for op in recorded if isinstance(op, AlterColumn))
    assert original is not alter and original.existing_type is None  # never written into

    i = next(i for i, op in enumerate(ops) if isinstance(op, DropColumn))
    assert ops[i].column is None  # built from the model before it, when reversed
    add_back = ops[i].reverse(befores[i])
    assert isinstance(add_back, AddColumn) and str(add_back.column.type) == "VARCHAR(13)"
    with pytest.raises(IrreversibleOperation):
        ops[i].reverse()
    drop_index = next(op for op in ops if isinstance(op, DropIndex))
    assert drop_index.table_name == "books"
    assert isinstance(drop_index.reverse(), CreateIndex)
    assert next(op for op in recorded if isinstance(op, DropIndex)).table_name is None
    drop_check = next(op for op in ops if isinstance(op, DropConstraint))
    assert drop_check.type_ == "check"
    assert drop_check.reverse().describe() == "create_check_constraint ck_books_title on books"
    i = next(i for i, op in enumerate(ops) if isinstance(op, DropTable))
    create = ops[i].reverse(befores[i])
    assert isinstance(create, CreateTable)
    assert [c.name for c in create.table.columns] == ["id", "author_id", "title"]


def test_unknown_tables_mark_the_model_incomplete(tmp_path: Path) -> None:
    schema, _ = replayed(tmp_path, 'op.add_column("ghosts", sa.Column("x", sa.Integer))')
    assert schema.incomplete == [
        f"schema model may be incomplete after revision {'a' * 12}: add_column ghosts.x names "
        "table ghosts, which the history never created"
    ]


def test_adding_a_column_the_model_has_marks_it_incomplete(tmp_path: Path) -> None:
    schema, _ = replayed(tmp_path, 'op.add_column("books", sa.Column("title", sa.Text))')
    assert table(schema, "books").column_names() == ["id", "author_id", "title", "isbn"]
    assert schema.incomplete == [
        f"schema model may be incomplete after revision {'a' * 12}: add_column books.title: "
        "the model already has this column"
    ]


def test_a_self_referencing_column_adds_only_itself(tmp_path: Path) -> None:
    schema, _ = replayed(tmp_path, 'op.add_column("books", sa.Column("sequel_id", sa.Integer, '
                                   'sa.ForeignKey("books.id", name="fk_sequel")))')
    books = table(schema, "books")
    assert books.column_names() == ["id", "author_id", "title", "isbn", "sequel_id"]
    assert [(f.name, f.ref_table) for f in books.foreign_keys] == [
        ("fk_books_author", "authors"), ("fk_sequel", "books")]


def test_snapshots_are_independent(tmp_path: Path) -> None:
    schema, _ = replayed(tmp_path, "")
    before = schema.copy()
    schema.remove("books")
    schema.put(TableModel("other", None))
    assert before.table("books") is not None and before.table("other") is None


# -- `sqlcompile schema` and schema.sql ---------------------------------------------------------

def test_schema_command_prints_the_model_as_ddl_at_any_revision(tmp_path: Path) -> None:
    root = sp.copy_example(tmp_path)
    out, err = sp.run_cli(root, "schema", "--dialect", "postgresql")
    text = out.decode()
    assert text.startswith("-- Generated by sqlcompile")
    assert "CREATE TABLE order_items (" in text and "CREATE TABLE users (" in text
    # Referenced tables come first.
    assert text.index("CREATE TABLE users (") < text.index("CREATE TABLE orders (")
    assert text.index("CREATE TABLE books (") < text.index("CREATE TABLE order_items (")
    assert "CONCURRENTLY" not in text  # how an index was built is not part of the schema

    first = sorted((root / "migrations" / "versions").glob("3f1c*.py"))[0].name[:12]
    early, _ = sp.run_cli(root, "schema", "--dialect", "sqlite", "--at", first)
    assert early.decode().count("CREATE TABLE") == 1
    assert f"-- schema at: {first}" in early.decode()
    empty, _ = sp.run_cli(root, "schema", "--at", "base")
    assert "CREATE" not in empty.decode()


def test_render_writes_schema_sql_matching_the_schema_command(tmp_path: Path) -> None:
    root = sp.copy_example(tmp_path)
    sp.run_cli(root, "render")
    for dialect in sp.DIALECTS:
        written = (root / sp.OUTPUT_DIR / dialect / "schema.sql").read_bytes()
        printed, _ = sp.run_cli(root, "schema", "--dialect", dialect)
        assert written == printed


def test_schema_sql_applies_and_matches_the_migrated_database(tmp_path: Path) -> None:
    """schema.sql creates the same tables as the migrations (SQLite, checked in full by
    test_schema_reflect for the migrated side)."""
    import sqlite3

    root = sp.copy_example(tmp_path)
    sp.run_cli(root, "render")
    conn = sqlite3.connect(":memory:")
    conn.executescript((root / sp.OUTPUT_DIR / "sqlite" / "schema.sql").read_text("utf-8"))
    names = sorted(r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE "
                                              "type = 'table'"))
    project = load_project(load_config(cwd=root))
    assert names == sorted(t.name for t in project.schema_at(get_dialect("sqlite"))
                           .sorted_tables())


def test_schema_of_a_cycle_adds_the_keys_afterwards(tmp_path: Path) -> None:
    schema, _ = replayed(tmp_path, """
        op.add_column("authors", sa.Column("best_book_id", sa.Integer))
        op.create_foreign_key("fk_authors_best_book", "authors", "books", ["best_book_id"],
                              ["id"])
    """)
    from sqlcompile.pipeline.printer import schema_statements

    sql = [s.sql for s in schema_statements(schema) if s.sql]
    assert sql[-1].startswith("ALTER TABLE") and "FOREIGN KEY" in sql[-1]


def test_index_lookup_follows_renames_and_drops(tmp_path: Path) -> None:
    schema, ops = replayed(tmp_path, """
        op.rename_table("books", "titles")
        op.drop_index("ix_books_title")
        op.create_index("ix_again", "titles", ["isbn"])
        op.drop_table("titles")
    """)
    drop = next(op for op in ops if isinstance(op, DropIndex))
    assert drop.table_name == "titles"  # found through the renamed table
    assert schema.find_index("ix_again") is None and schema.find_index("ix_books_title") is None
    assert schema.incomplete == []


def test_models_at_any_revision_in_any_order_equal_a_fresh_replay(tmp_path: Path) -> None:
    """Checkpoints and copy-on-write snapshots: walking back and forth gives the same models
    as replaying from nothing."""
    import sys

    from sqlcompile.pipeline.printer import schema_statements

    sys.path.insert(0, str(sp.REPO / "bench"))
    from gen_history import generate

    generate(tmp_path, revisions=150, seed=5)
    dialect = get_dialect("postgresql")

    def ddl(schema: Schema) -> list[str]:
        return [s.sql for s in schema_statements(schema)]

    fresh = load_project(load_config(cwd=tmp_path))
    expected = {}
    for i in (0, 1, 63, 64, 65, 100, 150):
        revisions = fresh.graph.order[:i]
        expected[i] = ddl(fresh.schema_at(dialect, revisions) if revisions else Schema(dialect))
    project = load_project(load_config(cwd=tmp_path))
    for i in (150, 100, 65, 1, 64, 0, 63, 150):  # descending, then jumping around
        assert ddl(project.state(dialect, i)) == expected[i], i


def test_triggers_from_raw_sql_are_kept_verbatim_and_forgotten_on_renames() -> None:
    from sqlcompile.sources.raw import apply_sql

    schema = Schema(get_dialect("sqlite"))
    schema.revision = "r1"
    apply_sql(schema, "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, n INTEGER)")
    body = "CREATE TRIGGER tr_a AFTER UPDATE OF a ON t\nBEGIN\n  UPDATE t SET n = n + 1;\nEND"
    apply_sql(schema, body + ";")
    apply_sql(schema, "CREATE TEMP TRIGGER tr_tmp AFTER INSERT ON t BEGIN SELECT 1; END")
    apply_sql(schema, "CREATE TRIGGER tr_b AFTER INSERT ON T BEGIN SELECT 1; END")
    assert [(tr.name, tr.sql) for tr in table(schema, "t").triggers] == [
        ("tr_a", body), ("tr_b", "CREATE TRIGGER tr_b AFTER INSERT ON T BEGIN SELECT 1; END")]
    apply_sql(schema, "DROP TRIGGER IF EXISTS tr_b")
    assert [tr.name for tr in table(schema, "t").triggers] == ["tr_a"]
    assert schema.incomplete == []

    from sqlcompile.ops.table_ops import AlterColumn, RenameTable

    AlterColumn("t", "n", new_column_name="count").apply(schema)  # tr_a names n
    assert table(schema, "t").triggers == ()
    assert schema.incomplete == [
        "schema model may be incomplete after revision r1: trigger(s) tr_a of table t: column "
        "n was renamed; the database rewrites their SQL, the model no longer holds them"]
    apply_sql(schema, "CREATE TRIGGER tr_c AFTER INSERT ON t BEGIN SELECT 1; END")
    RenameTable("t", "u").apply(schema)
    assert table(schema, "u").triggers == () and len(schema.incomplete) == 2


def test_create_trigger_is_unvalidated_never_an_error() -> None:
    from sqlcompile.pipeline.validate import UNVALIDATED, VALID, Validator

    for name in ("sqlite", "mysql"):
        check = Validator(get_dialect(name)).check(
            "CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW BEGIN UPDATE t SET a = 1; END")
        assert check == (UNVALIDATED, "a trigger, which sqlglot does not parse")
    # PostgreSQL's own parser reads triggers (in its syntax), so they are validated there.
    found = Validator(get_dialect("postgresql")).verdict(
        "CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION touch()")
    assert (found.status, found.sqlglot) == (VALID, UNVALIDATED)


def test_a_self_reference_follows_its_table_on_rename(tmp_path: Path) -> None:
    schema, _ = replayed(tmp_path, """
        op.add_column("books", sa.Column("sequel_id", sa.Integer, sa.ForeignKey("books.id",
                                                                             name="fk_sequel")))
        op.rename_table("books", "titles")
    """)
    assert sorted((f.name, f.ref_table) for f in table(schema, "titles").foreign_keys) == [
        ("fk_books_author", "authors"), ("fk_sequel", "titles")]


def test_ops_naming_the_default_schema_change_the_unqualified_table(tmp_path: Path) -> None:
    schema, _ = replayed(tmp_path, """
        op.add_column("books", sa.Column("year", sa.Integer), schema="public")
        op.create_index("ix_books_year", "books", ["year"], schema="public")
        op.drop_index("ix_books_title", table_name="books", schema="public")
        op.create_foreign_key("fk_books_self", "books", "books", ["year"], ["id"],
                              source_schema="public")
        op.rename_table("authors", "writers", schema="public")
        op.drop_column("books", "isbn", schema="public")
    """)
    assert sorted(schema.tables) == [(None, "books"), (None, "writers")]
    books = table(schema, "books")
    assert books.column_names() == ["id", "author_id", "title", "year"]
    assert [i.name for i in books.indexes] == ["ix_books_year"]
    assert sorted((f.name, f.ref_table) for f in books.foreign_keys) == [
        ("fk_books_author", "writers"), ("fk_books_self", "books")]
    assert schema.table("writers") == schema.table("writers", "public")
    assert schema.incomplete == []
