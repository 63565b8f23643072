"""The arguments of a `batch_alter_table` block that say how its table is recreated."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa

from sqlcompile.errors import ScriptError
from sqlcompile.ops.base import Op, qualified
from sqlcompile.schema.convert import table_from_sa

if TYPE_CHECKING:
    from sqlcompile.schema.model import Schema
    from sqlcompile.sources.recorder import Recorder

#: Alembic's values of `recreate=`; "auto" recreates only where the dialect must (SQLite).
RECREATE = ("auto", "always", "never")


@dataclass(frozen=True)
class BatchAlterTable(Op):
    """How one batch_alter_table block recreates its table (recorded before its ops)."""

    op_name: ClassVar[str] = "batch_alter_table"
    #: Recorded by `with op.batch_alter_table(...)` itself, not by an op.* call of this name.
    public: ClassVar[bool] = False
    table_name: str
    schema: str | None = None
    #: "always" or "never"; None is Alembic's "auto".
    recreate: str | None = None
    #: The table's definition, for a table the schema model does not know.
    copy_from: sa.Table | None = None
    #: Constraints and options the recreated table gets in addition.
    table_args: tuple[Any, ...] = ()
    table_kwargs: dict[str, Any] = field(default_factory=dict)
    #: Names for the unnamed constraints of the table, so that the block can drop them.
    naming_convention: dict[str, Any] | None = None
    #: Column orders the recreated table keeps: each tuple's columns in that order.
    partial_reordering: tuple[tuple[str, ...], ...] = ()
    #: The block's add_column calls as (column, insert_before, insert_after), when any of
    #: them placed its column: where the recreated table puts the new columns.
    column_orders: tuple[tuple[str, str | None, str | None], ...] = ()

    @classmethod
    def record(
        cls, recorder: Recorder, table_name: str, schema: str | None = None,
        recreate: str = "auto", partial_reordering: Sequence[Sequence[str]] | None = None,
        copy_from: sa.Table | None = None, table_args: Sequence[Any] = (),
        table_kwargs: Mapping[str, Any] | None = None, reflect_args: Sequence[Any] = (),
        reflect_kwargs: Mapping[str, Any] | None = None,
        naming_convention: Mapping[str, Any] | None = None,
    ) -> None:
        # reflect_args / reflect_kwargs correct what Alembic reads back from the database
        # (a column's type, say); sqlcompile reads the schema model instead, which holds the
        # definitions the history gave, so they have nothing to correct.
        if recreate not in RECREATE:
            raise ScriptError(f"batch_alter_table(recreate={recreate!r}): recreate is one of "
                              f"{', '.join(map(repr, RECREATE))}")
        if copy_from is not None and not isinstance(copy_from, sa.Table):
            raise ScriptError(f"batch_alter_table(copy_from=...) takes a Table, got "
                              f"{type(copy_from).__name__}")
        op = cls(table_name, schema, None if recreate == "auto" else recreate, copy_from,
                 tuple(table_args), dict(table_kwargs or {}),
                 dict(naming_convention) if naming_convention else None,
                 tuple(tuple(order) for order in partial_reordering or ()))
        if any(True for _ in op.settings()):
            recorder.add(op)

    def describe(self) -> str:
        return f"batch_alter_table {qualified(self.table_name, self.schema)}"

    def settings(self) -> Iterator[str]:
        """The arguments this block sets, as written (for notes)."""
        if self.recreate is not None:
            yield f"recreate={self.recreate!r}"
        if self.copy_from is not None:
            yield "copy_from"
        for name in ("table_args", "table_kwargs", "naming_convention", "partial_reordering"):
            if getattr(self, name):
                yield name
        placed = [name for name, before, after in self.column_orders if before or after]
        if placed:
            yield f"insert_before/insert_after of {', '.join(placed)}"

    def reverse(self, before: Schema | None = None) -> Op:
        return self  # the block that undoes this one is opened the same way

    def apply(self, schema: Schema) -> None:
        # copy_from tells what the table is when the model does not know it (raw SQL made it);
        # where the model knows it, the model is what the history did.
        if self.copy_from is None or schema.table(self.table_name, self.schema) is not None:
            return
        known = table_from_sa(self.copy_from, schema.dialect)
        schema.put(replace(known, name=self.table_name, schema=self.schema))
