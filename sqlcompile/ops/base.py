"""The operation base class, its registry, and the context operations render in.

An operation is plain data recorded from one `op.*` call. Each class declares:

* ``op_name``: the `op.*` method it is recorded from, and ``record()``, that method's
  Alembic-compatible signature;
* ``elements()``: the SQLAlchemy statements (DDL elements or Core statements) that express it,
  compiled later by SQLAlchemy's own compiler for the target dialect;
* ``reverse()``: the operation that undoes it, or :class:`IrreversibleOperation`;
* ``apply()``: how it changes the schema model (see :mod:`sqlcompile.schema`), and
  ``complete()``: what it takes from the model that the script left out (``existing_*``
  arguments, the definition of what it drops).

Registering is automatic (subclassing), so the `op` proxy, the batch proxy and the test that
every op has a renderer and a reverse all read the same table.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields, is_dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa

from sqlcompile.errors import CompileError

if TYPE_CHECKING:
    from sqlcompile.dialects.base import DialectSupport
    from sqlcompile.schema.model import Schema
    from sqlcompile.sources.recorder import Recorder

OPS: dict[str, type[Op]] = {}


class IrreversibleOperation(Exception):
    """The operation carries too little to be undone (e.g. raw SQL, or a drop without its def)."""


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


Element = Any  # an SQLAlchemy ClauseElement / ExecutableDDLElement, RawSQL, Note or Framing


@dataclass
class RenderContext:
    """What an operation needs to render: the dialect and where the op came from."""

    dialect: DialectSupport
    where: str  # "revision abc123 (upgrade)", for messages
    hand_written: str = ""  # where hand-written SQL for this revision would go
    #: The schema model just before the op (None when rendering without one).
    schema: Schema | None = None
    #: The Framing names the ops asked for (see :class:`Framing`).
    framing: set[str] = field(default_factory=set)

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


@dataclass
class Recorded:
    """One recorded operation; ``autocommit`` when recorded inside an autocommit_block()."""

    op: Op
    autocommit: bool
    line: int | None = None  # the script line that recorded it, for compile errors
    #: Which `batch_alter_table` block recorded it (numbered per script run), if any.
    batch: int | None = None


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


def table_for(
    name: str, *items: Any, schema: str | None = None, **kw: Any
) -> sa.Table:
    """A throwaway Table in its own MetaData, to give DDL elements a table to name."""
    return sa.Table(name, sa.MetaData(), *items, schema=schema, **kw)


def table_name_only(name: str, schema: str | None = None) -> sa.TableClause:
    """A lightweight table reference for statements that only need its quoted name."""
    return sa.table(name, schema=schema)


def qualified(name: str, schema: str | None) -> str:
    """`schema.name` or `name`, for messages."""
    return f"{schema}.{name}" if schema else name


class Op:
    """Base of all operations (see the module docstring)."""

    op_name: ClassVar[str]
    #: False for ops recorded by other means than an `op.<op_name>` call.
    public: ClassVar[bool] = True
    #: Position of the table name among `record()`'s positional arguments, for batch mode;
    #: None when the op cannot be used inside batch_alter_table.
    batch_table_arg: ClassVar[int | None] = None

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        name = cls.__dict__.get("op_name")
        if name is not None:
            OPS[name] = cls

    @classmethod
    def record(cls, recorder: Recorder, *args: Any, **kw: Any) -> Any:
        """Build the op from an `op.*` call and hand it to ``recorder``."""
        raise NotImplementedError

    def elements(self, ctx: RenderContext) -> list[Element]:
        """The statements expressing this op for ``ctx.dialect``."""
        raise NotImplementedError

    def reverse(self) -> Op:
        """The op that undoes this one."""
        raise NotImplementedError

    def complete(self, schema: Schema) -> None:
        """Fill in from the model (the schema before this op) what the script left out."""

    def apply(self, schema: Schema) -> None:
        """Change the model as this op changes the database."""
        raise NotImplementedError

    def describe(self) -> str:
        """Short human description: `op_name target`."""
        return self.op_name

    def carried_text(self) -> Iterator[tuple[str, str]]:
        """The strings this op carries into SQL, each with where it is (for messages that
        point at one value): its string fields by default."""
        if is_dataclass(self):
            for item in fields(self):
                value = getattr(self, item.name)
                if isinstance(value, str):
                    yield item.name, value
