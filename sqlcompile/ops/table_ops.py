"""Operations on tables and columns: create/drop/rename table, add/drop/alter column, comments."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa

from sqlcompile.ops.base import (
    IrreversibleOperation,
    Op,
    checked_foreign_keys,
    checked_type,
    qualified,
    table_for,
)
from sqlcompile.schema.convert import (
    check_from_sa,
    created_on,
    default_text,
    ensure_fk_targets,
    sql_fragment,
    table_from_sa,
    to_sa_column,
    to_sa_table,
    type_checks,
)
from sqlcompile.schema.model import CheckModel, ColumnModel, KeyModel, TableModel

if TYPE_CHECKING:
    from sqlcompile.dialects.base import DialectSupport
    from sqlcompile.schema.model import Schema
    from sqlcompile.sources.recorder import Recorder

UNCHANGED: Any = False  # Alembic's marker for "not given" on server_default / comment


@dataclass(frozen=True)
class CreateTable(Op):
    """Create a table with its columns, constraints, indexes and comments."""

    op_name: ClassVar[str] = "create_table"
    table: sa.Table
    if_not_exists: bool | None = None

    @classmethod
    def record(
        cls, recorder: Recorder, table_name: str, *columns: Any,
        if_not_exists: bool | None = None, **kw: Any,
    ) -> sa.Table:
        table = ensure_fk_targets(checked_foreign_keys(
            sa.Table(table_name, sa.MetaData(), *columns, **kw)))
        recorder.fire_table_events(table, "before_create")
        recorder.add(cls(table, if_not_exists))
        return table

    def describe(self) -> str:
        return f"create_table {qualified(self.table.name, self.table.schema)}"

    def reverse(self, before: Schema | None = None) -> Op:
        return DropTable(self.table.name, self.table.schema, table=self.table)

    def apply(self, schema: Schema) -> None:
        if self.if_not_exists and schema.table(self.table.name, self.table.schema):
            return
        schema.put(table_from_sa(self.table, schema.dialect,
                                 include=lambda item: created_on(item, schema.dialect)))


@dataclass(frozen=True)
class DropTable(Op):
    """Drop a table."""

    op_name: ClassVar[str] = "drop_table"
    informational: ClassVar[frozenset[str]] = frozenset({"table"})  # for reverse()
    table_name: str
    schema: str | None = None
    if_exists: bool | None = None
    table: sa.Table | None = None  # its definition, when known (makes the op reversible)

    @classmethod
    def record(
        cls,
        recorder: Recorder,
        table_name: str,
        *,
        schema: str | None = None,
        if_exists: bool | None = None,
        **kw: Any,
    ) -> None:
        recorder.add(cls(table_name, schema, if_exists))

    def describe(self) -> str:
        return f"drop_table {qualified(self.table_name, self.schema)}"

    def reverse(self, before: Schema | None = None) -> Op:
        table = self.table
        if table is None and before is not None:
            known = before.table(self.table_name, self.schema)
            table = to_sa_table(known) if known is not None else None
        if table is None:
            raise IrreversibleOperation(f"{self.describe()}: the table's definition is unknown")
        return CreateTable(table)

    def apply(self, schema: Schema) -> None:
        if schema.remove(self.table_name, self.schema) is None and not self.if_exists:
            schema.mark_incomplete(f"{self.describe()} drops a table the history never created")


@dataclass(frozen=True)
class RenameTable(Op):
    """Rename a table."""

    op_name: ClassVar[str] = "rename_table"
    batch_table_arg: ClassVar[int | None] = None
    old_table_name: str
    new_table_name: str
    schema: str | None = None

    @classmethod
    def record(
        cls, recorder: Recorder, old_table_name: str, new_table_name: str, *,
        schema: str | None = None,
    ) -> None:
        recorder.add(cls(old_table_name, new_table_name, schema))

    def describe(self) -> str:
        return f"rename_table {qualified(self.old_table_name, self.schema)}"

    def reverse(self, before: Schema | None = None) -> Op:
        return RenameTable(self.new_table_name, self.old_table_name, self.schema)

    def apply(self, schema: Schema) -> None:
        table = schema.known(self.old_table_name, self.schema, self.describe())
        if table is None:
            return
        schema.remove(self.old_table_name, self.schema,
                      renamed_to=(self.schema, self.new_table_name))
        table = schema.forget_triggers(table, table.triggers, "the table was renamed")
        schema.put(replace(table, name=self.new_table_name))
        old_key = (self.schema, self.old_table_name)
        # Keys pointing at the old name follow it, the renamed table's own included.
        for other in schema.referencing(old_key):
            schema.put(replace(other, foreign_keys=tuple(
                replace(fk, ref_table=self.new_table_name) if schema.same_table(fk.ref_key, old_key)
                else fk
                for fk in other.foreign_keys)))


@dataclass(frozen=True)
class AddColumn(Op):
    """Add a column, with the foreign keys, index and comment it declares."""

    op_name: ClassVar[str] = "add_column"
    batch_table_arg: ClassVar[int | None] = 0
    table_name: str
    column: sa.Column[Any]
    schema: str | None = None
    if_not_exists: bool | None = None
    inline_references: bool = False  # REFERENCES in the column definition, not a constraint
    inline_primary_key: bool = False  # PRIMARY KEY in the column definition

    @classmethod
    def record(
        cls,
        recorder: Recorder,
        table_name: str,
        column: sa.Column[Any],
        *,
        schema: str | None = None,
        if_not_exists: bool | None = None,
        inline_references: bool | None = None,
        inline_primary_key: bool | None = None,
        insert_before: str | None = None,
        insert_after: str | None = None,
    ) -> None:
        # insert_before/insert_after order the columns of a table rebuilt by a batch block
        # (the batch proxy keeps them for that); ADD COLUMN appends.
        ensure_fk_targets(checked_foreign_keys(table_for(table_name, column, schema=schema)))
        recorder.add(cls(table_name, column, schema, if_not_exists, bool(inline_references),
                         bool(inline_primary_key)))

    def describe(self) -> str:
        return f"add_column {qualified(self.table_name, self.schema)}.{self.column.name}"

    def reverse(self, before: Schema | None = None) -> Op:
        return DropColumn(self.table_name, self.column.name, self.schema, column=self.column)

    def apply(self, schema: Schema) -> None:
        table = schema.known(self.table_name, self.schema, self.describe())
        if table is None:
            return
        if table.column(self.column.name) is not None:
            if not self.if_not_exists:
                schema.mark_incomplete(f"{self.describe()}: the model already has this column")
            return
        added = table_from_sa(self.column.table, schema.dialect)
        # Only this column: a self-referencing key gave its throwaway table a stand-in target.
        added = replace(added, columns=tuple(c for c in added.columns
                                             if c.name == self.column.name))
        primary_key = table.primary_key
        if self.column.primary_key:
            primary_key = KeyModel(
                primary_key.name if primary_key else None,
                (*(primary_key.columns if primary_key else ()), self.column.name),
            )
        schema.put(replace(
            table,
            columns=(*table.columns, *added.columns),
            primary_key=primary_key,
            foreign_keys=(*table.foreign_keys, *added.foreign_keys),
            uniques=(*table.uniques, *added.uniques),
            checks=(*table.checks, *added.checks),
            indexes=(*table.indexes, *added.indexes),
        ))


@dataclass(frozen=True)
class DropColumn(Op):
    """Drop a column."""

    op_name: ClassVar[str] = "drop_column"
    informational: ClassVar[frozenset[str]] = frozenset({"column"})  # for reverse()
    batch_table_arg: ClassVar[int | None] = 0
    table_name: str
    column_name: str
    schema: str | None = None
    column: sa.Column[Any] | None = None  # its definition, when known
    if_exists: bool | None = None
    kw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def record(
        cls,
        recorder: Recorder,
        table_name: str,
        column_name: str,
        *,
        schema: str | None = None,
        if_exists: bool | None = None,
        **kw: Any,
    ) -> None:
        recorder.add(cls(table_name, column_name, schema, None, if_exists, kw))

    def describe(self) -> str:
        return f"drop_column {qualified(self.table_name, self.schema)}.{self.column_name}"

    def reverse(self, before: Schema | None = None) -> Op:
        column = self.column
        if column is None and before is not None:
            table = before.table(self.table_name, self.schema)
            known = table.column(self.column_name) if table is not None else None
            if known is not None:
                column = to_sa_column(known)
                table_for(self.table_name, column, schema=self.schema)
        if column is None:
            raise IrreversibleOperation(f"{self.describe()}: the column's definition is unknown")
        copy = column._copy()
        table_for(self.table_name, copy, schema=self.schema)  # as record() gives it a table
        return AddColumn(self.table_name, copy, self.schema)

    def apply(self, schema: Schema) -> None:
        table = schema.known(self.table_name, self.schema, self.describe())
        if table is None:
            return
        if table.column(self.column_name) is None:
            if not self.if_exists:
                schema.mark_incomplete(f"{self.describe()}: the model has no such column")
            return
        schema.put(table.without_column(self.column_name))


@dataclass(frozen=True)
class AlterColumn(Op):
    """Change a column's type, nullability, server default or comment, or rename it."""

    op_name: ClassVar[str] = "alter_column"
    informational: ClassVar[frozenset[str]] = frozenset({
        "existing_type", "existing_server_default", "existing_nullable", "existing_comment"})
    batch_table_arg: ClassVar[int | None] = 0
    table_name: str
    column_name: str
    schema: str | None = None
    nullable: bool | None = None
    server_default: Any = UNCHANGED
    new_column_name: str | None = None
    type_: Any = None
    comment: Any = UNCHANGED
    existing_type: Any = None
    existing_server_default: Any = UNCHANGED
    existing_nullable: bool | None = None
    existing_comment: str | None = None
    kw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def record(
        cls,
        recorder: Recorder,
        table_name: str,
        column_name: str,
        *,
        nullable: bool | None = None,
        comment: Any = UNCHANGED,
        server_default: Any = UNCHANGED,
        new_column_name: str | None = None,
        type_: Any = None,
        existing_type: Any = None,
        existing_server_default: Any = UNCHANGED,
        existing_nullable: bool | None = None,
        existing_comment: str | None = None,
        schema: str | None = None,
        insert_before: str | None = None,
        insert_after: str | None = None,
        **kw: Any,
    ) -> None:
        # insert_before/insert_after: batch_op.alter_column takes them, and Alembic's batch
        # mode does nothing with them (they do not move an existing column); nor does this.
        checked_type(type_, "alter_column(type_=...)")
        checked_type(existing_type, "alter_column(existing_type=...)")
        recorder.add(
            cls(
                table_name, column_name, schema, nullable, server_default, new_column_name,
                type_, comment, existing_type, existing_server_default, existing_nullable,
                existing_comment, kw,
            )
        )

    def describe(self) -> str:
        return f"alter_column {qualified(self.table_name, self.schema)}.{self.column_name}"

    def changes(self) -> list[str]:
        """Names of the properties this call changes, in rendering order."""
        wanted = [
            ("type", self.type_ is not None),
            ("nullable", self.nullable is not None),
            ("server_default", self.server_default is not UNCHANGED),
            ("comment", self.comment is not UNCHANGED),
            ("name", self.new_column_name is not None),
        ]
        return [name for name, changed in wanted if changed]

    def reverse(self, before: Schema | None = None) -> Op:
        if before is not None:
            return self.completed(before).reverse()
        if self.type_ is not None and self.existing_type is None:
            raise IrreversibleOperation(f"{self.describe()}: existing_type is not given")
        if self.nullable is not None and self.existing_nullable is None:
            raise IrreversibleOperation(f"{self.describe()}: existing_nullable is not given")
        if self.server_default is not UNCHANGED and self.existing_server_default is UNCHANGED:
            raise IrreversibleOperation(f"{self.describe()}: existing_server_default is not given")
        return AlterColumn(
            self.table_name,
            self.new_column_name or self.column_name,
            self.schema,
            nullable=self.existing_nullable if self.nullable is not None else None,
            server_default=(
                self.existing_server_default if self.server_default is not UNCHANGED
                else UNCHANGED
            ),
            new_column_name=self.column_name if self.new_column_name else None,
            type_=self.existing_type if self.type_ is not None else None,
            comment=self.existing_comment if self.comment is not UNCHANGED else UNCHANGED,
            existing_type=self.type_ or self.existing_type,
            existing_server_default=(
                self.server_default if self.server_default is not UNCHANGED
                else self.existing_server_default
            ),
            existing_nullable=self.nullable if self.nullable is not None
            else self.existing_nullable,
            existing_comment=self.comment if self.comment is not UNCHANGED
            else self.existing_comment,
            # A USING expression converts to this op's type, not back to the old one.
            kw={key: value for key, value in self.kw.items() if not key.endswith("_using")},
        )

    def completed(self, before: Schema) -> AlterColumn:
        column = self.current(before)
        if column is None:
            return self
        changes: dict[str, Any] = {}
        if self.existing_type is None:
            changes["existing_type"] = column.type
        if self.existing_nullable is None:
            changes["existing_nullable"] = column.nullable
        if self.existing_server_default is UNCHANGED:
            changes["existing_server_default"] = (sql_fragment(column.default)
                                                  if column.default is not None else None)
        if self.existing_comment is None:
            changes["existing_comment"] = column.comment
        return replace(self, **changes) if changes else self

    def current(self, schema: Schema | None) -> ColumnModel | None:
        """The column as the model knows it before this op, if it does."""
        table = schema.table(self.table_name, self.schema) if schema is not None else None
        return table.column(self.column_name) if table is not None else None

    def disagreements(self, column: ColumnModel,
                      dialect: DialectSupport) -> dict[str, tuple[Any, str, str]]:
        """The ``existing_*`` arguments the script gave that say another thing than the
        model's ``column``: {property: (value, as given, as the model has it)}; completion
        fills in only what was not given, so a difference is the script's own statement."""
        out: dict[str, tuple[Any, str, str]] = {}
        if self.existing_type is not None:
            given = sa.types.to_instance(self.existing_type)
            # (the model's own type object, as completion gives it, states the same type)
            if given is not column.type:
                given_key, model_key = dialect.type_key(given), dialect.type_key(column.type)
                if given_key != model_key:
                    out["type"] = (given, given_key, model_key)
        if self.existing_nullable is not None and self.existing_nullable != column.nullable:
            out["nullable"] = (self.existing_nullable, str(self.existing_nullable),
                               str(column.nullable))
        if self.existing_server_default is not UNCHANGED:
            default = self.existing_server_default
            text = _server_default(None if default is False else default, column.name,
                                   column.type, dialect)[0]
            if _default_key(text, dialect) != _default_key(column.default, dialect):
                out["default"] = (text, str(text), str(column.default))
        if self.existing_comment is not None and self.existing_comment != column.comment:
            out["comment"] = (self.existing_comment, repr(self.existing_comment),
                              repr(column.comment))
        return out

    def stated(self, column: ColumnModel, dialect: DialectSupport,
               found: dict[str, tuple[Any, str, str]] | None = None) -> ColumnModel:
        """``column`` as this op's explicit ``existing_*`` arguments state it, for the
        properties the dialect restates when it alters a column (MySQL's MODIFY restates all
        of them): the statement the script makes wins over the model there, as in Alembic.
        ``found``: :meth:`disagreements` for ``column``, when the caller has it already."""
        if found is None:
            found = self.disagreements(column, dialect)
        changes = {name: value for name, (value, _, _) in found.items()
                   if name in dialect.restated_properties}
        return replace(column, **changes) if changes else column

    def altered(self, column: ColumnModel, dialect: DialectSupport) -> ColumnModel:
        """``column`` with this op's changes made (name included)."""
        changes: dict[str, Any] = {}
        if self.type_ is not None:
            changes["type"] = sa.types.to_instance(self.type_)
        if self.nullable is not None:
            changes["nullable"] = self.nullable
        if self.server_default is not UNCHANGED:
            type_ = changes.get("type", column.type)
            changes["default"], changes["default_name"] = _server_default(
                self.server_default, column.name, type_, dialect)
        if self.comment is not UNCHANGED:
            changes["comment"] = self.comment
        if self.new_column_name is not None:
            changes["name"] = self.new_column_name
        return replace(column, **changes)

    def old_type_checks(self, table: TableModel | None,
                        dialect: DialectSupport) -> tuple[CheckModel, ...]:
        """The CHECKs the column's old type made, which a type change drops (as Alembic
        does): with the table's model, those of its checks that the old type (existing_type,
        else the model column's) makes on the dialect, matched by the type's constraint name
        or, unnamed, by condition; without it, the type's own (an unnamed one has no known
        name). None without a type change."""
        if self.type_ is None:
            return ()
        column = table.column(self.column_name) if table is not None else None
        old = self.existing_type if self.existing_type is not None else (
            column.type if column is not None else None)
        made = [check_from_sa(c, dialect)
                for c in type_checks(self.table_name, self.column_name, old, dialect,
                                     self.schema)]
        if table is None:
            return tuple(made)
        found: list[CheckModel] = []
        for check in made:
            match = next((c for c in table.checks if c not in found and (
                c.name == check.name if check.name is not None else
                c.name is None and dialect.sql_key(c.sqltext) == dialect.sql_key(check.sqltext)
            )), None)
            if match is not None:
                found.append(match)
        return tuple(found)

    def new_type_checks(self, dialect: DialectSupport) -> list[sa.CheckConstraint]:
        """The CHECKs the new type makes on the dialect, added after the change (on the
        column's new name when it is renamed too)."""
        if self.type_ is None:
            return []
        return type_checks(self.table_name, self.new_column_name or self.column_name,
                           self.type_, dialect, self.schema)

    def apply(self, schema: Schema) -> None:
        table = schema.known(self.table_name, self.schema, self.describe())
        column = table.column(self.column_name) if table is not None else None
        if table is None:
            return
        if column is None:
            schema.mark_incomplete(f"{self.describe()}: the model has no such column")
            return
        restated = schema.dialect.restated_properties
        changed = {"type": self.type_ is not None, "nullable": self.nullable is not None,
                   "default": self.server_default is not UNCHANGED,
                   "comment": self.comment is not UNCHANGED}
        found = self.disagreements(column, schema.dialect)
        for name, (_, given, model) in sorted(found.items()):
            new = "server_default" if name == "default" else f"{name}_" if name == "type" \
                else name
            outcome = (f"neither is used: {new}= gives the new one" if changed.get(name)
                       else f"the script's argument is used ({schema.dialect.title} restates "
                       "the column)" if name in restated else "the model's is kept")
            argument = "existing_server_default" if name == "default" else f"existing_{name}"
            schema.warn(f"{self.describe()}: {argument}={given}, the model has {model}; "
                        f"{outcome}")
        altered = self.altered(self.stated(column, schema.dialect, found), schema.dialect)
        for check in self.old_type_checks(table, schema.dialect):
            table = table.without_item(check)
        if self.new_column_name is not None:
            table = schema.forget_triggers(table, table.triggers_naming(self.column_name),
                                           f"column {self.column_name} was renamed")
            table = table.renamed_column(self.column_name, self.new_column_name)
        added = tuple(check_from_sa(c, schema.dialect)
                      for c in self.new_type_checks(schema.dialect))
        schema.put(replace(table.with_column(altered), checks=(*table.checks, *added)))


#: (dialect, kind, text) -> (the server default, its name) that a default given as a plain
#: string or a text() without bound values renders to, and (dialect, text) -> its
#: default_key: pure functions of their key (the dialect objects are get_dialect's cached
#: ones, kept alive by the key).
_DEFAULTS: dict[tuple[Any, type, str], tuple[str | None, str | None]] = {}
_DEFAULT_KEYS: dict[tuple[Any, str | None], str | None] = {}


def _server_default(default: Any, name: str, type_: Any,
                    dialect: DialectSupport) -> tuple[str | None, str | None]:
    """(the server default as the dialect's DDL renders it, the name it has) of a column
    called ``name`` of ``type_`` given ``server_default=default``. A string or a text()
    without bound values renders the same whatever the column (a literal, or the text as
    written), and has no name: those are memoized on their text."""
    key: tuple[Any, type, str] | None = None
    if type(default) is str:
        key = (dialect, str, default)
    elif type(default) is sa.TextClause and not default._bindparams:
        key = (dialect, sa.TextClause, default.text)
    if key is not None:
        found = _DEFAULTS.get(key)
        if found is not None:
            return found
    holder = sa.Column(name, type_, server_default=default)
    result = (default_text(holder, dialect), getattr(holder.server_default, "name", None))
    if key is not None:
        _DEFAULTS[key] = result
    return result


def _default_key(text: str | None, dialect: DialectSupport) -> str | None:
    found = _DEFAULT_KEYS.get((dialect, text), UNCHANGED)
    if found is UNCHANGED:
        found = _DEFAULT_KEYS[(dialect, text)] = dialect.default_key(text)
    return found  # type: ignore[no-any-return]


@dataclass(frozen=True)
class CreateTableComment(Op):
    """Set a table's comment."""

    op_name: ClassVar[str] = "create_table_comment"
    informational: ClassVar[frozenset[str]] = frozenset({"existing_comment"})
    batch_table_arg: ClassVar[int | None] = 0
    table_name: str
    comment: str
    existing_comment: str | None = None
    schema: str | None = None

    @classmethod
    def record(
        cls, recorder: Recorder, table_name: str, comment: str, *,
        existing_comment: str | None = None, schema: str | None = None,
    ) -> None:
        recorder.add(cls(table_name, comment, existing_comment, schema))

    def describe(self) -> str:
        return f"create_table_comment {qualified(self.table_name, self.schema)}"

    def reverse(self, before: Schema | None = None) -> Op:
        if before is not None:
            return self.completed(before).reverse()
        if self.existing_comment is None:
            return DropTableComment(self.table_name, self.comment, self.schema)
        return CreateTableComment(self.table_name, self.existing_comment, self.comment, self.schema)

    def completed(self, before: Schema) -> Op:
        table = before.table(self.table_name, self.schema)
        if self.existing_comment is None and table is not None and table.comment is not None:
            return replace(self, existing_comment=table.comment)
        return self

    def apply(self, schema: Schema) -> None:
        schema.update(self.table_name, self.schema, self.describe(),
                      lambda t: replace(t, comment=self.comment))


@dataclass(frozen=True)
class DropTableComment(Op):
    """Remove a table's comment."""

    op_name: ClassVar[str] = "drop_table_comment"
    informational: ClassVar[frozenset[str]] = frozenset({"existing_comment"})
    batch_table_arg: ClassVar[int | None] = 0
    table_name: str
    existing_comment: str | None = None
    schema: str | None = None

    @classmethod
    def record(
        cls, recorder: Recorder, table_name: str, *, existing_comment: str | None = None,
        schema: str | None = None,
    ) -> None:
        recorder.add(cls(table_name, existing_comment, schema))

    def describe(self) -> str:
        return f"drop_table_comment {qualified(self.table_name, self.schema)}"

    def reverse(self, before: Schema | None = None) -> Op:
        if before is not None:
            return self.completed(before).reverse()
        if self.existing_comment is None:
            raise IrreversibleOperation(f"{self.describe()}: existing_comment is not given")
        return CreateTableComment(self.table_name, self.existing_comment, None, self.schema)

    def completed(self, before: Schema) -> Op:
        table = before.table(self.table_name, self.schema)
        if self.existing_comment is None and table is not None and table.comment is not None:
            return replace(self, existing_comment=table.comment)
        return self

    def apply(self, schema: Schema) -> None:
        schema.update(self.table_name, self.schema, self.describe(),
                      lambda t: replace(t, comment=None))

