"""Operations that carry SQL or data: execute, bulk_insert, and the commit boundary."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter, ClauseElement

from sqlcompile.ops.base import IrreversibleOperation, Op

if TYPE_CHECKING:
    from sqlcompile.schema.model import Schema
    from sqlcompile.sources.recorder import Recorder


def statement_text(sql: str) -> str:
    """Raw SQL from a script without surrounding blank space and one trailing `;`."""
    text = sql.strip()
    if text.endswith(";"):
        text = text[:-1].rstrip()
    return text


@dataclass(frozen=True)
class Execute(Op):
    """Run SQL: a string verbatim (or transpiled), or a statement with literal bound values."""

    op_name: ClassVar[str] = "execute"
    sql: Any
    #: The dialect a string is written in (`op.execute(sql, dialect=...)` or the script's
    #: module-level `sql_dialect`); other targets get it transpiled by sqlglot.
    dialect: str | None = None

    @classmethod
    def record(
        cls, recorder: Recorder, sqltext: Any, *, execution_options: Any = None,
        dialect: str | None = None,
    ) -> None:
        recorder.add(cls(sqltext, dialect or recorder.sql_dialect))

    def describe(self) -> str:
        return "execute"

    def carried_text(self) -> Iterator[tuple[str, str]]:
        if isinstance(self.sql, str):
            yield "the SQL text", self.sql
        elif isinstance(self.sql, ClauseElement):
            if isinstance(self.sql, sa.TextClause):
                yield "the SQL text", self.sql.text
            for element in visitors.iterate(self.sql):
                if isinstance(element, BindParameter) and isinstance(element.value, str):
                    yield f"bound value :{element.key}", element.value

    def reverse(self, before: Schema | None = None) -> Op:
        raise IrreversibleOperation("execute: raw SQL has no known reverse")

    def apply(self, schema: Schema) -> None:
        schema.read_sql(self.sql, self.dialect)


@dataclass(frozen=True)
class BulkInsert(Op):
    """Insert rows into a table, one INSERT per row, values rendered as literals."""

    op_name: ClassVar[str] = "bulk_insert"
    table: sa.Table | sa.TableClause
    rows: Sequence[Mapping[str, Any]]
    multiinsert: bool = True

    @classmethod
    def record(
        cls,
        recorder: Recorder,
        table: sa.Table | sa.TableClause,
        rows: Sequence[Mapping[str, Any]],
        *,
        multiinsert: bool = True,
    ) -> None:
        recorder.add(cls(table, [dict(r) for r in rows], multiinsert))

    def describe(self) -> str:
        return f"bulk_insert {self.table.name}"

    def carried_text(self) -> Iterator[tuple[str, str]]:
        for number, row in enumerate(self.rows, 1):
            for key, value in row.items():
                if isinstance(value, str):
                    yield f"row {number}, column {key!r}", value

    def reverse(self, before: Schema | None = None) -> Op:
        raise IrreversibleOperation("bulk_insert: inserted rows have no recorded reverse")

    def apply(self, schema: Schema) -> None:
        """Rows change no schema."""


@dataclass(frozen=True)
class TransactionBreak(Op):
    """`op.get_bind().commit()`: end the current transaction and start a new one."""

    op_name: ClassVar[str] = "commit"
    public: ClassVar[bool] = False

    @classmethod
    def record(cls, recorder: Recorder, *args: Any, **kw: Any) -> None:
        recorder.add(cls())

    def describe(self) -> str:
        return "commit"

    def reverse(self, before: Schema | None = None) -> Op:
        return TransactionBreak()

    def apply(self, schema: Schema) -> None:
        """A transaction boundary changes no schema."""


@dataclass(frozen=True)
class Printed(Op):
    """One line a script printed to standard output while it ran: a comment in its file."""

    op_name: ClassVar[str] = "printed"
    public: ClassVar[bool] = False
    #: The line as printed, without its line feed (any other control character is kept).
    text: str

    @classmethod
    def record(cls, recorder: Recorder, text: str) -> None:
        recorder.add(cls(text))

    def describe(self) -> str:
        return "printed"

    def reverse(self, before: Schema | None = None) -> Op:
        return self  # a comment: the other direction prints what its own script prints

    def apply(self, schema: Schema) -> None:
        """A printed line changes no schema."""
