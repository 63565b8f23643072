"""The operation base class and its registry.

An operation is plain, frozen data recorded from one `op.*` call (or built by autogenerate or
the raw-SQL front end). Each class declares:

* ``op_name``: the `op.*` method it is recorded from, and ``record()``, that method's
  Alembic-compatible signature;
* ``apply()``: how it changes the schema model (see :mod:`sqlcompile.schema`);
* ``completed()``: the op with what the script left out (``existing_*`` arguments, the
  definition of what it drops) taken from the model before it: a new op, never a change to
  this one, so what a recording holds does not depend on what was compiled before;
* ``reverse()``: the operation that undoes it, or :class:`IrreversibleOperation`.

Ops hold no SQL and no dialect knowledge: how each dialect renders an op is a table in
:mod:`sqlcompile.dialects` (``default.RENDERERS`` and each dialect's overrides).
Registering is automatic (subclassing), so the `op` proxy, the batch proxy and the test that
every op has a renderer and a reverse all read the same table.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields, is_dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa

if TYPE_CHECKING:
    from sqlcompile.schema.model import Schema
    from sqlcompile.sources.recorder import Recorder

OPS: dict[str, type[Op]] = {}


class IrreversibleOperation(Exception):
    """The operation carries too little to be undone (e.g. raw SQL, or a drop without its def)."""


@dataclass
class Recorded:
    """One recorded operation; ``autocommit`` when recorded inside an autocommit_block()."""

    op: Op
    autocommit: bool
    line: int | None = None  # the script line that recorded it, for compile errors
    #: Which `batch_alter_table` block recorded it (numbered per script run), if any.
    batch: int | None = None


def table_for(
    name: str, *items: Any, schema: str | None = None, **kw: Any
) -> sa.Table:
    """A throwaway Table in its own MetaData, to give an op's SQLAlchemy form a table."""
    return sa.Table(name, sa.MetaData(), *items, schema=schema, **kw)


def checked_type(value: Any, what: str) -> Any:
    """``value`` when it is an SQLAlchemy type (an instance or a class), or None; else the
    script's error, as Alembic meets it too (a type spelled as a string, say)."""
    if value is None or isinstance(value, sa.types.TypeEngine) or (
            isinstance(value, type) and issubclass(value, sa.types.TypeEngine)):
        return value
    from sqlcompile.errors import ScriptError

    raise ScriptError(f"{what} must be an SQLAlchemy type (sa.Integer(), sa.String(20), ...), "
                      f"got {value!r}")


def checked_foreign_keys(table: sa.Table) -> sa.Table:
    """``table`` when each foreign key names its target as `table.column` (or a Column);
    else the script's error, which SQLAlchemy would raise later, with no line."""
    for fk in table.foreign_keys:
        spec = fk._colspec
        if isinstance(spec, str) and "." not in spec:
            from sqlcompile.errors import ScriptError

            raise ScriptError(f"sa.ForeignKey({spec!r}) on column {fk.parent.name!r} names no "
                              "table: write the target as 'table.column'")
    return table


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

    #: Fields that describe the schema before the op (``existing_*``): they inform reverse()
    #: and the dialects that restate a column, and need not change every dialect's SQL.
    informational: ClassVar[frozenset[str]] = frozenset()

    def reverse(self, before: Schema | None = None) -> Op:
        """The op that undoes this one; ``before`` is the model before this op, where the op
        does not carry what it drops."""
        raise NotImplementedError

    def completed(self, before: Schema) -> Op:
        """This op with what the script left out taken from ``before`` (the model before
        it); itself when nothing is missing."""
        return self

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
