"""The op registry: every op is complete (renders, reverses, documented) and reverses correctly."""

from __future__ import annotations

import dataclasses
import inspect
import warnings
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from sqlcompile.dialects import get_dialect, known_dialects
from sqlcompile.dialects.render import RawSQL, RenderContext
from sqlcompile.ops import OPS, IrreversibleOperation, Op
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

OP_CLASSES = sorted(OPS.items())


def sql_of(op: Op, dialect: str = "postgresql") -> list[str]:
    """What ``op`` compiles to, statement by statement (comments left out)."""
    support = get_dialect(dialect)
    ctx = RenderContext(support, "test", "migrations/sql/x.sql")
    return [compile_element(e, support) for e in ctx.render(op) if isinstance(e, RawSQL)
            or hasattr(e, "compile")]


# -- completeness ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "cls"), OP_CLASSES, ids=[n for n, _ in OP_CLASSES])
def test_op_has_a_renderer_reverse_and_record(name: str, cls: type[Op]) -> None:
    assert cls.op_name == name
    for dialect in known_dialects():
        assert get_dialect(dialect).renderer(cls), f"{cls.__name__} does not render"
    assert cls.reverse is not Op.reverse, f"{cls.__name__} has no reverse()"
    assert cls.__dict__.get("record") is not None or any(
        "record" in base.__dict__ for base in cls.__mro__[1:] if base is not Op
    ), f"{cls.__name__} cannot be recorded"


@pytest.mark.parametrize(("name", "cls"), OP_CLASSES, ids=[n for n, _ in OP_CLASSES])
def test_op_has_a_one_line_docstring(name: str, cls: type[Op]) -> None:
    doc = cls.__dict__.get("__doc__") or ""
    # a dataclass without a docstring gets its signature as __doc__: not documentation
    assert doc and not doc.startswith(f"{cls.__name__}("), f"{cls.__name__} has no docstring"
    assert len(doc.strip().splitlines()) == 1, f"{cls.__name__}'s docstring is not one line"


@pytest.mark.parametrize(("name", "cls"), OP_CLASSES, ids=[n for n, _ in OP_CLASSES])
def test_batch_table_arg_names_the_table_parameter(name: str, cls: type[Op]) -> None:
    """batch_alter_table inserts its table name at `batch_table_arg`: the table's slot."""
    if cls.batch_table_arg is None:
        return
    params = [
        p for p in inspect.signature(cls.record).parameters.values()
        if p.kind is p.POSITIONAL_OR_KEYWORD and p.name != "recorder"
    ]
    assert params[cls.batch_table_arg].name in ("table_name", "source_table")


# -- reversal -------------------------------------------------------------------------------


def _table(schema: str | None = None) -> sa.Table:
    return sa.Table("t", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                    schema=schema)


def _column() -> sa.Column[Any]:
    return sa.Column("c", sa.String(20), nullable=True)


def _alter() -> AlterColumn:
    return AlterColumn(
        "t", "a", "s",
        nullable=False, server_default="new", new_column_name="b", type_=sa.String(20),
        comment="new comment", existing_type=sa.String(10), existing_server_default="old",
        existing_nullable=True, existing_comment="old comment", kw={"postgresql_using": "a::x"},
    )


#: One reversible instance per op (the reversal tests check every registered op is here).
REVERSIBLE: dict[str, Callable[[], Op]] = {
    "create_table": lambda: CreateTable(_table()),
    "drop_table": lambda: DropTable("t", "s", table=_table("s")),
    "rename_table": lambda: RenameTable("users", "customers", "s"),
    "add_column": lambda: AddColumn("t", _column(), "s"),
    "drop_column": lambda: DropColumn("t", "c", "s", column=_column()),
    "alter_column": _alter,
    "create_table_comment": lambda: CreateTableComment("t", "new", "old", "s"),
    "drop_table_comment": lambda: DropTableComment("t", "old", "s"),
    "create_index": lambda: CreateIndex("ix", "t", ["a"], "s", unique=True),
    "drop_index": lambda: DropIndex("ix", "t", "s",
                                    definition=CreateIndex("ix", "t", ["a"], "s")),
    "create_primary_key": lambda: CreatePrimaryKey("pk", "t", ["id"], "s"),
    "create_foreign_key": lambda: CreateForeignKey("fk", "t", "u", ["u_id"], ["id"], "s",
                                                   ondelete="CASCADE"),
    "create_unique_constraint": lambda: CreateUniqueConstraint("uq", "t", ["a"], "s"),
    "create_check_constraint": lambda: CreateCheckConstraint("ck", "t", "a > 0", "s"),
    "drop_constraint": lambda: DropConstraint(
        "uq", "t", "unique", "s", definition=CreateUniqueConstraint("uq", "t", ["a"], "s")
    ),
    "commit": TransactionBreak,
    "printed": lambda: Printed("copy the keys by hand"),
    "create_exclude_constraint": lambda: CreateExcludeConstraint(
        "ex", "t", (("period", "&&"),), "s", where="active", using="gist"),
    "batch_alter_table": lambda: BatchAlterTable("t", "s", recreate="always"),
}

#: Ops that carry too little to be undone.
IRREVERSIBLE: dict[str, Callable[[], Op]] = {
    "drop_table": lambda: DropTable("t"),
    "drop_column": lambda: DropColumn("t", "c"),
    "drop_index": lambda: DropIndex("ix", "t"),
    "drop_constraint": lambda: DropConstraint("uq", "t", "unique"),
    "drop_table_comment": lambda: DropTableComment("t"),
    "alter_column(type_ without existing_type)": lambda: AlterColumn("t", "a", type_=sa.Text()),
    "alter_column(server_default without existing_server_default)":
        lambda: AlterColumn("t", "a", server_default="x"),
    "execute": lambda: Execute("UPDATE t SET a = 1"),
    "bulk_insert": lambda: BulkInsert(sa.table("t", sa.column("a")), [{"a": 1}]),
}

#: Ops whose reverse() is always an IrreversibleOperation.
NEVER_REVERSIBLE = {"execute", "bulk_insert"}


def test_every_op_is_covered_by_the_reversal_tests() -> None:
    irreversible = {name.split("(")[0] for name in IRREVERSIBLE}
    assert set(REVERSIBLE) | NEVER_REVERSIBLE == set(OPS)
    assert NEVER_REVERSIBLE <= irreversible


@pytest.mark.parametrize("name", sorted(REVERSIBLE))
def test_reverse_twice_is_the_original(name: str) -> None:
    op = REVERSIBLE[name]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sa.exc.SADeprecationWarning)  # Column.copy()
        back = op.reverse().reverse()
    assert type(back) is type(op)
    if isinstance(op, AddColumn | DropColumn):
        # the column travels as a copy; compare what defines it
        assert isinstance(back, AddColumn | DropColumn)
        assert (back.table_name, back.schema) == (op.table_name, op.schema)
        assert back.column is not None and op.column is not None
        assert back.column.name == op.column.name
        assert type(back.column.type) is type(op.column.type)
    elif isinstance(op, AlterColumn):
        # A USING expression converts to the forward type: the reverse does not carry it.
        assert "postgresql_using" not in op.reverse().kw
        assert back == dataclasses.replace(op, kw={k: v for k, v in op.kw.items()
                                                   if not k.endswith("_using")})
    else:
        assert back == op


@pytest.mark.parametrize("name", sorted(IRREVERSIBLE))
def test_irreversible_ops_raise(name: str) -> None:
    with pytest.raises(IrreversibleOperation):
        IRREVERSIBLE[name]().reverse()


def test_add_column_reverses_to_drop_column() -> None:
    column = _column()
    reverse = AddColumn("t", column, "s").reverse()
    assert isinstance(reverse, DropColumn)
    assert (reverse.table_name, reverse.column_name, reverse.schema) == ("t", "c", "s")
    assert reverse.column is column
    assert sql_of(reverse) == ["ALTER TABLE s.t DROP COLUMN c"]


def test_drop_column_with_definition_reverses_to_add_column() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sa.exc.SADeprecationWarning)
        reverse = DropColumn("t", "c", "s", column=_column()).reverse()
    assert isinstance(reverse, AddColumn)
    assert (reverse.table_name, reverse.column.name, reverse.schema) == ("t", "c", "s")
    assert isinstance(reverse.column.type, sa.String) and reverse.column.type.length == 20


def test_alter_column_reverse_swaps_new_and_existing() -> None:
    op = _alter()
    reverse = op.reverse()
    assert isinstance(reverse, AlterColumn)
    assert (reverse.table_name, reverse.schema) == ("t", "s")
    assert (reverse.column_name, reverse.new_column_name) == ("b", "a")
    assert (reverse.nullable, reverse.existing_nullable) == (True, False)
    assert (reverse.type_, reverse.existing_type) == (op.existing_type, op.type_)
    assert (reverse.server_default, reverse.existing_server_default) == ("old", "new")
    assert (reverse.comment, reverse.existing_comment) == ("old comment", "new comment")
    assert reverse.changes() == op.changes()


def test_alter_column_reverse_keeps_unchanged_properties_unchanged() -> None:
    op = AlterColumn("t", "a", nullable=False, existing_nullable=True, existing_type=sa.Text())
    reverse = op.reverse()
    assert isinstance(reverse, AlterColumn)
    assert reverse.changes() == ["nullable"]
    assert reverse.nullable is True
    assert reverse.existing_type is op.existing_type


def test_alter_column_nullable_without_existing_is_not_silently_lost() -> None:
    op = AlterColumn("t", "a", nullable=False)
    try:
        reverse = op.reverse()
    except IrreversibleOperation:
        return
    assert isinstance(reverse, AlterColumn)
    assert reverse.changes() == ["nullable"]


def test_rename_table_reverses_to_the_opposite_rename() -> None:
    reverse = RenameTable("users", "customers", "s").reverse()
    assert reverse == RenameTable("customers", "users", "s")
    assert sql_of(reverse) == ["ALTER TABLE s.customers RENAME TO users"]


def test_create_table_reverses_to_drop_table_and_back() -> None:
    table = _table()
    reverse = CreateTable(table).reverse()
    assert isinstance(reverse, DropTable)
    assert (reverse.table_name, reverse.schema, reverse.table) == ("t", None, table)
    assert sql_of(reverse) == ["DROP TABLE t"]


def test_create_index_reverses_to_drop_index() -> None:
    op = CreateIndex("ix", "t", ["a"], "s", unique=True)
    reverse = op.reverse()
    assert isinstance(reverse, DropIndex)
    assert (reverse.index_name, reverse.table_name, reverse.schema) == ("ix", "t", "s")
    assert reverse.reverse() is op
    assert sql_of(reverse) == ["DROP INDEX s.ix"]


@pytest.mark.parametrize(
    ("op", "type_"),
    [
        (CreatePrimaryKey("pk", "t", ["id"]), "primary"),
        (CreateForeignKey("fk", "t", "u", ["u_id"], ["id"]), "foreignkey"),
        (CreateUniqueConstraint("uq", "t", ["a"]), "unique"),
        (CreateCheckConstraint("ck", "t", "a > 0"), "check"),
    ],
    ids=["primary", "foreignkey", "unique", "check"],
)
def test_add_constraint_reverses_to_drop_constraint(op: Op, type_: str) -> None:
    reverse = op.reverse()
    assert isinstance(reverse, DropConstraint)
    assert (reverse.table_name, reverse.type_) == ("t", type_)
    assert reverse.constraint_name == getattr(op, "constraint_name", None)
    assert reverse.reverse() is op
    assert sql_of(reverse) == [f"ALTER TABLE t DROP CONSTRAINT {reverse.constraint_name}"]


def test_table_comment_reverses() -> None:
    assert CreateTableComment("t", "new", "old").reverse() == CreateTableComment("t", "old", "new")
    assert CreateTableComment("t", "new").reverse() == DropTableComment("t", "new")
    assert DropTableComment("t", "old").reverse() == CreateTableComment("t", "old", None)


def test_commit_reverses_to_commit() -> None:
    assert isinstance(TransactionBreak().reverse(), TransactionBreak)
    assert sql_of(TransactionBreak()) == []
