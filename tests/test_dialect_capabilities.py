"""No silent drops: for every dialect, op class and field, setting the field changes the SQL,
or the dialect refuses the op saying why (its ``unsupported`` / ``needs`` declarations or a
value check), or the op declares the field informational (what the schema was before it).

Each op is rendered twice per field, as a baseline and with that one field set, against a
schema model that holds the tables it names; identical output with no refusal is a field the
renderer ignored. This is what caught `create_index(..., if_not_exists=True)` compiling to a
plain CREATE INDEX on SQL Server and Oracle.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from sqlcompile.dialects import get_dialect, known_dialects
from sqlcompile.dialects.base import DialectSupport, is_set
from sqlcompile.dialects.render import Framing, Note, RenderContext
from sqlcompile.errors import CompileError
from sqlcompile.ops import OPS, Op
from sqlcompile.ops.batch_ops import BatchAlterTable
from sqlcompile.ops.constraint_ops import (
    CreateCheckConstraint,
    CreateExcludeConstraint,
    CreateForeignKey,
    CreatePrimaryKey,
    CreateUniqueConstraint,
    DropConstraint,
)
from sqlcompile.ops.data_ops import BulkInsert, Execute, Printed, TransactionBreak
from sqlcompile.ops.index_ops import CreateIndex, DropIndex
from sqlcompile.ops.table_ops import (
    AddColumn,
    AlterColumn,
    CreateTable,
    CreateTableComment,
    DropColumn,
    DropTable,
    DropTableComment,
    RenameTable,
)
from sqlcompile.pipeline.compiler import compile_element
from sqlcompile.schema.model import Schema


def _table(name: str = "t2", schema: str | None = None) -> sa.Table:
    return sa.Table(name, sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("a", sa.String(10)), schema=schema)


def _column(name: str = "d") -> sa.Column[Any]:
    column = sa.Column(name, sa.Integer, nullable=True)
    sa.Table("t", sa.MetaData(), column)
    return column


def _fk_column() -> sa.Column[Any]:
    metadata = sa.MetaData()
    sa.Table("u", metadata, sa.Column("id", sa.Integer, primary_key=True))
    column = sa.Column("e", sa.Integer, sa.ForeignKey("u.id"), nullable=True)
    sa.Table("t", metadata, column)
    return column


@dataclasses.dataclass(frozen=True)
class Whole:
    """A variant that needs more than one field set consistently: the whole op."""

    make: Callable[[], Op]


#: Per op class: the baseline op, and for each field a value that sets it. Fields missing here
#: must be in EXEMPT (the test fails on a new field nobody placed).
CASES: dict[type[Op], tuple[Callable[[], Op], dict[str, Any]]] = {
    CreateTable: (lambda: CreateTable(_table()), {"if_not_exists": True}),
    DropTable: (lambda: DropTable("t"), {"schema": "s", "if_exists": True, "table": _table("t"),
                                         "table_name": "u"}),
    RenameTable: (lambda: RenameTable("t", "t3"), {"schema": "s", "new_table_name": "t4",
                                                    "old_table_name": "u"}),
    AddColumn: (lambda: AddColumn("t", _column()), {
        "if_not_exists": True,
        "inline_references": Whole(lambda: AddColumn("t", _fk_column(),
                                                     inline_references=True)),
        "inline_primary_key": Whole(lambda: AddColumn(
            "t", sa.Table("t", sa.MetaData(), sa.Column("d", sa.Integer, primary_key=True)).c.d,
            inline_primary_key=True))}),
    DropColumn: (lambda: DropColumn("t", "c"), {
        "if_exists": True, "schema": "s", "column": _column("c"), "column_name": "b",
        "table_name": "u"}),
    AlterColumn: (lambda: AlterColumn("t", "c", type_=sa.BigInteger(),
                                      existing_type=sa.Integer(), existing_nullable=True,
                                      existing_server_default=None),
                  {"nullable": False, "server_default": "5", "new_column_name": "c2",
                   "type_": sa.String(5), "comment": "note", "schema": "s",
                   "existing_type": sa.SmallInteger(), "existing_nullable": False,
                   "existing_server_default": "1", "existing_comment": "old",
                   "column_name": "b"}),
    CreateTableComment: (lambda: CreateTableComment("t", "new"), {
        "existing_comment": "old", "comment": "other", "table_name": "u"}),
    DropTableComment: (lambda: DropTableComment("t"), {
        "existing_comment": "old", "table_name": "u"}),
    CreateIndex: (lambda: CreateIndex("ix_t_b", "t", ["b"]), {
        "if_not_exists": True, "unique": True, "index_name": "ix_other", "columns": ["c"],
        "table_name": "u"}),
    DropIndex: (lambda: DropIndex("ix_t_a", "t"), {
        "if_exists": True, "index_name": "ix_u_id", "definition": CreateIndex("ix_t_a", "t",
                                                                                ["a"])}),
    CreatePrimaryKey: (lambda: CreatePrimaryKey("pk_u", "u", ["id"]), {
        "constraint_name": "pk_u2", "columns": ["id", "n"]}),
    CreateForeignKey: (lambda: CreateForeignKey("fk_t_c", "t", "u", ["c"], ["id"]), {
        "onupdate": "CASCADE", "ondelete": "CASCADE", "deferrable": True,
        "initially": "DEFERRED", "match": "FULL", "constraint_name": "fk_other",
        "local_cols": ["b"], "remote_cols": ["n"], "referent_table": "t",
        "referent_schema": "s"}),
    CreateUniqueConstraint: (lambda: CreateUniqueConstraint("uq_t_id", "t", ["id"]), {
        "constraint_name": "uq_other", "columns": ["b"], "table_name": "u"}),
    CreateCheckConstraint: (lambda: CreateCheckConstraint("ck_t_c", "t", "c > 0"), {
        "constraint_name": "ck_other", "condition": "c > 1", "table_name": "u"}),
    DropConstraint: (lambda: DropConstraint("uq_t_b", "t", "unique"), {
        "if_exists": True, "type_": "check", "constraint_name": "ck_t_b",
        "definition": CreateUniqueConstraint("uq_t_b", "t", ["b"])}),
    CreateExcludeConstraint: (lambda: CreateExcludeConstraint("ex_t", "t", (("b", "="),)), {
        "constraint_name": "ex_other", "table_name": "u", "elements": (("c", "="),),
        "schema": "s", "where": "b > 0", "using": "spgist", "deferrable": True,
        "initially": "DEFERRED"}),
    BatchAlterTable: (lambda: BatchAlterTable("t", recreate="never"), {
        "table_name": "u", "schema": "s", "recreate": "always",
        "copy_from": _table("t"), "table_args": (sa.CheckConstraint("b > 1"),),
        "table_kwargs": {"sqlite_autoincrement": True},
        "naming_convention": {"uq": "uq_%(table_name)s_%(column_0_name)s"},
        "partial_reordering": (("b", "a"),), "column_orders": (("d", None, "a"),)}),
    Execute: (lambda: Execute("UPDATE t SET b = 1"), {"sql": "UPDATE t SET b = 2"}),
    Printed: (lambda: Printed("copy the keys by hand"), {"text": "copy them twice"}),
    BulkInsert: (lambda: BulkInsert(sa.table("t", sa.column("b", sa.Integer)), [{"b": 1}]), {
        "rows": [{"b": 2}]}),
}

#: Fields this test does not vary, and why.
EXEMPT: dict[type[Op], dict[str, str]] = {
    CreateTable: {"table": "the whole definition (covered by the golden files)"},
    AddColumn: {"column": "the whole definition (covered by the golden files)",
                "table_name": "carried by the column's table, which record() builds from it",
                "schema": "carried by the column's table, which record() builds from it"},
    AlterColumn: {"kw": "dialect options: each dialect reads its own prefix (postgresql_using)",
                  "table_name": "as column_name"},
    CreateTableComment: {"schema": "as table_name"},
    DropTableComment: {"schema": "as table_name"},
    CreateIndex: {"kw": "dialect options, stated as notes on other dialects (golden files)",
                  "schema": "as table_name"},
    DropIndex: {"kw": "dialect options", "schema": "as index_name",
                "table_name": "needed (SQL Server, MySQL) or filled in by the model"},
    CreatePrimaryKey: {"table_name": "as constraint_name", "schema": "as constraint_name"},
    CreateForeignKey: {"kw": "dialect options", "table_name": "as local_cols",
                       "schema": "as referent_schema"},
    CreateUniqueConstraint: {"kw": "dialect options", "schema": "as table_name"},
    CreateCheckConstraint: {"kw": "dialect options", "schema": "as table_name"},
    CreateExcludeConstraint: {"kw": "ExcludeConstraint options (ops=), for PostgreSQL"},
    DropConstraint: {"table_name": "as constraint_name", "schema": "as constraint_name",
                     "found": "set by completed() for a nameless drop (tests/"
                              "test_unnamed_constraints.py covers it)"},
    DropColumn: {"kw": "dialect options"},
    BulkInsert: {"table": "as rows",
                 "multiinsert": "offline every row is one INSERT (as Alembic writes them); "
                                "multiinsert only chooses executemany on a connection"},
    Execute: {"dialect": "transpiling may give the same text (tests/test_raw_sql.py covers "
                         "it)"},
}

#: Ops with no fields of their own.
NO_FIELDS = {TransactionBreak}


def _model(dialect: DialectSupport) -> Schema:
    """Tables u (id, n) and t (id, a, b, c) with an index, a unique key, a check and a key,
    as the ops above expect to find them."""
    schema = Schema(dialect)
    u = sa.Table("u", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("n", sa.Integer), sa.Index("ix_u_id", "n"))
    t = sa.Table("t", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("a", sa.String(10)), sa.Column("b", sa.Integer),
                 sa.Column("c", sa.Integer, server_default="0", comment="c"),
                 sa.Index("ix_t_a", "a"), sa.UniqueConstraint("b", name="uq_t_b"),
                 sa.CheckConstraint("b > 0", name="ck_t_b"), comment="the t table")
    for table in (u, t):
        CreateTable(table).apply(schema)
    return schema


def _render(dialect: DialectSupport, op: Op) -> list[str] | str:
    """The op's statements and notes for ``dialect``, or its refusal."""
    model = _model(dialect)
    ctx = RenderContext(dialect, "test", "x.sql", model, autocommit=True)
    try:
        done = op.completed(model)
        out = []
        for element in ctx.render(done):
            if isinstance(element, Note):
                out.append(f"-- {element.text}")
            elif isinstance(element, Framing):
                out.append(f"framing {element.name}")
            else:
                out.append(compile_element(element, dialect))
        return out
    except CompileError as exc:
        return f"refused: {exc.message}"
    except sa.exc.CompileError as exc:  # SQLAlchemy's own refusal (a compile error too)
        return f"refused: {exc}"


def test_every_op_class_is_covered() -> None:
    covered = set(CASES) | NO_FIELDS
    assert {cls for cls in OPS.values()} <= covered
    for cls, (_, variants) in CASES.items():
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        placed = set(variants) | set(EXEMPT.get(cls, {}))
        assert names == placed, f"{cls.__name__}: fields {sorted(names ^ placed)} not placed"


PAIRS = [(d, cls, name) for d in known_dialects() for cls, (_, v) in CASES.items()
         for name in v]


@pytest.mark.parametrize(("dialect_name", "cls", "field"), PAIRS,
                         ids=[f"{d}-{c.__name__}-{f}" for d, c, f in PAIRS])
def test_a_set_field_changes_the_sql_or_is_refused(dialect_name: str, cls: type[Op],
                                                   field: str) -> None:
    dialect = get_dialect(dialect_name)
    make, variants = CASES[cls]
    base = make()
    baseline = _render(dialect, base)
    if isinstance(baseline, str) and any(
            is_set(getattr(base, name)) for name in dialect._declared(dialect.unsupported, base)):
        return  # the dialect refuses the op whatever else it says (EXCLUDE, say)
    assert isinstance(baseline, list), f"the baseline {base.describe()} is refused: {baseline}"
    value = variants[field]
    if isinstance(value, Whole):
        variant = value.make()
    else:
        variant = dataclasses.replace(base, **{field: value})  # type: ignore[type-var]
    assert is_set(getattr(variant, field)) or getattr(base, field) != getattr(variant, field)
    rendered = _render(dialect, variant)
    if isinstance(rendered, str) or rendered != baseline:
        return  # refused with a reason, or rendered differently
    if field in dialect._declared(dialect.decided_by_model, variant):
        return
    assert field in cls.informational, (
        f"{dialect.title} drops {cls.__name__}.{field}={variants[field]!r} silently: declare "
        f"it in the dialect's `unsupported` table with a reason, or render it")


@pytest.mark.parametrize("dialect_name", known_dialects())
def test_declarations_name_real_fields(dialect_name: str) -> None:
    """A declaration that names no field of its op class would never refuse anything."""
    dialect = get_dialect(dialect_name)
    for table in (dialect.unsupported, dialect.needs, dialect.decided_by_model):
        for cls, entries in table.items():
            names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
            assert set(entries) <= names, (cls.__name__, sorted(set(entries) - names))
            assert all(why.strip() for why in entries.values())


@pytest.mark.parametrize("dialect_name", ["mssql", "oracle"])
def test_create_index_if_not_exists_is_refused_where_it_does_not_exist(
        dialect_name: str) -> None:
    rendered = _render(get_dialect(dialect_name), CreateIndex("ix_t_b", "t", ["b"],
                                                              if_not_exists=True))
    assert isinstance(rendered, str) and "no CREATE INDEX IF NOT EXISTS" in rendered


@pytest.mark.parametrize("dialect_name", ["postgresql", "sqlite", "mariadb"])
def test_create_index_if_not_exists_is_rendered_where_it_exists(dialect_name: str) -> None:
    rendered = _render(get_dialect(dialect_name), CreateIndex("ix_t_b", "t", ["b"],
                                                              if_not_exists=True))
    assert isinstance(rendered, list) and "IF NOT EXISTS" in rendered[-1]
