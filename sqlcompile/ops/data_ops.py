"""Operations that carry SQL or data: execute, bulk_insert, and the commit boundary."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.sql import sqltypes, visitors
from sqlalchemy.sql.elements import BindParameter, ClauseElement

from sqlcompile.ops.base import Element, IrreversibleOperation, Op, RawSQL, RenderContext

if TYPE_CHECKING:
    from sqlcompile.schema.model import Schema
    from sqlcompile.sources.recorder import Recorder


def typed_binds(statement: ClauseElement) -> ClauseElement:
    """Give every untyped bound value the type its Python value implies.

    `sa.column('confirmed')` has no type, so its bound values have no literal renderer;
    resolving the type from the value (as a driver would when binding) lets the dialect render
    them as literals instead of failing.
    """

    def replace(element: Any) -> Any:
        if isinstance(element, BindParameter) and element.type._isnull:
            value = element.effective_value
            if value is not None:
                return element._with_binary_element_type(sqltypes._resolve_value_to_type(value))
        return None

    return visitors.replacement_traverse(statement, {}, replace)  # type: ignore[call-overload,no-any-return]


def unbound_parameters(statement: ClauseElement) -> list[str]:
    """Names of bound parameters that were never given a value.

    Compiled with literal binds they would silently become NULL (what Alembic's offline mode
    does with `:name` in text); sqlcompile refuses instead.
    """
    names = {
        element.key for element in visitors.iterate(statement)
        if isinstance(element, BindParameter) and element.required
        and element.value is None and element.callable is None
    }
    return sorted(names)


def statement_text(sql: str) -> str:
    """Raw SQL from a script without surrounding blank space and one trailing `;`."""
    text = sql.strip()
    if text.endswith(";"):
        text = text[:-1].rstrip()
    return text


@dataclass
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

    def text(self, ctx: RenderContext) -> str:
        """A string statement in the target dialect (transpiled when written in another)."""
        return self._for_target(statement_text(self.sql), ctx)

    def _for_target(self, text: str, ctx: RenderContext) -> str:
        """``text`` as written when it is in the target's dialect, else transpiled."""
        from sqlcompile.dialects.transpile import same_sql_dialect, transpile

        if self.dialect is None or same_sql_dialect(self.dialect, ctx.dialect):
            return text
        try:
            return transpile(text, self.dialect, ctx.dialect)
        except ValueError as exc:
            raise ctx.fail(self, str(exc), hint=(
                "write the statement for this dialect (branch on "
                "op.get_context().dialect.name), or write this revision's SQL by hand in "
                f"{ctx.hand_written}")) from None

    def _text_clause(self, clause: sa.TextClause, ctx: RenderContext) -> sa.TextClause:
        """A text() construct for the target: its SQL transpiled, its bound values kept."""
        text = self._for_target(clause.text, ctx)
        if text == clause.text:
            return clause
        binds = [e for e in visitors.iterate(clause) if isinstance(e, BindParameter)]
        return sa.text(text).bindparams(*binds)

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

    def elements(self, ctx: RenderContext) -> list[Element]:
        if isinstance(self.sql, str):
            return [RawSQL(self.text(ctx))]
        if isinstance(self.sql, ClauseElement):
            statement = (self._text_clause(self.sql, ctx) if isinstance(self.sql, sa.TextClause)
                         else self.sql)
            missing = unbound_parameters(statement)
            if missing:
                listed = ", ".join(f":{name}" for name in missing)
                raise ctx.fail(
                    self, f"bound parameter(s) {listed} have no value and would become NULL",
                    hint="give the values, e.g. sa.text(...).bindparams(name=value); to keep "
                    "a literal colon in text(), escape it as \\:",
                )
            return [typed_binds(statement)]
        return [self.sql]

    def reverse(self) -> Op:
        raise IrreversibleOperation("execute: raw SQL has no known reverse")

    def apply(self, schema: Schema) -> None:
        from sqlcompile.dialects.transpile import same_sql_dialect, transpile
        from sqlcompile.sources.raw import apply_element

        sql, source = self.sql, self.dialect
        text = sql.text if isinstance(sql, sa.TextClause) else sql
        if source is not None and isinstance(text, str) and not same_sql_dialect(
                source, schema.dialect):
            # Follow what runs on the target; what cannot be transpiled is followed as written
            # (elements() reports it as an error when the SQL is compiled).
            try:
                sql, source = transpile(statement_text(text), source, schema.dialect), None
            except ValueError:
                pass
        apply_element(schema, sql, source)


@dataclass
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

    def elements(self, ctx: RenderContext) -> list[Element]:
        out: list[Element] = []
        for row in self.rows:
            unknown = sorted(set(row) - set(self.table.c.keys()))
            if unknown:
                raise ctx.fail(self, f"row names columns the table does not have: {unknown}")
            values = {
                key: value if isinstance(value, ClauseElement)
                else sa.literal(value, self.table.c[key].type)
                for key, value in row.items()
            }
            out.append(typed_binds(self.table.insert().values(values)))
        return out

    def reverse(self) -> Op:
        raise IrreversibleOperation("bulk_insert: inserted rows have no recorded reverse")

    def apply(self, schema: Schema) -> None:
        """Rows change no schema."""


@dataclass
class TransactionBreak(Op):
    """`op.get_bind().commit()`: end the current transaction and start a new one."""

    op_name: ClassVar[str] = "commit"
    public: ClassVar[bool] = False

    @classmethod
    def record(cls, recorder: Recorder, *args: Any, **kw: Any) -> None:
        recorder.add(cls())

    def describe(self) -> str:
        return "commit"

    def elements(self, ctx: RenderContext) -> list[Element]:
        return []

    def reverse(self) -> Op:
        return TransactionBreak()

    def apply(self, schema: Schema) -> None:
        """A transaction boundary changes no schema."""
