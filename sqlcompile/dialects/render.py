"""What renderers produce and read: the render context, and the non-DDL elements.

A renderer turns one op into a list of elements for one dialect: SQLAlchemy DDL elements or
Core statements (compiled later by SQLAlchemy's compiler for the dialect), :class:`RawSQL`,
:class:`Note` (a comment above the next statement) and :class:`Framing` (a request to the
planner). Renderers read the op and the schema model before it (``ctx.schema``); they never
write into either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import schema as sa_schema
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter

from sqlcompile.errors import CompileError

if TYPE_CHECKING:
    from sqlcompile.dialects.base import DialectSupport
    from sqlcompile.ops.base import Op
    from sqlcompile.schema.model import Schema


@dataclass(frozen=True)
class RawSQL:
    """SQL text taken verbatim from the script author, never parsed for bind parameters."""

    text: str


@dataclass(frozen=True)
class Note:
    """A comment line placed above the next statement (e.g. a feature stated, not rendered)."""

    text: str


@dataclass(frozen=True)
class Framing:
    """A request to the planner about the transactions around this op (no statement itself):
    ``name`` is read by the dialect's ``frame_sql()`` (e.g. a pragma set outside them)."""

    name: str


class InlineLiteral(BindParameter[Any]):
    """`op.inline_literal(value)`: a bound value always rendered inline as a literal, as
    Alembic's is (so the statement carries it, however it is compiled)."""

    inherit_cache = True


@compiles(InlineLiteral)
def _inline_literal(element: InlineLiteral, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.render_literal_bindparam(element, **kw))  # type: ignore[no-untyped-call]


T = TypeVar("T")

Element = Any  # an SQLAlchemy ClauseElement / ExecutableDDLElement, RawSQL, Note or Framing

#: A renderer: (op, context) -> elements.
Renderer = Callable[[Any, "RenderContext"], list[Element]]


@dataclass
class RenderContext:
    """What a renderer reads: the dialect, where the op came from, and the model before it."""

    dialect: DialectSupport
    where: str  # "revision abc123 (upgrade)", for messages
    hand_written: str = ""  # where hand-written SQL for this revision would go
    #: The schema model just before the op (None when rendering without one); read only.
    schema: Schema | None = None
    #: The Framing names the ops asked for (see :class:`Framing`).
    framing: set[str] = field(default_factory=set)
    #: The op was recorded inside an autocommit_block() (or needs one, see
    #: DialectSupport.needs_autocommit).
    autocommit: bool = False
    #: What compiling decided that the author should hear of (one line each, no newline).
    warnings: list[str] = field(default_factory=list)
    #: The ops recorded after this one in the same upgrade() or downgrade(), as recorded (not
    #: completed from the model): for a statement that depends on what follows; read only.
    later: tuple[Op, ...] = ()

    def fail(self, op: Op, reason: str, hint: str | None = None) -> CompileError:
        """A compile error naming the revision and the operation."""
        return CompileError(
            f"{self.where}: {op.describe()} cannot be compiled for {self.dialect.title}: {reason}",
            hint=hint or (
                "skip or replace it for this dialect (branch on "
                "op.get_context().dialect.name), or write this revision's SQL by hand in "
                f"{self.hand_written}"
            ),
        )

    def render(self, op: Op, schema: Schema | None = None) -> list[Element]:
        """``op`` rendered for this dialect (checked against what it can express), with
        ``schema`` as the model before it when given (else this context's)."""
        ctx = self if schema is None else RenderContext(
            self.dialect, self.where, self.hand_written, schema, self.framing, self.autocommit,
            self.warnings, self.later)
        return self.dialect.render(op, ctx)


def by_class(table: Mapping[type, T], kind: type) -> T | None:
    """``table``'s entry for class ``kind``, or for its nearest base that has one (None when
    no class of its MRO has one): how every per-op-class table is read."""
    for base in kind.__mro__:
        found = table.get(base)
        if found is not None:
            return found
    return None


def other_dialect_notes(ctx: RenderContext, options: Any, what: str) -> list[Note]:
    """Notes for keyword options (``postgresql_include=...``) meant for another dialect: they
    are not rendered for this one, and the file says so rather than dropping them silently."""
    from sqlcompile.dialects import known_dialects

    mine = {ctx.dialect.name, *ctx.dialect.option_aliases}
    others = set(known_dialects()) - mine
    notes = []
    for key, value in sorted(dict(options).items()):
        prefix = key.split("_", 1)[0]
        if prefix in others:
            notes.append(Note(f"{what} option {key}={value!r} is for another dialect; "
                              f"{ctx.dialect.title} does not use it"))
    return notes


def comment_elements(ctx: RenderContext, table: sa.Table) -> list[Element]:
    """COMMENT ON statements for a table and its columns, or a note where comments don't exist."""
    commented = [c for c in table.columns if c.comment is not None]
    if table.comment is None and not commented:
        return []
    dialect = ctx.dialect.sa_dialect
    if not ctx.dialect.supports_comments:
        lines = [f"table {table.name}: {table.comment}"] if table.comment is not None else []
        lines += [f"column {table.name}.{c.name}: {c.comment}" for c in commented]
        return [Note(f"{ctx.dialect.title} has no comments; stated here instead: {line}")
                for line in lines]
    if dialect.inline_comments:
        return []
    out: list[Element] = []
    if table.comment is not None:
        out.append(sa_schema.SetTableComment(table))
    out.extend(sa_schema.SetColumnComment(c) for c in commented)
    return out


def table_name_only(name: str, schema: str | None = None) -> sa.TableClause:
    """A lightweight table reference for statements that only need its quoted name."""
    return sa.table(name, schema=schema)
