"""Compare two schema models (the history's and the models'), as changes a script can make.

Both sides are models for one dialect, so types, defaults and conditions compare as that
dialect states them (:meth:`DialectSupport.type_key` and friends): ``String(50)`` and
``VARCHAR(50)`` are the same type on every dialect, ``'0'`` and ``0`` are not the same default.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlcompile.autogen import pycode as py
from sqlcompile.autogen.changes import Change, Phase, Thing, order_changes
from sqlcompile.errors import SqlcompileError
from sqlcompile.schema.model import (
    ColumnModel,
    EnumModel,
    ForeignKeyModel,
    IndexModel,
    KeyModel,
    Schema,
    TableKey,
    TableModel,
    key_order,
    key_text,
)

if TYPE_CHECKING:
    from sqlcompile.autogen.target import Target
    from sqlcompile.dialects.base import DialectSupport


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
class Diff:
    """The ordered changes, rename suggestions, and the imports the script needs."""

    changes: list[Change]
    suggestions: list[str]
    imports: py.Imports
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.changes


def _table_thing(table: TableModel | TableKey) -> Thing:
    key = table.key if isinstance(table, TableModel) else table
    return ("table", key[0], key[1])


def _column_thing(table: TableModel, column: str) -> Thing:
    return ("column", table.schema, table.name, column)


def _key_thing(schema: str | None, table: str, columns: Iterable[str]) -> Thing:
    return ("key", schema, table, *sorted(columns))


def _name_thing(table: TableModel, name: str | None) -> frozenset[Thing]:
    return frozenset({("name", table.schema, name)}) if name else frozenset()


def _table_things(table: TableModel) -> set[Thing]:
    """What a table brings with it: itself, its columns, its keys, the names of its
    constraints and indexes."""
    things: set[Thing] = {_table_thing(table)}
    things |= {_column_thing(table, c.name) for c in table.columns}
    for key in (table.primary_key, *table.uniques):
        if key is not None:
            things.add(_key_thing(table.schema, table.name, key.columns))
    names = [ix.name for ix in table.indexes] + [n for _, n in table.constraint_names()]
    return things | {("name", table.schema, n) for n in names if n}


def _type_things(dialect: DialectSupport, columns: Iterable[ColumnModel]) -> frozenset[Thing]:
    found = set()
    for column in columns:
        enum = dialect.named_enum(column.type)
        if enum is not None:
            found.add(("type", enum.schema, enum.name))
    return frozenset(found)


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
        self.imports = py.Imports()
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
        self._added_tables(added)
        self._removed_tables(removed)
        for key in sorted(set(current.tables) & set(target.tables), key=key_order):
            self._table(current.tables[key], target.tables[key])
        for key, columns in sorted(self.enum_columns.items(), key=lambda i: key_order(i[0])):
            _, before, after = columns[0]
            self.add(self._enum_values(EnumModel(key[1], key[0], tuple(before.type.enums)),
                                       EnumModel(key[1], key[0], tuple(after.type.enums)),
                                       columns))
        return Diff(order_changes(self.changes), self.suggestions, self.imports)

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
            RenameTable(old, new, table.schema).apply(schema)
            where = py._table_args(table)
            self.add(Change(
                "rename_table", f"{key_text(table.key)} -> {new}",
                f"renamed table {key_text(table.key)} to {new}", Phase.RENAME_TABLE,
                [py.call("op.rename_table", [py.q(old), py.q(new), *where])],
                [py.call("op.rename_table", [py.q(new), py.q(old), *where])],
                creates=frozenset({("table", table.schema, new)}),
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
            AlterColumn(table.name, old, table.schema, new_column_name=new).apply(schema)
            existing = [f"existing_type={py.py_type(column.type, self.imports)}",
                        f"existing_nullable={column.nullable}", *py._table_args(table)]
            self.add(Change(
                "rename_column", f"{table.title}.{old} -> {new}",
                f"renamed column {table.title}.{old} to {new}", Phase.RENAME_COLUMN,
                [py.call("op.alter_column", [py.q(table.name), py.q(old),
                                             f"new_column_name={py.q(new)}", *existing])],
                [py.call("op.alter_column", [py.q(table.name), py.q(new),
                                             f"new_column_name={py.q(old)}", *existing])],
                needs=frozenset({_table_thing(table)}),
                creates=frozenset({_column_thing(table, new)}),
                removes=frozenset({_column_thing(table, old)})))
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

    def _suggest_column_renames(self, table: TableModel, removed: list[ColumnModel],
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
                    (t[1], t[2]) for t in _type_things(self.dialect, table.columns)}:
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

    def _enum_line(self, enum: EnumModel, action: str) -> str:
        """``sa.Enum(...).create(op.get_bind())`` (``action`` create or drop)."""
        args = [*map(py.q, enum.values), f"name={py.q(enum.name)}"]
        if enum.schema:
            args.append(f"schema={py.q(enum.schema)}")
        return py.call("sa.Enum", args, suffix=f".{action}(op.get_bind())")

    def _create_enum(self, enum: EnumModel, new_tables: list[str]) -> Change:
        """A new enum type: created first, unless a new table uses it (its create_table
        creates it); dropped last in the downgrade either way."""
        thing: Thing = ("type", enum.schema, enum.name)
        title = key_text((enum.schema, enum.name))
        if new_tables:
            self.created_types.add(thing)
            how = f" (created with table {new_tables[0]})"
        return Change(
            "add_type", title,
            f"added enum type {title} ({', '.join(enum.values)}){how if new_tables else ''}",
            Phase.CREATE_TYPE, [] if new_tables else [self._enum_line(enum, "create")],
            [self._enum_line(enum, "drop")], creates=frozenset({thing}))

    def _drop_enum(self, enum: EnumModel, old_tables: list[str]) -> Change:
        """An enum type the models no longer use: dropped after what uses it; in the
        downgrade, created again first, or by the create_table of a table using it."""
        thing: Thing = ("type", enum.schema, enum.name)
        title = key_text((enum.schema, enum.name))
        return Change(
            "remove_type", title, f"removed enum type {title}", Phase.DROP_TYPE,
            [self._enum_line(enum, "drop")],
            [] if old_tables else [self._enum_line(enum, "create")], removes=frozenset({thing}))

    def _enum_values(self, old: EnumModel, new: EnumModel,
                     columns: list[tuple[TableModel, ColumnModel, ColumnModel]]) -> Change:
        """New values of a named enum type: statements of their own where enums are types
        (PostgreSQL), the type of each column using it elsewhere."""
        from sqlcompile.dialects import enum_type_dialect

        def alter(table: TableModel, before: ColumnModel, after: ColumnModel) -> str:
            return py.call("op.alter_column", [
                py.q(table.name), py.q(after.name), f"type_={py.py_type(after.type, self.imports)}",
                f"existing_type={py.py_type(before.type, self.imports)}",
                f"existing_nullable={before.nullable}", *py._table_args(table)], 2)

        up, down, note = enum_type_dialect().enum_value_changes(
            old, new, [alter(t, a, b) for t, a, b in columns],
            [alter(t, b, a) for t, a, b in columns])
        title = key_text((old.schema, old.name))
        return Change(
            "modify_type_values", title,
            f"enum type {title}: values {', '.join(old.values)} -> {', '.join(new.values)}",
            Phase.ALTER_COLUMN, up, down, note=note,
            needs=frozenset({("type", old.schema, old.name),
                             *(_column_thing(t, b.name) for t, _, b in columns)}))

    # -- tables -------------------------------------------------------------------------------

    def _added_tables(self, added: list[TableModel]) -> None:
        """create_table for each new table; foreign keys to a new table created later (a
        reference cycle) become create_foreign_key changes of their own."""
        new_keys = {t.key for t in added}
        placed: set[TableKey] = set()
        order = _creation_order(added)
        for table in order:
            inline = []
            for fk in table.foreign_keys:
                if fk.ref_key in new_keys and fk.ref_key != table.key \
                        and fk.ref_key not in placed:
                    self.add(self._create_foreign_key(table, fk))
                else:
                    inline.append(fk)
            placed.add(table.key)
            self.add(self._create_table(table, tuple(inline)))

    def _create_table(self, table: TableModel, fks: tuple[ForeignKeyModel, ...]) -> Change:
        origin = self.target.tables.get(table.key)
        only = self.target.only
        # Keys and indexes the models keep to other dialects are created there, conditionally.
        every = self.target.every_dialect.get(table.key, table)
        up = [py.create_table(every, self.imports, origin, fks, only)]
        up += [py.create_index(every, ix, only(ix)) for ix in every.indexes]
        down = [py.drop_index(every, ix, only(ix)) for ix in reversed(every.indexes)]
        down.append(py.drop_table(table))
        provides = _table_things(table)
        types = _type_things(self.dialect, table.columns)
        provides |= types & self.created_types
        needs: set[Thing] = set(types)
        for fk in fks:
            needs |= self._fk_needs(fk)
        return Change("add_table", table.title, f"added table {table.title}",
                      Phase.CREATE_TABLE, up, down,
                      down_loss=f"drops table {table.title} and its rows",
                      needs=frozenset(needs - provides), creates=frozenset(provides))

    def _removed_tables(self, removed: list[TableModel]) -> None:
        """drop_table for each table the models no longer have, referencing tables first; a
        foreign key closing a reference cycle among them is dropped first, on its own."""
        gone = {t.key for t in removed}
        order = _creation_order(removed)
        position = {t.key: i for i, t in enumerate(order)}
        for table in order:
            inline = []
            for fk in table.foreign_keys:
                if fk.ref_key in gone and fk.ref_key != table.key \
                        and position[fk.ref_key] > position[table.key]:
                    self.add(self._drop_foreign_key(table, fk))  # a reference cycle
                else:
                    inline.append(fk)
            self.add(self._drop_table(table, tuple(inline)))

    def _drop_table(self, table: TableModel, fks: tuple[ForeignKeyModel, ...]) -> Change:
        up = [py.drop_table(table)]
        down = [py.create_table(table, self.imports, None, fks)]
        down += [py.create_index(table, ix) for ix in table.indexes]
        removes = _table_things(table)
        uses: set[Thing] = set(_type_things(self.dialect, table.columns))
        for fk in fks:
            uses |= self._fk_needs(fk)
        return Change("remove_table", table.title, f"removed table {table.title}",
                      Phase.DROP_TABLE, up, down, loss=f"drops table {table.title} and its rows",
                      removes=frozenset(removes), uses=frozenset(uses - removes))

    def _table(self, old: TableModel, new: TableModel) -> None:
        self._columns(old, new)
        self._primary_key(old, new)
        self._foreign_keys(old, new)
        self._keys(old, new, "unique")
        self._checks(old, new)
        self._indexes(old, new)
        if old.comment != new.comment:
            self.add(self._table_comment(old, new))

    def _table_comment(self, old: TableModel, new: TableModel) -> Change:
        def set_to(value: str | None, existing: str | None) -> str:
            where = py._table_args(new)
            if value is None:
                return py.call("op.drop_table_comment",
                               [py.q(new.name), f"existing_comment={py.q(existing or '')}",
                                *where])
            extra = [f"existing_comment={py.q(existing)}"] if existing is not None else []
            return py.call("op.create_table_comment",
                           [py.q(new.name), py.q(value), *extra, *where])

        return Change("modify_table_comment", new.title, f"changed the comment of {new.title}",
                      Phase.TABLE_COMMENT, [set_to(new.comment, old.comment)],
                      [set_to(old.comment, new.comment)], needs=frozenset({_table_thing(new)}))

    # -- columns ------------------------------------------------------------------------------

    def _columns(self, old: TableModel, new: TableModel) -> None:
        old_names = set(old.column_names())
        new_names = set(new.column_names())
        added = [c for c in new.columns if c.name not in old_names]
        removed = [c for c in old.columns if c.name not in new_names]
        self._suggest_column_renames(new, removed, added)
        for column in added:
            origin = self.target.column(new.key, column.name)
            note = None
            if not column.nullable and column.default is None and column.identity is None \
                    and column.computed is None:
                note = (f"{new.title}.{column.name} is NOT NULL with no server default: adding "
                        "it fails if the table has rows (give it a server_default, or add it "
                        "nullable, fill it, then make it NOT NULL)")
            self.add(Change(
                "add_column", f"{new.title}.{column.name}",
                f"added column {new.title}.{column.name}", Phase.ADD_COLUMN,
                [py.add_column(new, column, self.imports, origin)],
                [py.drop_column(new, column)], note=note,
                down_loss=f"drops column {new.title}.{column.name} and its values",
                needs=frozenset({_table_thing(new), *_type_things(self.dialect, [column])}),
                creates=frozenset({_column_thing(new, column.name)})))
        for column in removed:
            self.add(Change(
                "remove_column", f"{old.title}.{column.name}",
                f"removed column {old.title}.{column.name}", Phase.DROP_COLUMN,
                [py.drop_column(old, column)], [py.add_column(old, column, self.imports)],
                loss=f"drops column {old.title}.{column.name} and its values",
                removes=frozenset({_column_thing(old, column.name)}),
                uses=_type_things(self.dialect, [column])))
        for column in new.columns:
            before = old.column(column.name)
            if before is not None:
                change = self._alter_column(new, before, column)
                if change is not None:
                    self.add(change)

    def _alter_column(self, table: TableModel, old: ColumnModel,
                      new: ColumnModel) -> Change | None:
        dialect = self.dialect
        what: list[str] = []
        up: list[str] = []
        down: list[str] = []
        loss = None
        enum_change = _same_enum(old.type, new.type) and dialect.named_enum(new.type) is None
        if enum_change:
            self.enum_columns.setdefault((new.type.schema, new.type.name), []).append(
                (table, old, new))
        elif self.type_key(old.type) != self.type_key(new.type):
            what.append(f"type {self.type_key(old.type)} -> {self.type_key(new.type)}")
            up.append(f"type_={py.py_type(new.type, self.imports)}")
            down.append(f"type_={py.py_type(old.type, self.imports)}")
            if _other_kind(old.type, new.type):
                from sqlcompile.dialects import conversion_options

                up += [f"{k}={py.q(v)}" for k, v in conversion_options(new.name, new.type).items()]
                down += [f"{k}={py.q(v)}" for k, v in conversion_options(new.name,
                                                                          old.type).items()]
            loss = narrowing(old.type, new.type, dialect)
        if old.nullable != new.nullable:
            what.append("now NULL" if new.nullable else "now NOT NULL")
            up.append(f"nullable={new.nullable}")
            down.append(f"nullable={old.nullable}")
        if old.default != new.default and self.default_key(old.default) \
                != self.default_key(new.default):
            what.append(f"server default {old.default or 'none'} -> {new.default or 'none'}")
            origin = self.target.column(table.key, new.name)
            up.append(f"server_default={py.server_default_arg(new, origin) or 'None'}")
            down.append(f"server_default={py.server_default_arg(old, None) or 'None'}")
        if old.comment != new.comment:
            what.append("comment changed")
            up.append(f"comment={py.q(new.comment) if new.comment is not None else 'None'}")
            down.append(f"comment={py.q(old.comment) if old.comment is not None else 'None'}")
        if not what:
            return None

        def existing(column: ColumnModel, origin: Any) -> list[str]:
            out = [f"existing_type={py.py_type(column.type, self.imports)}",
                   f"existing_nullable={column.nullable}"]
            default = py.server_default_arg(column, origin)
            if default is not None:
                out.append(f"existing_server_default={default}")
            if column.comment is not None:
                out.append(f"existing_comment={py.q(column.comment)}")
            return out

        head = [py.q(table.name), py.q(new.name)]
        where = py._table_args(table)
        origin = self.target.column(table.key, new.name)
        subject = f"{table.title}.{new.name}"
        return Change(
            "modify_column", subject, f"changed column {subject}: {'; '.join(what)}",
            Phase.ALTER_COLUMN,
            [py.call("op.alter_column", [*head, *up, *existing(old, None), *where])],
            [py.call("op.alter_column", [*head, *down, *existing(new, origin), *where])],
            loss=loss and f"{subject}: {loss}",
            down_loss=(narrowing(new.type, old.type, dialect) and
                       f"{subject}: {narrowing(new.type, old.type, dialect)}"),
            needs=frozenset({_column_thing(table, new.name),
                             *_type_things(dialect, [new])}),
            creates=frozenset({("type-of", table.schema, table.name, new.name)}),
            uses=_type_things(dialect, [old]))

    # -- keys ---------------------------------------------------------------------------------

    def _fk_needs(self, fk: ForeignKeyModel) -> set[Thing]:
        ref = ("table", fk.ref_schema, fk.ref_table)
        return {ref, *(("column", fk.ref_schema, fk.ref_table, c) for c in fk.ref_columns),
                _key_thing(fk.ref_schema, fk.ref_table, fk.ref_columns)}

    def _constraint_change(self, table: TableModel, kind: str, item: Any, add: bool,
                           describe: str, needs: set[Thing] | None = None,
                           provides: set[Thing] | None = None) -> Change:
        """Adding (``add``) or dropping a key of ``table``; the other direction undoes it."""
        if item.name is None and not add:
            self.suggestions.append(
                f"{describe} has no name: the script cannot drop it by name; name it in the "
                "history (or drop it in hand-written SQL)")
        only = self.target.only(item) if add else None
        create = py.create_constraint(table, kind, item, only)
        drop = py.drop_constraint(table, kind, item.name or "", only)
        columns = getattr(item, "columns", ())
        things = {_column_thing(table, c) for c in columns} | {_table_thing(table)}
        things |= needs or set()
        given = set(provides or set()) | set(_name_thing(table, item.name))
        if add:
            return Change(f"add_{kind}", f"{table.title}.{item.name or '?'}", f"added {describe}",
                          Phase.CREATE_FOREIGN_KEY if kind == "foreignkey" else Phase.CREATE_KEY,
                          [create], [drop], needs=frozenset(things), creates=frozenset(given))
        return Change(f"remove_{kind}", f"{table.title}.{item.name or '?'}",
                      f"removed {describe}",
                      Phase.DROP_FOREIGN_KEY if kind == "foreignkey" else Phase.DROP_KEY,
                      [drop], [create], removes=frozenset(given), uses=frozenset(things))

    def _create_foreign_key(self, table: TableModel, fk: ForeignKeyModel) -> Change:
        return self._constraint_change(table, "foreignkey", fk, True, _fk_text(table, fk),
                                       self._fk_needs(fk))

    def _drop_foreign_key(self, table: TableModel, fk: ForeignKeyModel) -> Change:
        return self._constraint_change(table, "foreignkey", fk, False, _fk_text(table, fk),
                                       self._fk_needs(fk))

    def _primary_key(self, old: TableModel, new: TableModel) -> None:
        a, b = old.primary_key, new.primary_key
        if (a.columns if a else ()) == (b.columns if b else ()):
            return
        for key, add in ((a, False), (b, True)):
            if key is not None:
                thing = {_key_thing(new.schema, new.name, key.columns)}
                self.add(self._constraint_change(
                    new, "primary", key, add,
                    f"primary key {key.name or ''} of {new.title} ({', '.join(key.columns)})",
                    provides=thing))

    def _foreign_keys(self, old: TableModel, new: TableModel) -> None:
        def signature(fk: ForeignKeyModel) -> tuple[Any, ...]:
            return (fk.columns, fk.ref_schema, fk.ref_table, fk.ref_columns,
                    self.dialect.fk_action_key(fk.ondelete),
                    self.dialect.fk_action_key(fk.onupdate), bool(fk.deferrable),
                    (fk.initially or "").upper())

        gone, came = _match(old.foreign_keys, new.foreign_keys, signature)
        for fk in gone:
            self.add(self._drop_foreign_key(old, fk))
        for fk in came:
            self.add(self._create_foreign_key(new, fk))

    def _keys(self, old: TableModel, new: TableModel, kind: str) -> None:
        def signature(key: KeyModel) -> tuple[Any, ...]:
            return tuple(key.columns)

        gone, came = _match(old.uniques, new.uniques, signature)
        for key, add in [*((k, False) for k in gone), *((k, True) for k in came)]:
            thing = {_key_thing(new.schema, new.name, key.columns)}
            self.add(self._constraint_change(
                new, kind, key, add,
                f"unique constraint {key.name or ''} on {new.title} ({', '.join(key.columns)})",
                provides=thing))

    def _checks(self, old: TableModel, new: TableModel) -> None:
        gone, came = _match(old.checks, new.checks, lambda c: self.dialect.sql_key(c.sqltext))
        for check, add in [*((c, False) for c in gone), *((c, True) for c in came)]:
            self.add(self._constraint_change(
                new, "check", check, add,
                f"check constraint {check.name or ''} on {new.title} ({check.sqltext})"))

    def _index_signature(self, index: IndexModel) -> tuple[Any, ...]:
        parts = tuple((self.dialect.sql_key(p.text) if p.expression else p.text, p.expression)
                      for p in index.parts)
        options = tuple(sorted(
            (key, self.dialect.sql_key(value) if key.endswith("_where") and value else value)
            for key, value in index.options if key.partition("_")[0] in self.prefixes))
        return (parts, index.unique, options)

    def _indexes(self, old: TableModel, new: TableModel) -> None:
        gone, came = _match(old.indexes, new.indexes, self._index_signature)
        for index in gone:
            self.add(Change(
                "remove_index", f"{old.title}.{index.name}",
                f"removed index {index.name} on {old.title}", Phase.DROP_KEY,
                [py.drop_index(old, index)], [py.create_index(old, index)],
                removes=_name_thing(old, index.name),
                uses=frozenset({_table_thing(old),
                                *(_column_thing(old, c) for c in index.columns)})))
        for index in came:
            self.add(Change(
                "add_index", f"{new.title}.{index.name}",
                f"added index {index.name} on {new.title}", Phase.CREATE_KEY,
                [py.create_index(new, index, self.target.only(index))],
                [py.drop_index(new, index, self.target.only(index))],
                needs=frozenset({_table_thing(new),
                                 *(_column_thing(new, c) for c in index.columns)}),
                creates=_name_thing(new, index.name)))


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


def _same_enum(old: Any, new: Any) -> bool:
    """Whether two column types are the same named enum type with other values (a change of
    the type's values, not of the column's type)."""
    import sqlalchemy as sa

    return (isinstance(old, sa.Enum) and isinstance(new, sa.Enum) and bool(new.name)
            and (old.name, old.schema) == (new.name, new.schema) and old.enums != new.enums
            and old.native_enum and new.native_enum)


def _fk_text(table: TableModel, fk: ForeignKeyModel) -> str:
    return (f"foreign key {fk.name or ''} {table.title}({', '.join(fk.columns)}) -> "
            f"{key_text(fk.ref_key)}({', '.join(fk.ref_columns)})")


def _match(old: Iterable[Any], new: Iterable[Any], signature: Any) -> tuple[list[Any], list[Any]]:
    """(old items with no equal new one, new items with no equal old one); items are equal
    when their names and signatures are, or, where one side has no name, their signatures."""
    old, new = list(old), list(new)
    left = list(new)
    gone = []
    for item in old:
        sig = signature(item)
        found = next((n for n in left if signature(n) == sig
                      and (n.name == item.name or n.name is None or item.name is None)), None)
        if found is None:
            gone.append(item)
        else:
            left.remove(found)
    # By name then definition: the history keeps the order its scripts created things in, a
    # database its own; the script must not depend on which one it was compared with.
    def order(item: Any) -> tuple[str, str]:
        return (str(item.name), repr(item))

    return sorted(gone, key=order), sorted(left, key=order)


def _creation_order(tables: list[TableModel]) -> list[TableModel]:
    """``tables`` so that each follows the ones (among them) its foreign keys reference, by
    name where free; a reference cycle is broken at the first table by name."""
    by_key = {t.key: t for t in tables}
    done: list[TableModel] = []
    seen: set[TableKey] = set()

    def visit(table: TableModel, path: set[TableKey]) -> None:
        if table.key in seen:
            return
        path.add(table.key)
        for fk in sorted(table.foreign_keys, key=lambda f: key_order(f.ref_key)):
            ref = by_key.get(fk.ref_key)
            if ref is not None and ref.key not in path:
                visit(ref, path)
        path.discard(table.key)
        seen.add(table.key)
        done.append(table)

    for table in sorted(tables, key=lambda t: key_order(t.key)):
        visit(table, set())
    return done


def _integer_size(type_: Any) -> int | None:
    """0, 1, 2 for small, plain and big integer types; None for other types."""
    import sqlalchemy as sa

    for size, kind in enumerate((sa.SmallInteger, sa.BigInteger)):
        if isinstance(type_, kind):
            return 2 * size
    return 1 if isinstance(type_, sa.Integer) else None


def _other_kind(old: Any, new: Any) -> bool:
    """Whether a type change crosses kinds (text to boolean; not integer to big integer)."""
    if _integer_size(old) is not None and _integer_size(new) is not None:
        return False
    return old._type_affinity is not new._type_affinity


def narrowing(old: Any, new: Any, dialect: DialectSupport) -> str | None:
    """Why changing a column from type ``old`` to ``new`` can lose data, or None."""
    before, after = _integer_size(old), _integer_size(new)
    if before is not None and after is not None:
        return (f"narrows {dialect.type_key(old)} to {dialect.type_key(new)}" if after < before
                else None)
    if _other_kind(old, new):
        return (f"changes the type from {dialect.type_key(old)} to {dialect.type_key(new)}; "
                "values that do not convert are lost or make the change fail")
    for attr in ("length", "precision", "scale"):
        was, now = getattr(old, attr, None), getattr(new, attr, None)
        if now is not None and (was is None or now < was):
            return f"narrows {dialect.type_key(old)} to {dialect.type_key(new)}"
    if hasattr(old, "enums") and set(old.enums) - set(getattr(new, "enums", ())):
        return "removes enum values that rows may hold"
    return None


def compare(current: Schema, target: Target, renames: Renames | None = None) -> Diff:
    """The changes that turn ``current`` into ``target``, in an order that applies."""
    return Comparison(current, target, renames or Renames()).run()
