"""Operations on indexes: create_index and drop_index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa

from sqlcompile.ops.base import IrreversibleOperation, Op, qualified
from sqlcompile.ops.constraint_ops import column_expression, columns_table
from sqlcompile.schema.convert import constraint_name, sql_fragment, sql_text
from sqlcompile.schema.model import IndexModel, IndexPart

if TYPE_CHECKING:
    from sqlcompile.schema.model import Schema, TableModel
    from sqlcompile.sources.recorder import Recorder


@dataclass(frozen=True)
class CreateIndex(Op):
    """Create an index (unique, on expressions, partial, with dialect options)."""

    op_name: ClassVar[str] = "create_index"
    batch_table_arg: ClassVar[int | None] = 1
    index_name: str | None
    table_name: str
    columns: Sequence[Any]
    schema: str | None = None
    unique: bool = False
    if_not_exists: bool | None = None
    kw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def record(
        cls,
        recorder: Recorder,
        index_name: str | None,
        table_name: str,
        columns: Sequence[Any] | str,
        *,
        schema: str | None = None,
        unique: bool = False,
        if_not_exists: bool | None = None,
        **kw: Any,
    ) -> None:
        cols = [columns] if isinstance(columns, str) else list(columns)
        recorder.add(cls(index_name, table_name, cols, schema, unique, if_not_exists, kw))

    def describe(self) -> str:
        return f"create_index {self.index_name} on {qualified(self.table_name, self.schema)}"

    def index(self) -> sa.Index:
        """The index as an SQLAlchemy object on a throwaway table."""
        included = [c for k, v in sorted(self.kw.items()) if k.endswith("_include")
                    for c in ([v] if isinstance(v, str) else v)]
        table = columns_table(self.table_name, [*self.columns, *included], self.schema)
        exprs = [column_expression(table, c) for c in self.columns]
        index = sa.Index(self.index_name, *exprs, unique=self.unique, **self.kw)
        if index.table is None:
            index._set_parent(table)
        return index

    def reverse(self, before: Schema | None = None) -> Op:
        options = {k: v for k, v in self.kw.items() if k.endswith("_concurrently")}
        return DropIndex(self.index_name or "", self.table_name, self.schema, None, options,
                         definition=self)

    def apply(self, schema: Schema) -> None:
        table = schema.known(self.table_name, self.schema, self.describe())
        if table is None:
            return
        if self.if_not_exists and any(i.name == self.index_name for i in table.indexes):
            return
        self._check_columns(table, schema)
        schema.put(replace(table, indexes=(*table.indexes, self.model(schema))))

    def _check_columns(self, table: TableModel, schema: Schema) -> None:
        """An index on a column the table lacks: the server refuses it, so the script's error
        while the model is complete; else the model may lack the column (it is kept)."""
        known = {c.name.casefold() for c in table.columns}  # no server has both `a` and `A`
        included = [c for k, v in sorted(self.kw.items()) if k.endswith("_include")
                    for c in ([v] if isinstance(v, str) else v)]
        missing = [c for c in dict.fromkeys([*self.columns, *included])
                   if isinstance(c, str) and c.casefold() not in known]
        if not missing:
            return
        names = ", ".join(repr(c) for c in missing)
        if schema.incomplete:
            schema.mark_incomplete(f"{self.describe()} names column(s) {names} the model does "
                                   "not know; the index is kept as the script names it")
            return
        from sqlcompile.errors import CompileError

        have = ", ".join(table.column_names()) or "none"
        raise CompileError(
            f"{self.describe()}: table {table.title} has no column {names} (its columns: "
            f"{have}); the server refuses an index on it",
            hint="name a column the table has, or add the column (op.add_column) before the "
                 "index")

    def model(self, schema: Schema) -> IndexModel:
        """The index as the model keeps it (SQL fragments rendered for the dialect)."""
        parts = tuple(IndexPart(c) if isinstance(c, str)
                      else IndexPart(sql_text(c, schema.dialect), expression=True)
                      for c in self.columns)
        options = tuple(sorted(
            (key, sql_text(value, schema.dialect) if key.endswith("_where")
             and value is not None else value)
            for key, value in self.kw.items()
            if not key.endswith("_concurrently")  # how it is built, not what it is
        ))
        return IndexModel(constraint_name(self.index_name), parts, bool(self.unique), options)


@dataclass(frozen=True)
class DropIndex(Op):
    """Drop an index."""

    op_name: ClassVar[str] = "drop_index"
    informational: ClassVar[frozenset[str]] = frozenset({"definition"})  # for reverse()
    batch_table_arg: ClassVar[int | None] = 1
    index_name: str
    table_name: str | None = None
    schema: str | None = None
    if_exists: bool | None = None
    kw: dict[str, Any] = field(default_factory=dict)
    definition: CreateIndex | None = None

    @classmethod
    def record(
        cls,
        recorder: Recorder,
        index_name: str,
        table_name: str | None = None,
        *,
        schema: str | None = None,
        if_exists: bool | None = None,
        **kw: Any,
    ) -> None:
        recorder.add(cls(index_name, table_name, schema, if_exists, kw))

    def describe(self) -> str:
        return f"drop_index {self.index_name}"

    def reverse(self, before: Schema | None = None) -> Op:
        op = self.completed(before) if before is not None else self
        if op.definition is None:
            raise IrreversibleOperation(f"{self.describe()}: the index's definition is unknown")
        return op.definition

    def completed(self, before: Schema) -> DropIndex:
        found = before.find_index(self.index_name, self.schema, self.table_name)
        if found is None or (self.table_name is not None and self.definition is not None):
            return self
        table, index = found
        definition = self.definition
        if definition is None:
            options = {key: (sql_fragment(value) if key.endswith("_where")
                             and isinstance(value, str) else value)
                       for key, value in index.options}
            columns = [sql_fragment(p.text) if p.expression else p.text for p in index.parts]
            definition = CreateIndex(index.name, table.name, columns, table.schema,
                                     index.unique, None, options)
        return replace(self, table_name=self.table_name or table.name, definition=definition)

    def apply(self, schema: Schema) -> None:
        found = schema.find_index(self.index_name, self.schema, self.table_name)
        if found is None:
            if not self.if_exists:
                schema.mark_incomplete(f"{self.describe()}: the model has no such index")
            return
        table, index = found
        schema.put(replace(table, indexes=tuple(i for i in table.indexes if i is not index)))
