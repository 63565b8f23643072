"""The in-memory schema model: what the database looks like after some revisions, per dialect.

The model is plain, immutable data (tables, columns, keys, indexes, enum types), built by
replaying each revision's operations in order (each op's ``apply()``), with no database.
A :class:`Schema` maps table keys to :class:`TableModel` values that are replaced, never
mutated, so :meth:`Schema.copy` is a cheap snapshot.

SQL fragments the model keeps (server defaults, check conditions, index expressions) are text
rendered for the model's dialect, so they compare and re-render as the database shows them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sqlcompile.schema.objects import ObjectKey, ObjectStore, OpaqueModel
from sqlcompile.schema.sqltext import uses_column

if TYPE_CHECKING:
    from sqlcompile.dialects.base import DialectSupport

TableKey = tuple[str | None, str]  # (schema, name)


def table_key(name: str, schema: str | None = None) -> TableKey:
    return (schema, name)


def key_text(key: TableKey) -> str:
    schema, name = key
    return f"{schema}.{name}" if schema else name


def _options(kw: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(kw.items()))


@dataclass(frozen=True)
class ColumnModel:
    """A column: type, nullability, server default (SQL text) and comment."""

    name: str
    type: Any  # an SQLAlchemy TypeEngine instance
    nullable: bool = True
    default: str | None = None  # the server default as the dialect renders it
    default_name: str | None = None  # the default's constraint name, where defaults have one
    comment: str | None = None
    autoincrement: bool | str = "auto"
    identity: Any = None  # sa.Identity
    computed: Any = None  # sa.Computed
    options: tuple[tuple[str, Any], ...] = ()  # dialect keyword options (mysql_charset, ...)


@dataclass(frozen=True)
class KeyModel:
    """A primary key or unique constraint."""

    name: str | None
    columns: tuple[str, ...]
    options: tuple[tuple[str, Any], ...] = ()
    #: The name the server gave the constraint when the script gave none (see
    #: DialectSupport.name_constraints); None where it is named, or its name is unknown.
    server_name: str | None = field(default=None, compare=False, repr=False)
    #: The revision being applied when the constraint came into the model (see Schema.put):
    #: a downgrade's `drop_constraint(None, ...)` drops the one its own upgrade made.
    origin: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ForeignKeyModel:
    """A foreign key and the table and columns it references."""

    name: str | None
    columns: tuple[str, ...]
    ref_schema: str | None
    ref_table: str
    ref_columns: tuple[str, ...]
    ondelete: str | None = None
    onupdate: str | None = None
    deferrable: bool | None = None
    initially: str | None = None
    match: str | None = None
    options: tuple[tuple[str, Any], ...] = ()
    #: The name the server gave the constraint when the script gave none (see
    #: DialectSupport.name_constraints); None where it is named, or its name is unknown.
    server_name: str | None = field(default=None, compare=False, repr=False)
    #: The revision being applied when the constraint came into the model (see Schema.put):
    #: a downgrade's `drop_constraint(None, ...)` drops the one its own upgrade made.
    origin: str | None = field(default=None, compare=False, repr=False)

    @property
    def ref_key(self) -> TableKey:
        return (self.ref_schema, self.ref_table)


@dataclass(frozen=True)
class CheckModel:
    """A check constraint; ``sqltext`` is its condition as the dialect renders it."""

    name: str | None
    sqltext: str
    options: tuple[tuple[str, Any], ...] = ()
    #: The name the server gave the constraint when the script gave none (see
    #: DialectSupport.name_constraints); None where it is named, or its name is unknown.
    server_name: str | None = field(default=None, compare=False, repr=False)
    #: The revision being applied when the constraint came into the model (see Schema.put):
    #: a downgrade's `drop_constraint(None, ...)` drops the one its own upgrade made.
    origin: str | None = field(default=None, compare=False, repr=False)
    #: The column whose definition holds the CHECK (given as a Column argument), if any.
    column: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class IndexPart:
    """One indexed element: a column name, or an expression's SQL text."""

    text: str
    expression: bool = False


@dataclass(frozen=True)
class IndexModel:
    """An index (unique, on columns or expressions, with dialect options such as ``*_where``)."""

    name: str | None
    parts: tuple[IndexPart, ...]
    unique: bool = False
    options: tuple[tuple[str, Any], ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(p.text for p in self.parts if not p.expression)

    def uses_column(self, name: str) -> bool:
        """Whether the index is on column ``name`` or on an expression that uses it."""
        return any(uses_column(p.text, name) if p.expression else p.text == name
                   for p in self.parts)


#: A constraint of a table, as :meth:`TableModel.unnamed_constraints` finds them.
Constraint = KeyModel | ForeignKeyModel | CheckModel


@dataclass(frozen=True)
class TriggerModel:
    """A trigger created by raw SQL: its name and its CREATE TRIGGER statement, verbatim."""

    name: str
    sql: str


@dataclass(frozen=True)
class TableModel:
    """A table and everything defined on it."""

    name: str
    schema: str | None
    columns: tuple[ColumnModel, ...] = ()
    primary_key: KeyModel | None = None
    foreign_keys: tuple[ForeignKeyModel, ...] = ()
    uniques: tuple[KeyModel, ...] = ()
    checks: tuple[CheckModel, ...] = ()
    indexes: tuple[IndexModel, ...] = ()
    comment: str | None = None
    options: tuple[tuple[str, Any], ...] = ()
    triggers: tuple[TriggerModel, ...] = ()

    @property
    def key(self) -> TableKey:
        return (self.schema, self.name)

    @property
    def title(self) -> str:
        return key_text(self.key)

    def column(self, name: str) -> ColumnModel | None:
        for column in self.columns:
            if column.name == name:
                return column
        return None

    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def with_column(self, column: ColumnModel, old_name: str | None = None) -> TableModel:
        """The table with ``column`` replacing the one named ``old_name`` (or its own name),
        or appended when there is none."""
        target = old_name or column.name
        if self.column(target) is None:
            return replace(self, columns=(*self.columns, column))
        return replace(self, columns=tuple(column if c.name == target else c
                                           for c in self.columns))

    def without_column(self, name: str) -> TableModel:
        """The table without column ``name`` and without the keys, indexes (on the column or
        on an expression using it) and CHECKs whose condition uses it, as PostgreSQL drops
        them along with the column (a CHECK on several columns too)."""
        return replace(
            self,
            columns=tuple(c for c in self.columns if c.name != name),
            primary_key=(self.primary_key if self.primary_key is None
                         or name not in self.primary_key.columns else None),
            foreign_keys=tuple(f for f in self.foreign_keys if name not in f.columns),
            uniques=tuple(u for u in self.uniques if name not in u.columns),
            checks=tuple(c for c in self.checks if not uses_column(c.sqltext, name)),
            indexes=tuple(i for i in self.indexes if not i.uses_column(name)),
        )

    def unnamed_constraints(self, kind: str | None) -> tuple[Constraint, ...]:
        """The constraints without a name of ``kind`` (as `drop_constraint`'s type_:
        primary, foreignkey, unique, check; None: every kind), in the table's order."""
        found: list[Constraint] = []
        if kind in (None, "primary") and self.primary_key and self.primary_key.name is None:
            found.append(self.primary_key)
        if kind in (None, "foreignkey"):
            found += [f for f in self.foreign_keys if f.name is None]
        if kind in (None, "unique"):
            found += [u for u in self.uniques if u.name is None]
        if kind in (None, "check"):
            found += [c for c in self.checks if c.name is None]
        return tuple(found)

    def with_origin(self, revision: str) -> TableModel:
        """The table with ``revision`` as the origin of its unnamed constraints that have
        none yet (those new in the table)."""
        if all(c.origin is not None for c in self.unnamed_constraints(None)):
            return self

        def stamp(items: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple(replace(i, origin=revision) if i.name is None and i.origin is None
                         else i for i in items)

        primary = self.primary_key
        return replace(self, primary_key=stamp((primary,))[0] if primary else None,
                       foreign_keys=stamp(self.foreign_keys), uniques=stamp(self.uniques),
                       checks=stamp(self.checks))

    def without_item(self, item: Constraint) -> TableModel:
        """The table without its constraint ``item`` (compared by identity: an unnamed one)."""
        return replace(
            self,
            primary_key=None if self.primary_key is item else self.primary_key,
            foreign_keys=tuple(f for f in self.foreign_keys if f is not item),
            uniques=tuple(u for u in self.uniques if u is not item),
            checks=tuple(c for c in self.checks if c is not item),
        )

    def renamed_column(self, old: str, new: str) -> TableModel:
        """The table with a column renamed everywhere it is named (keys, indexes)."""

        def names(cols: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(new if c == old else c for c in cols)

        # (an item that does not name the column is kept as it is: an equal copy otherwise)
        def renamed(item: Any) -> Any:
            return replace(item, columns=names(item.columns)) if old in item.columns else item

        def reindexed(index: IndexModel) -> IndexModel:
            if not any(not p.expression and p.text == old for p in index.parts):
                return index
            return replace(index, parts=tuple(IndexPart(new, False) if not p.expression
                                              and p.text == old else p for p in index.parts))

        column = self.column(old)
        assert column is not None
        return replace(
            self.with_column(replace(column, name=new), old_name=old),
            primary_key=renamed(self.primary_key) if self.primary_key else None,
            foreign_keys=tuple(renamed(f) for f in self.foreign_keys),
            uniques=tuple(renamed(u) for u in self.uniques),
            checks=tuple(replace(c, column=new) if c.column == old else c for c in self.checks),
            indexes=tuple(reindexed(i) for i in self.indexes),
        )

    def triggers_naming(self, word: str) -> tuple[TriggerModel, ...]:
        """The triggers whose SQL mentions ``word`` (a name being renamed)."""
        if not self.triggers:
            return ()
        pattern = re.compile(rf"(?<![\w$]){re.escape(word)}(?![\w$])", re.IGNORECASE)
        return tuple(t for t in self.triggers if pattern.search(t.sql))

    def constraint_names(self) -> Iterator[tuple[str, str]]:
        """(kind, name) of each named constraint; kind is as `drop_constraint`'s type_."""
        if self.primary_key and self.primary_key.name:
            yield "primary", self.primary_key.name
        for fk in self.foreign_keys:
            if fk.name:
                yield "foreignkey", fk.name
        for unique in self.uniques:
            if unique.name:
                yield "unique", unique.name
        for check in self.checks:
            if check.name:
                yield "check", check.name

    def without_constraint(self, name: str) -> TableModel:
        return replace(
            self,
            primary_key=(None if self.primary_key and self.primary_key.name == name
                         else self.primary_key),
            foreign_keys=tuple(f for f in self.foreign_keys if f.name != name),
            uniques=tuple(u for u in self.uniques if u.name != name),
            checks=tuple(c for c in self.checks if c.name != name),
        )


@dataclass(frozen=True)
class EnumModel:
    """A named enum type (PostgreSQL's CREATE TYPE ... AS ENUM)."""

    name: str
    schema: str | None
    values: tuple[str, ...]


IndexKey = tuple[str | None, str]  # (schema, index name)
#: (model, SQL, dialect it is written in or None) -> None: applies what the SQL does.
SQLReader = Callable[["Schema", Any, "str | None"], None]


def unknown_origin(schema: Schema | None) -> str:
    """Why the model may lack something a script names, for messages saying so: an earlier
    revision that failed (and was skipped) when there is one, else raw SQL the model did not
    follow."""
    failed = schema.failed if schema is not None else []
    if not failed:
        return "(created by raw SQL?)"
    if len(failed) == 1:
        return f"(revision {failed[0]} failed above, so the schema model lacks what it makes)"
    return (f"(revisions {', '.join(failed)} failed above, so the schema model lacks what "
            "they make)")


class Schema(ObjectStore):
    """The schema at one point of the history, for one dialect.

    ``incomplete`` lists why the model may differ from the database (raw SQL it could not
    follow, tables it never saw created); ``revision`` names the revision being applied, for
    those messages.

    Snapshots are cheap: :meth:`copy` shares the maps, and a side copies them on its first
    change (copy-on-write), so keeping a model per revision does not copy every table each
    time. Change the model only through its methods.
    """

    def __init__(self, dialect: DialectSupport, sql_reader: SQLReader | None = None) -> None:
        self.dialect = dialect
        #: How raw SQL (`op.execute()`) changes the model: the raw-SQL front end of the layer
        #: that builds the model (the model itself reads no SQL); None marks it incomplete.
        self.sql_reader = sql_reader
        self._tables: dict[TableKey, TableModel] = {}
        self._enums: dict[TableKey, EnumModel] = {}
        #: Functions, procedures and views created by raw SQL, in creation order.
        self._objects: dict[ObjectKey, OpaqueModel] = {}
        #: (schema, index name) -> the tables with an index of that name, sorted.
        self._index_owners: dict[IndexKey, tuple[TableKey, ...]] = {}
        self._shared = False
        self.incomplete: list[str] = []
        #: Where the scripts and the model disagree (an explicit existing_* argument that is
        #: not what the model holds): warnings, which do not make the model unfollowable.
        self.warnings: list[str] = []
        self.revision = ""
        #: In a downgrade: the revision whose upgrade its ops undo ("" otherwise).
        self.undoing = ""
        #: The revisions before this point that failed to compile and were skipped (render
        #: and check go on after a failure): what they make is missing from the model.
        self.failed: list[str] = []

    @property
    def tables(self) -> Mapping[TableKey, TableModel]:
        return self._tables

    @property
    def enums(self) -> Mapping[TableKey, EnumModel]:
        return self._enums

    def copy(self) -> Schema:
        """A snapshot: later changes to either side do not show in the other."""
        other = Schema(self.dialect, self.sql_reader)
        other._tables, other._enums = self._tables, self._enums
        other._objects = self._objects
        other._index_owners = self._index_owners
        other.incomplete, other.revision = list(self.incomplete), self.revision
        other.undoing = self.undoing
        other.warnings = list(self.warnings)
        other.failed = list(self.failed)
        self._shared = other._shared = True
        return other

    def _own(self) -> None:
        if self._shared:
            self._tables = dict(self._tables)
            self._enums = dict(self._enums)
            self._objects = dict(self._objects)
            self._index_owners = dict(self._index_owners)
            self._shared = False

    def folded(self, key: TableKey) -> TableKey:
        """``key`` with the dialect's default schema written as no schema: `public.orders`
        and `orders` name the same PostgreSQL table."""
        schema, name = key
        default = self.dialect.default_schema
        return (None, name) if schema is not None and schema == default else key

    def same_table(self, one: TableKey, other: TableKey) -> bool:
        """Whether two keys name the same table (see :meth:`folded`)."""
        return self.folded(one) == self.folded(other)

    def _found(self, key: TableKey, keys: Mapping[TableKey, Any]) -> TableKey:
        """The key in ``keys`` naming the same table as ``key`` (``key`` itself if none)."""
        if key in keys:
            return key
        schema, name = key
        default = self.dialect.default_schema
        if default is not None and schema in (None, default):
            other = (default if schema is None else None, name)
            if other in keys:
                return other
        return key

    def table(self, name: str, schema: str | None = None) -> TableModel | None:
        return self._tables.get(self._found((schema, name), self._tables))

    def read_sql(self, sql: Any, source: str | None) -> None:
        """Follow raw SQL (a string or an SQLAlchemy statement, written for dialect
        ``source`` or the model's) as far as the reader understands it."""
        if self.sql_reader is None:
            self.mark_incomplete("raw SQL ran that this model does not read")
            return
        self.sql_reader(self, sql, source)

    def put(self, table: TableModel) -> None:
        self._own()
        table = self.dialect.name_constraints(self.dialect.name_defaults(table), self)
        if self.revision and not self.undoing:
            table = table.with_origin(self.revision)
        found = self._found(table.key, self._tables)
        old = self._tables.get(found)
        if found != table.key:  # the same table, named with(out) the default schema
            del self._tables[found]
        self._unlist_indexes(old)
        self._tables[table.key] = table
        if old is not None and self._objects:  # (only objects can be owned by a column)
            self.columns_changed(table.key, table.column_names(), table.title)
        for index in table.indexes:
            if index.name:
                key = (table.schema, index.name)
                owners = self._index_owners.get(key, ())
                if table.key not in owners:
                    self._index_owners[key] = tuple(sorted((*owners, table.key),
                                                           key=key_order))

    def remove(self, name: str, schema: str | None = None,
               renamed_to: TableKey | None = None) -> TableModel | None:
        """Take a table out of the model (dropped, or renamed: put again under its new name
        ``renamed_to``). The views reading it go too, the model marked incomplete: the
        database refuses to drop a table a view reads (PostgreSQL) or keeps a view that no
        longer works, and on a rename it rewrites the view's query, which the model holds
        verbatim. The sequences its columns own go with a dropped table, and follow a
        renamed one."""
        self._own()
        table = self._tables.pop(self._found((schema, name), self._tables), None)
        self._unlist_indexes(table)
        if table is not None:
            self.forget_readers(table.key, f"table {table.title} was dropped or renamed")
            self.table_gone(table.key, renamed_to)
        return table

    def _unlist_indexes(self, table: TableModel | None) -> None:
        if table is None:
            return
        for index in table.indexes:
            key = (table.schema, index.name or "")
            owners = tuple(k for k in self._index_owners.get(key, ()) if k != table.key)
            if owners:
                self._index_owners[key] = owners
            else:
                self._index_owners.pop(key, None)

    def put_enum(self, enum: EnumModel) -> None:
        self._own()
        self._enums[(enum.schema, enum.name)] = enum

    def remove_enum(self, name: str, schema: str | None = None) -> None:
        self._own()
        self._enums.pop((schema, name), None)

    def mark_incomplete(self, reason: str) -> None:
        """Record that the model may be wrong from here on, and why."""
        where = f"after revision {self.revision}" if self.revision else "here"
        message = f"schema model may be incomplete {where}: {reason}"
        if message not in self.incomplete:
            self.incomplete.append(message)

    def mark_failed(self, revision: str) -> None:
        """Record that ``revision`` failed to compile and was skipped (see :attr:`failed`)."""
        if revision not in self.failed:
            self.failed.append(revision)

    def warn(self, reason: str) -> None:
        """Record that a script says something else than the model (see :attr:`warnings`)."""
        where = f"in revision {self.revision}" if self.revision else "here"
        message = f"the script and the schema model disagree {where}: {reason}"
        if message not in self.warnings:
            self.warnings.append(message)

    def messages(self) -> list[str]:
        """Why the model may be incomplete, then where the scripts and it disagree."""
        return [*self.incomplete, *self.warnings]

    def known(self, name: str, schema: str | None, what: str) -> TableModel | None:
        """The table, or None after marking the model incomplete (``what`` needed it)."""
        table = self.table(name, schema)
        if table is None:
            self.mark_incomplete(f"{what} names table {key_text((schema, name))}, which the "
                                 "history never created")
        return table

    def update(self, name: str, schema: str | None, what: str, change: Any) -> None:
        """Replace a known table with ``change(table)``; unknown tables mark the model."""
        table = self.known(name, schema, what)
        if table is not None:
            self.put(change(table))

    def forget_triggers(self, table: TableModel, triggers: tuple[TriggerModel, ...],
                        why: str) -> TableModel:
        """``table`` without ``triggers``, the model marked incomplete saying ``why``: the
        database rewrites a trigger's text on some renames, the model cannot."""
        if not triggers:
            return table
        names = ", ".join(t.name for t in triggers)
        self.mark_incomplete(f"trigger(s) {names} of table {table.title}: {why}; the database "
                             "rewrites their SQL, the model no longer holds them")
        return replace(table, triggers=tuple(t for t in table.triggers if t not in triggers))

    def find_trigger(self, name: str, schema: str | None = None) -> TableModel | None:
        """The table with a trigger called ``name``."""
        found = [t for t in self._tables.values()
                 if self.same_table((t.schema, name), (schema, name))
                 and any(tr.name == name for tr in t.triggers)]
        return min(found, key=lambda t: key_order(t.key)) if found else None

    def find_index(self, name: str, schema: str | None = None,
                   table_name: str | None = None) -> tuple[TableModel, IndexModel] | None:
        """The index called ``name`` (on ``table_name`` if given, else the first table, by
        name, with an index of that name in ``schema``)."""
        keys: Iterable[TableKey]
        if table_name is not None:
            keys = [self._found((schema, table_name), self._tables)]
        else:
            keys = self._index_owners.get(self._found((schema, name), self._index_owners), ())
        for key in keys:
            table = self._tables.get(key)
            for index in table.indexes if table is not None else ():
                if index.name == name:
                    return table, index  # type: ignore[return-value]
        return None

    def sorted_tables(self) -> list[TableModel]:
        return sorted(self._tables.values(), key=lambda t: key_order(t.key))

    def referencing(self, key: TableKey) -> list[TableModel]:
        """Tables (other than ``key`` itself) with a foreign key to ``key``, by name."""
        found = [t for t in self._tables.values()
                 if not self.same_table(t.key, key)
                 and any(self.same_table(f.ref_key, key) for f in t.foreign_keys)]
        return sorted(found, key=lambda t: key_order(t.key))


def key_order(key: TableKey) -> tuple[str, str]:
    """Sort key of a table (or enum) key: by schema, then name; no schema first."""
    return (key[0] or "", key[1])


def constraint_text(item: Constraint) -> str:
    """How a constraint reads in a message: ``FOREIGN KEY (a) REFERENCES t (id)``,
    ``CHECK (...)``, or a key's columns ``(a, b)``."""
    if isinstance(item, CheckModel):
        return f"CHECK ({item.sqltext})"
    if isinstance(item, ForeignKeyModel):
        target = f"{item.ref_schema}.{item.ref_table}" if item.ref_schema else item.ref_table
        return (f"FOREIGN KEY ({', '.join(item.columns)}) REFERENCES {target} "
                f"({', '.join(item.ref_columns)})")
    return f"({', '.join(item.columns)})"

