"""Compare two schema models (the history's and the models'), as changes a script can make.

Both sides are models for one dialect, so types, defaults and conditions compare as that
dialect states them (:meth:`DialectSupport.type_key` and friends): ``String(50)`` and
``VARCHAR(50)`` are the same type on every dialect, ``'0'`` and ``0`` are not the same default.
Each change holds the ops that make it (:mod:`autogen.build`); the script is written from them
(:mod:`autogen.pyrender`). This module holds the comparison and its renames and enum types;
:mod:`autogen.compare_tables` compares tables and columns, :mod:`autogen.compare_keys` keys
and indexes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlcompile.autogen import compare_tables, pyrender
from sqlcompile.autogen.changes import (
    Change,
    Phase,
    Thing,
    column_thing,
    order_changes,
    table_thing,
    type_things,
)
from sqlcompile.autogen.pycode import Imports
from sqlcompile.autogen.statements import EnumType, EnumValues
from sqlcompile.errors import SqlcompileError
from sqlcompile.schema.model import (
    ColumnModel,
    EnumModel,
    Schema,
    TableKey,
    TableModel,
    key_order,
    key_text,
)

if TYPE_CHECKING:
    from sqlcompile.autogen.target import Target
    from sqlcompile.ops.table_ops import AlterColumn


@dataclass(frozen=True)
class Renames:
    """What ``--rename`` asked for: tables {old: new}, columns {(table, old): new}."""

    tables: dict[str, str] = field(default_factory=dict)
    columns: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def parse(cls, specs: Iterable[str]) -> Renames:
        tables: dict[str, str] = {}
        columns: dict[tuple[str, str], str] = {}
        for spec in specs:
            old, sep, new = spec.partition("=")
            new = new.strip()
            if not sep or not old.strip() or not new or "." in new:
                raise SqlcompileError(
                    f"--rename {spec!r}: expected TABLE.OLD=NEW (a column) or OLD=NEW (a table)",
                    hint="e.g. --rename users.name=full_name or --rename customer=customers")
            table, dot, column = old.strip().rpartition(".")
            if dot:
                columns[(table, column)] = new
            else:
                tables[column] = new
        return cls(tables, columns)


@dataclass
class Script:
    """The bodies of `upgrade()` and `downgrade()` and the imports they need."""

    upgrade: str
    downgrade: str
    imports: Imports


@dataclass
class Diff:
    """The ordered changes and rename suggestions; the script written from them."""

    changes: list[Change]
    suggestions: list[str]
    _script: Script | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def empty(self) -> bool:
        """Whether the two sides are the same."""
        return not self.changes

    def script(self) -> Script:
        """The script's bodies, written from the changes' ops (once)."""
        if self._script is None:
            imports = Imports()
            upgrade = pyrender.body(self.changes, True, imports)
            downgrade = pyrender.body(list(reversed(self.changes)), False, imports)
            self._script = Script(upgrade, downgrade, imports)
        return self._script

    @property
    def imports(self) -> Imports:
        """The imports the script's statements need."""
        return self.script().imports


class Comparison:
    """One comparison: the current schema (the history's, or a database's), the target (the
    models), and the changes found so far."""

    def __init__(self, current: Schema, target: Target, renames: Renames) -> None:
        self.current = current
        self.target = target
        self.dialect = current.dialect
        self.renames = renames
        self.changes: list[Change] = []
        self.suggestions: list[str] = []
        #: index options that count: this dialect's (and those it takes as its own)
        self.prefixes = {self.dialect.name, self.dialect.sa_dialect.name,
                         *self.dialect.option_aliases}
        #: where enums are column types: columns of a named enum whose values change, by name
        self.enum_columns: dict[TableKey, list[tuple[TableModel, ColumnModel, ColumnModel]]] = {}
        #: new enum types the create_table of a new table creates (SQLAlchemy's table events)
        self.created_types: set[Thing] = set()

    # -- comparable forms, cached (a thousand tables repeat a few types and defaults) ---------

    def type_key(self, type_: Any) -> str:
        key = _type_identity(type_)
        if key is None:
            return self.dialect.type_key(type_)
        cache = _TYPE_KEYS.setdefault(self.dialect.name, {})
        found = cache.get(key)
        if found is None:
            found = cache[key] = self.dialect.type_key(type_)
        return found

    def same_type(self, one: Any, other: Any) -> bool:
        """Whether two column types render alike (equal :meth:`type_key`); the same class
        with the same settings is, without rendering either."""
        if type(one) is type(other):
            try:
                if vars(one) == vars(other):
                    return True
            except TypeError:
                pass
        return self.type_key(one) == self.type_key(other)

    def default_key(self, text: str | None) -> str | None:
        if text is None:
            return None
        cache = _DEFAULT_KEYS.setdefault(self.dialect.name, {})
        if text not in cache:
            cache[text] = self.dialect.default_key(text)
        return cache[text]

    # -- entry --------------------------------------------------------------------------------

    def run(self) -> Diff:
        current = self._renamed(self.current)
        target = self.target.schema
        added = [t for k, t in sorted(target.tables.items(), key=lambda i: key_order(i[0]))
                 if k not in current.tables]
        removed = [t for k, t in sorted(current.tables.items(), key=lambda i: key_order(i[0]))
                   if k not in target.tables]
        self._suggest_table_renames(removed, added)
        self._enums(current, target)
        compare_tables.added_tables(self, added)
        compare_tables.removed_tables(self, removed)
        for key in sorted(set(current.tables) & set(target.tables), key=key_order):
            compare_tables.common_table(self, current.tables[key], target.tables[key])
        for key, columns in sorted(self.enum_columns.items(), key=lambda i: key_order(i[0])):
            _, before, after = columns[0]
            self.add(self._enum_values(EnumModel(key[1], key[0], tuple(before.type.enums)),
                                       EnumModel(key[1], key[0], tuple(after.type.enums)),
                                       columns))
        return Diff(order_changes(self.changes), self.suggestions)

    def add(self, change: Change) -> None:
        self.changes.append(change)

    # -- renames ------------------------------------------------------------------------------

    def _renamed(self, schema: Schema) -> Schema:
        """The current schema with the ``--rename`` renames made (and recorded as changes)."""
        from sqlcompile.ops.table_ops import AlterColumn, RenameTable

        schema = schema.copy()
        target = self.target.schema
        for old, new in sorted(self.renames.tables.items()):
            table = self._rename_source(schema, old, "table")
            if new in {k[1] for k in schema.tables if k[0] == table.schema}:
                raise SqlcompileError(f"--rename {old}={new}: table {new} already exists in "
                                      "the history's schema")
            if (table.schema, new) not in target.tables:
                raise SqlcompileError(f"--rename {old}={new}: the models have no table {new}")
            rename_table = RenameTable(old, new, table.schema)
            rename_table.apply(schema)
            self.add(Change(
                "rename_table", f"{key_text(table.key)} -> {new}",
                f"renamed table {key_text(table.key)} to {new}", Phase.RENAME_TABLE,
                [rename_table], creates=frozenset({("table", table.schema, new)}),
                removes=frozenset({("table", table.schema, old)})))
        for (table_name, old), new in sorted(self.renames.columns.items()):
            table_name = self.renames.tables.get(table_name, table_name)
            table = self._rename_source(schema, table_name, "table")
            column = table.column(old)
            if column is None:
                raise SqlcompileError(f"--rename {table_name}.{old}={new}: table {table_name} "
                                      f"has no column {old} in the history's schema")
            wanted = target.table(table.name, table.schema)
            if wanted is None or wanted.column(new) is None:
                raise SqlcompileError(f"--rename {table_name}.{old}={new}: the models have no "
                                      f"column {table_name}.{new}")
            rename_column = AlterColumn(table.name, old, table.schema, new_column_name=new,
                                        existing_type=column.type,
                                        existing_nullable=column.nullable)
            rename_column.apply(schema)
            self.add(Change(
                "rename_column", f"{table.title}.{old} -> {new}",
                f"renamed column {table.title}.{old} to {new}", Phase.RENAME_COLUMN,
                [rename_column], needs=frozenset({table_thing(table.key)}),
                creates=frozenset({column_thing(table, new)}),
                removes=frozenset({column_thing(table, old)})))
        return schema

    @staticmethod
    def _rename_source(schema: Schema, name: str, what: str) -> TableModel:
        found = [t for k, t in schema.tables.items() if k[1] == name]
        if len(found) != 1:
            raise SqlcompileError(f"--rename: the history's schema has no {what} {name}"
                                  if not found else f"--rename: {name} is ambiguous")
        return found[0]

    def _suggest_table_renames(self, removed: list[TableModel], added: list[TableModel]) -> None:
        for old in removed:
            names = set(old.column_names())
            matches = [new for new in added if new.schema == old.schema
                       and set(new.column_names()) == names]
            if len(matches) == 1:
                new = matches[0]
                self.suggestions.append(
                    f"table {old.title} is dropped and {new.title} added with the same columns; "
                    f"if it was renamed, run again with --rename {old.name}={new.name}")

    def suggest_column_renames(self, table: TableModel, removed: list[ColumnModel],
                               added: list[ColumnModel]) -> None:
        for old in removed:
            key = self.type_key(old.type)
            matches = [new for new in added if self.type_key(new.type) == key]
            if len(matches) == 1:
                new = matches[0]
                self.suggestions.append(
                    f"column {table.title}.{old.name} is dropped and {new.name} added with the "
                    f"same type; if it was renamed, run again with "
                    f"--rename {table.name}.{old.name}={new.name}")

    # -- enum types ---------------------------------------------------------------------------

    def _enums(self, current: Schema, target: Schema) -> None:
        for key in sorted(set(current.enums) | set(target.enums), key=key_order):
            old, new = current.enums.get(key), target.enums.get(key)
            if old is None and new is not None:
                self.add(self._create_enum(new, self._tables_using(key, target, current)))
            elif new is None and old is not None:
                self.add(self._drop_enum(old, self._tables_using(key, current, target)))
            elif old is not None and new is not None and old.values != new.values:
                self.add(self._enum_values(old, new, self._enum_columns(key, current, target)))

    def _tables_using(self, key: TableKey, schema: Schema, other: Schema) -> list[str]:
        """The tables of ``schema`` missing from ``other`` with a column of enum type ``key``
        (their create_table creates the type)."""
        found = []
        for table_key, table in sorted(schema.tables.items(), key=lambda i: key_order(i[0])):
            if table_key not in other.tables and key in {
                    (t[1], t[2]) for t in type_things(self.dialect, table.columns)}:
                found.append(table.title)
        return found

    def _enum_columns(self, key: TableKey, current: Schema,
                      target: Schema) -> list[tuple[TableModel, ColumnModel, ColumnModel]]:
        """(table, column before, column after) for the columns of enum type ``key`` that
        exist on both sides."""
        found = []
        for table_key in sorted(set(current.tables) & set(target.tables), key=key_order):
            before, after = current.tables[table_key], target.tables[table_key]
            for column in after.columns:
                enum = self.dialect.named_enum(column.type)
                old = before.column(column.name)
                if enum is not None and (enum.schema, enum.name) == key and old is not None:
                    found.append((after, old, column))
        return found

    def _create_enum(self, enum: EnumModel, new_tables: list[str]) -> Change:
        """A new enum type: created first, unless a new table uses it (its create_table
        creates it); dropped last in the downgrade either way."""
        thing: Thing = ("type", enum.schema, enum.name)
        title = key_text((enum.schema, enum.name))
        how = ""
        if new_tables:
            self.created_types.add(thing)
            how = f" (created with table {new_tables[0]})"
        create = EnumType(enum)
        return Change(
            "add_type", title, f"added enum type {title} ({', '.join(enum.values)}){how}",
            Phase.CREATE_TYPE, [] if new_tables else [create],
            # Made by a new table's create_table, the type is no statement of this change;
            # the table's drop_table leaves it, so the downgrade still drops it.
            explicit_down=[create.reverse()] if new_tables else None,
            creates=frozenset({thing}))

    def _drop_enum(self, enum: EnumModel, old_tables: list[str]) -> Change:
        """An enum type the models no longer use: dropped after what uses it; in the
        downgrade, created again first, or by the create_table of a table using it."""
        thing: Thing = ("type", enum.schema, enum.name)
        title = key_text((enum.schema, enum.name))
        return Change(
            "remove_type", title, f"removed enum type {title}", Phase.DROP_TYPE,
            [EnumType(enum, create=False)],
            # The downgrade's create_table of a table using the type creates it again.
            explicit_down=[] if old_tables else None, removes=frozenset({thing}))

    def _enum_values(self, old: EnumModel, new: EnumModel,
                     columns: list[tuple[TableModel, ColumnModel, ColumnModel]]) -> Change:
        """New values of a named enum type: statements of their own where enums are types
        (PostgreSQL), the type of each column using it elsewhere."""
        def alter(table: TableModel, before: ColumnModel, after: ColumnModel) -> AlterColumn:
            from sqlcompile.ops.table_ops import AlterColumn

            return AlterColumn(table.name, after.name, table.schema, type_=after.type,
                               existing_type=before.type, existing_nullable=before.nullable)

        change = EnumValues(old, new, tuple(alter(t, a, b) for t, a, b in columns),
                            tuple(alter(t, b, a) for t, a, b in columns))
        title = key_text((old.schema, old.name))
        return Change(
            "modify_type_values", title,
            f"enum type {title}: values {', '.join(old.values)} -> {', '.join(new.values)}",
            Phase.ALTER_COLUMN, [change], note=change.note(),
            needs=frozenset({("type", old.schema, old.name),
                             *(column_thing(t, b.name) for t, _, b in columns)}))


_TYPE_KEYS: dict[str, dict[Any, str]] = {}
_DEFAULT_KEYS: dict[str, dict[str, str | None]] = {}


def _type_identity(type_: Any) -> Any:
    """A hashable value equal for types that render alike (class and settings), or None."""
    try:
        key = (type(type_), tuple(sorted(vars(type_).items())))
        hash(key)
    except TypeError:
        return None
    return key


def compare(current: Schema, target: Target, renames: Renames | None = None) -> Diff:
    """The changes that turn ``current`` into ``target``, in an order that applies."""
    return Comparison(current, target, renames or Renames()).run()
