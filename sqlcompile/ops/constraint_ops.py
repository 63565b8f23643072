"""Operations on indexes and constraints."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnClause

from sqlcompile.ops.base import IrreversibleOperation, Op, qualified, table_for
from sqlcompile.schema.convert import constraint_name, sql_text
from sqlcompile.schema.model import (
    CheckModel,
    Constraint,
    ForeignKeyModel,
    KeyModel,
    constraint_text,
)

if TYPE_CHECKING:
    from sqlcompile.schema.model import Schema, TableModel
    from sqlcompile.sources.recorder import Recorder


def columns_table(name: str, columns: Sequence[Any], schema: str | None) -> sa.Table:
    """A table carrying the named columns (expressions are left out)."""
    names = [c for c in columns if isinstance(c, str)]
    return table_for(name, *[sa.Column(c, sa.types.NULLTYPE) for c in dict.fromkeys(names)],
                     schema=schema)


def column_expression(table: sa.Table, column: Any) -> Any:
    """A column name becomes the table's column; text and expressions stay as given."""
    if isinstance(column, str):
        return table.c[column]
    return column


class AddConstraintOp(Op):
    """Base of the create_*_constraint operations (`ALTER TABLE ADD CONSTRAINT`)."""

    constraint_type: ClassVar[str]
    constraint_name: str | None
    table_name: str
    schema: str | None

    def constraint(self) -> sa.Constraint:
        raise NotImplementedError

    def describe(self) -> str:
        return f"{self.op_name} {self.constraint_name} on {qualified(self.table_name, self.schema)}"

    def reverse(self, before: Schema | None = None) -> Op:
        return DropConstraint(
            self.constraint_name or "", self.table_name, self.constraint_type, self.schema,
            definition=self,
        )

    def apply(self, schema: Schema) -> None:
        table = schema.known(self.table_name, self.schema, self.describe())
        if table is not None:
            schema.put(self.added_to(table, schema))

    def added_to(self, table: TableModel, schema: Schema) -> TableModel:
        """``table`` with this constraint added."""
        raise NotImplementedError


@dataclass(frozen=True)
class CreatePrimaryKey(AddConstraintOp):
    """Add a primary key."""

    op_name: ClassVar[str] = "create_primary_key"
    batch_table_arg: ClassVar[int | None] = 1
    constraint_type: ClassVar[str] = "primary"
    constraint_name: str | None
    table_name: str
    columns: Sequence[str]
    schema: str | None = None

    @classmethod
    def record(
        cls, recorder: Recorder, constraint_name: str | None, table_name: str,
        columns: Sequence[str], *, schema: str | None = None,
    ) -> None:
        recorder.add(cls(constraint_name, table_name, list(columns), schema))

    def constraint(self) -> sa.Constraint:
        table = columns_table(self.table_name, self.columns, self.schema)
        pk = sa.PrimaryKeyConstraint(*[table.c[c] for c in self.columns], name=self.constraint_name)
        table.append_constraint(pk)
        return pk

    def added_to(self, table: TableModel, schema: Schema) -> TableModel:
        key = KeyModel(constraint_name(self.constraint_name), tuple(self.columns))
        return replace(table, primary_key=key, columns=tuple(
            replace(c, nullable=False) if c.name in key.columns else c for c in table.columns))


@dataclass(frozen=True)
class CreateForeignKey(AddConstraintOp):
    """Add a foreign key."""

    op_name: ClassVar[str] = "create_foreign_key"
    batch_table_arg: ClassVar[int | None] = 1
    constraint_type: ClassVar[str] = "foreignkey"
    constraint_name: str | None
    table_name: str
    referent_table: str
    local_cols: Sequence[str]
    remote_cols: Sequence[str]
    schema: str | None = None
    referent_schema: str | None = None
    onupdate: str | None = None
    ondelete: str | None = None
    deferrable: bool | None = None
    initially: str | None = None
    match: str | None = None
    kw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def record(
        cls,
        recorder: Recorder,
        constraint_name: str | None,
        source_table: str,
        referent_table: str,
        local_cols: Sequence[str],
        remote_cols: Sequence[str],
        *,
        onupdate: str | None = None,
        ondelete: str | None = None,
        deferrable: bool | None = None,
        initially: str | None = None,
        match: str | None = None,
        source_schema: str | None = None,
        referent_schema: str | None = None,
        schema: str | None = None,
        **kw: Any,
    ) -> None:
        recorder.add(
            cls(
                constraint_name, source_table, referent_table, list(local_cols),
                list(remote_cols), source_schema or schema, referent_schema, onupdate,
                ondelete, deferrable, initially, match, kw,
            )
        )

    def constraint(self) -> sa.Constraint:
        metadata = sa.MetaData()
        source = sa.Table(
            self.table_name, metadata,
            *[sa.Column(c, sa.types.NULLTYPE) for c in dict.fromkeys(self.local_cols)],
            schema=self.schema,
        )
        if (self.referent_table, self.referent_schema) == (self.table_name, self.schema):
            referent = source
            for c in self.remote_cols:
                if c not in referent.c:
                    referent.append_column(sa.Column(c, sa.types.NULLTYPE))
        else:
            referent = sa.Table(
                self.referent_table, metadata,
                *[sa.Column(c, sa.types.NULLTYPE) for c in dict.fromkeys(self.remote_cols)],
                schema=self.referent_schema,
            )
        fk = sa.ForeignKeyConstraint(
            [source.c[c] for c in self.local_cols],
            [referent.c[c] for c in self.remote_cols],
            name=self.constraint_name,
            onupdate=self.onupdate,
            ondelete=self.ondelete,
            deferrable=self.deferrable,
            initially=self.initially,
            match=self.match,
            **self.kw,
        )
        source.append_constraint(fk)
        return fk

    def added_to(self, table: TableModel, schema: Schema) -> TableModel:
        fk = ForeignKeyModel(
            constraint_name(self.constraint_name), tuple(self.local_cols), self.referent_schema,
            self.referent_table, tuple(self.remote_cols), self.ondelete, self.onupdate,
            self.deferrable, self.initially, self.match, tuple(sorted(self.kw.items())))
        return replace(table, foreign_keys=(*table.foreign_keys, fk))


@dataclass(frozen=True)
class CreateUniqueConstraint(AddConstraintOp):
    """Add a unique constraint."""

    op_name: ClassVar[str] = "create_unique_constraint"
    batch_table_arg: ClassVar[int | None] = 1
    constraint_type: ClassVar[str] = "unique"
    constraint_name: str | None
    table_name: str
    columns: Sequence[str]
    schema: str | None = None
    kw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def record(
        cls, recorder: Recorder, constraint_name: str | None, table_name: str,
        columns: Sequence[str], *, schema: str | None = None, **kw: Any,
    ) -> None:
        recorder.add(cls(constraint_name, table_name, list(columns), schema, kw))

    def constraint(self) -> sa.Constraint:
        table = columns_table(self.table_name, self.columns, self.schema)
        unique = sa.UniqueConstraint(
            *[table.c[c] for c in self.columns], name=self.constraint_name, **self.kw
        )
        table.append_constraint(unique)
        return unique

    def added_to(self, table: TableModel, schema: Schema) -> TableModel:
        unique = KeyModel(constraint_name(self.constraint_name), tuple(self.columns),
                          tuple(sorted(self.kw.items())))
        return replace(table, uniques=(*table.uniques, unique))


@dataclass(frozen=True)
class CreateCheckConstraint(AddConstraintOp):
    """Add a check constraint."""

    op_name: ClassVar[str] = "create_check_constraint"
    batch_table_arg: ClassVar[int | None] = 1
    constraint_type: ClassVar[str] = "check"
    constraint_name: str | None
    table_name: str
    condition: Any
    schema: str | None = None
    kw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def record(
        cls, recorder: Recorder, constraint_name: str | None, table_name: str, condition: Any,
        *, schema: str | None = None, **kw: Any,
    ) -> None:
        recorder.add(cls(constraint_name, table_name, condition, schema, kw))

    def constraint(self) -> sa.Constraint:
        table = table_for(self.table_name, schema=self.schema)
        condition = sa.text(self.condition) if isinstance(self.condition, str) else self.condition
        check = sa.CheckConstraint(condition, name=self.constraint_name, **self.kw)
        table.append_constraint(check)
        return check

    def added_to(self, table: TableModel, schema: Schema) -> TableModel:
        check = CheckModel(constraint_name(self.constraint_name),
                           sql_text(self.condition, schema.dialect),
                           tuple(sorted(self.kw.items())))
        return replace(table, checks=(*table.checks, check))


#: The constraint kinds `drop_constraint(type_=...)` takes, each with a nameless stand-in of
#: its SQLAlchemy class (what DROP CONSTRAINT is compiled from).
_CONSTRAINT_CLASSES: dict[str | None, Any] = {
    "foreignkey": lambda name: sa.ForeignKeyConstraint([], [], name=name),
    "primary": lambda name: sa.PrimaryKeyConstraint(name=name),
    "unique": lambda name: sa.UniqueConstraint(name=name),
    "check": lambda name: sa.CheckConstraint("", name=name),
    None: lambda name: sa.schema.Constraint(name=name),
}


def constraint_stand_in(type_: str | None, name: str) -> sa.Constraint:
    """A constraint of kind ``type_`` called ``name``, with nothing else (for dropping it)."""
    constraint: sa.Constraint = _CONSTRAINT_CLASSES[type_](name)
    return constraint


@dataclass(frozen=True)
class DropConstraint(Op):
    """Drop a constraint, named or (name None) the table's one unnamed one of ``type_``."""

    # With no name (`drop_constraint(None, "t", type_=...)`, as autogenerate writes for a
    # constraint created without one) completed() finds the model's only unnamed constraint of
    # that kind (`found`); the dialect drops it by the name its server gave it
    # (`found.server_name`) or looks that name up in the file.

    op_name: ClassVar[str] = "drop_constraint"
    #: ``type_`` says what kind the dropped constraint is: the dialects that drop each kind
    #: their own way need it (MySQL), DROP CONSTRAINT does not; ``definition`` is for
    #: reverse(); ``found`` is the model's unnamed constraint a nameless drop removes.
    informational: ClassVar[frozenset[str]] = frozenset({"definition", "type_", "found"})
    batch_table_arg: ClassVar[int | None] = 1
    constraint_name: str | None
    table_name: str
    type_: str | None = None
    schema: str | None = None
    if_exists: bool | None = None
    definition: AddConstraintOp | None = None
    found: Constraint | None = None

    @classmethod
    def record(
        cls, recorder: Recorder, constraint_name: str | None, table_name: str,
        type_: str | None = None, *, schema: str | None = None, if_exists: bool | None = None,
    ) -> None:
        from sqlcompile.errors import ScriptError

        known = ", ".join(sorted(k for k in _CONSTRAINT_CLASSES if k))
        if type_ not in _CONSTRAINT_CLASSES:
            raise ScriptError(f"drop_constraint: unknown type_ {type_!r} (known: {known})")
        if constraint_name is None and type_ is None:
            raise ScriptError("drop_constraint: a constraint without a name is found by its "
                              f"kind, and no type_ was given (one of: {known})",
                              hint="pass type_=..., or the constraint's name")
        recorder.add(cls(constraint_name, table_name, type_, schema, if_exists))

    def describe(self) -> str:
        table = qualified(self.table_name, self.schema)
        if self.constraint_name is None:
            return f"drop_constraint (unnamed {self.type_}) on {table}"
        return f"drop_constraint {self.constraint_name} on {table}"

    def reverse(self, before: Schema | None = None) -> Op:
        op = self.completed(before) if before is not None else self
        if op.definition is None:
            raise IrreversibleOperation(
                f"{self.describe()}: the constraint's definition is unknown"
            )
        return op.definition

    def completed(self, before: Schema) -> DropConstraint:
        table = before.table(self.table_name, self.schema)
        if table is None:
            return self
        if self.constraint_name is None:
            found = self.found if self.found is not None else self.unnamed(table, before)
            definition = self.definition or constraint_op(table, None, found)
            return replace(self, found=found, definition=definition)
        type_ = self.type_
        if type_ is None:
            kinds = [kind for kind, name in table.constraint_names()
                     if name == self.constraint_name]
            if len(kinds) == 1:
                type_ = kinds[0]
        definition = self.definition or constraint_op(table, self.constraint_name)
        if definition is None:  # dropped by the name its server gave it
            by_server = [c for c in table.unnamed_constraints(type_)
                         if c.server_name == self.constraint_name]
            if len(by_server) == 1:
                definition = constraint_op(table, None, by_server[0])
        if type_ == self.type_ and definition is self.definition:
            return self
        return replace(self, type_=type_, definition=definition)

    def candidates(self, table: TableModel, schema: Schema) -> tuple[Constraint, ...]:
        """The unnamed constraints of kind ``type_`` on ``table`` this drop may mean: in a
        downgrade, of several, the one the revision's own upgrade made (autogenerate writes
        `create_foreign_key(None, ...)` up and `drop_constraint(None, ...)` down)."""
        found = table.unnamed_constraints(self.type_)
        if len(found) > 1 and schema.undoing:
            mine = tuple(c for c in found if c.origin == schema.undoing)
            if len(mine) == 1:
                return mine
        return found

    def unnamed(self, table: TableModel, schema: Schema) -> Constraint:
        """The model's one unnamed constraint of kind ``type_`` on ``table``; none or several
        are the script's error (the name tells which one to drop)."""
        from sqlcompile.errors import CompileError

        candidates = self.candidates(table, schema)
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            raise CompileError(
                f"{self.describe()}: the schema model has no unnamed {self.type_} constraint "
                f"on table {table.title}",
                hint="name the constraint to drop (the name its server gave it), or check "
                     "type_= and the table")
        listed = "; ".join(constraint_text(c) for c in candidates)
        raise CompileError(
            f"{self.describe()}: table {table.title} has {len(candidates)} unnamed "
            f"{self.type_} constraints ({listed}), and a drop without a name cannot tell "
            "which one is meant",
            hint="name the constraint when it is created (name=...) and drop it by that "
                 "name, or drop it by the name its server gave it")

    def apply(self, schema: Schema) -> None:
        table = schema.known(self.table_name, self.schema, self.describe())
        if table is None:
            return
        if self.constraint_name is None:
            candidates = self.candidates(table, schema)
            if len(candidates) == 1:
                schema.put(table.without_item(candidates[0]))
            else:
                schema.mark_incomplete(f"{self.describe()}: the model has "
                                       f"{len(candidates)} such constraints, not one")
            return
        if any(name == self.constraint_name for _, name in table.constraint_names()):
            schema.put(table.without_constraint(self.constraint_name))
            return
        by_server = [c for c in table.unnamed_constraints(self.type_)
                     if c.server_name == self.constraint_name]
        if len(by_server) == 1:  # dropped by the name the server gave it
            schema.put(table.without_item(by_server[0]))
        elif not self.if_exists:
            schema.mark_incomplete(f"{self.describe()}: the model has no such constraint")


def constraint_op(table: TableModel, name: str | None,
                  item: Constraint | None = None) -> AddConstraintOp | None:
    """The op that would create the model's constraint ``name`` on ``table`` (with ``item``,
    that constraint of the table: an unnamed one)."""

    def wanted(candidate: Any) -> bool:
        return candidate is item if item is not None else candidate.name == name

    pk = table.primary_key
    if pk is not None and wanted(pk):
        return CreatePrimaryKey(pk.name, table.name, list(pk.columns), table.schema)
    for fk in table.foreign_keys:
        if wanted(fk):
            return CreateForeignKey(
                fk.name, table.name, fk.ref_table, list(fk.columns), list(fk.ref_columns),
                table.schema, fk.ref_schema, fk.onupdate, fk.ondelete, fk.deferrable,
                fk.initially, fk.match, dict(fk.options))
    for unique in table.uniques:
        if wanted(unique):
            return CreateUniqueConstraint(unique.name, table.name, list(unique.columns),
                                          table.schema, dict(unique.options))
    for check in table.checks:
        if wanted(check):
            return CreateCheckConstraint(check.name, table.name, check.sqltext, table.schema,
                                         dict(check.options))
    return None


@dataclass(frozen=True)
class CreateExcludeConstraint(AddConstraintOp):
    """Add a PostgreSQL EXCLUDE constraint (elements are (column or expression, operator))."""

    op_name: ClassVar[str] = "create_exclude_constraint"
    batch_table_arg: ClassVar[int | None] = 1
    constraint_type: ClassVar[str] = "exclude"
    constraint_name: str | None
    table_name: str
    elements: tuple[tuple[Any, str], ...]
    schema: str | None = None
    where: Any = None
    using: str | None = None
    deferrable: bool | None = None
    initially: str | None = None
    kw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def record(
        cls, recorder: Recorder, constraint_name: str | None, table_name: str, *elements: Any,
        **kw: Any,
    ) -> None:
        # Alembic's signature: where=, using=, deferrable=, initially=, schema= and the
        # ExcludeConstraint options (ops=) all come as keywords.
        schema = kw.pop("schema", None)
        where = kw.pop("where", None)
        using = kw.pop("using", None)
        deferrable = kw.pop("deferrable", None)
        initially = kw.pop("initially", None)
        if not all(isinstance(e, tuple | list) and len(e) == 2 for e in elements):
            from sqlcompile.errors import ScriptError

            raise ScriptError("create_exclude_constraint: each element is a (column or "
                              "expression, operator) pair, e.g. ('period', '&&')")
        pairs = tuple((element[0], element[1]) for element in elements)
        recorder.add(cls(constraint_name, table_name, pairs, schema, where, using, deferrable,
                         initially, kw))

    def constraint(self) -> sa.Constraint:
        from sqlalchemy.dialects.postgresql import ExcludeConstraint

        names = [expr for expr, _ in self.elements if isinstance(expr, str)]
        names += [expr.name for expr, _ in self.elements
                  if isinstance(expr, ColumnClause) and not isinstance(expr, sa.Column)]
        table = columns_table(self.table_name, names, self.schema)
        elements = [(table.c[expr] if isinstance(expr, str) else expr, operator)
                    for expr, operator in self.elements]
        options: dict[str, Any] = {"using": self.using} if self.using else {}
        where = sa.text(self.where) if isinstance(self.where, str) else self.where
        exclude = ExcludeConstraint(
            *elements, name=self.constraint_name, where=where, deferrable=self.deferrable,
            initially=self.initially, **options, **self.kw,
        )
        table.append_constraint(exclude)
        return exclude

    def reverse(self, before: Schema | None = None) -> Op:
        return DropConstraint(self.constraint_name or "", self.table_name, None, self.schema,
                              definition=self)

    def apply(self, schema: Schema) -> None:
        # The model has no EXCLUDE constraints: it says so rather than pretend.
        if schema.known(self.table_name, self.schema, self.describe()) is not None:
            schema.mark_incomplete(f"{self.describe()}: the schema model does not keep "
                                   "EXCLUDE constraints")

    def added_to(self, table: TableModel, schema: Schema) -> TableModel:
        return table
