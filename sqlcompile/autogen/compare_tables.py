"""Tables and columns of a comparison: new and dropped tables (in reference order), new,
dropped and changed columns, table comments, and what a type change can lose."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlcompile.autogen import build, compare_keys
from sqlcompile.autogen.changes import (
    Change,
    Phase,
    Thing,
    column_thing,
    table_thing,
    table_things,
    type_things,
)
from sqlcompile.autogen.statements import Item
from sqlcompile.ops.table_ops import (
    AddColumn,
    AlterColumn,
    CreateTable,
    CreateTableComment,
    DropColumn,
    DropTable,
    DropTableComment,
)
from sqlcompile.schema.convert import to_sa_index
from sqlcompile.schema.model import ColumnModel, ForeignKeyModel, TableKey, TableModel, key_order

if TYPE_CHECKING:
    from sqlcompile.autogen.compare import Comparison
    from sqlcompile.dialects.base import DialectSupport
    from sqlcompile.ops.base import Op


# -- tables -----------------------------------------------------------------------------------


def added_tables(c: Comparison, added: list[TableModel]) -> None:
    """create_table for each new table; foreign keys to a new table created later (a
    reference cycle) become create_foreign_key changes of their own."""
    new_keys = {t.key for t in added}
    placed: set[TableKey] = set()
    for table in creation_order(added):
        inline = []
        for fk in table.foreign_keys:
            if fk.ref_key in new_keys and fk.ref_key != table.key \
                    and fk.ref_key not in placed:
                c.add(compare_keys.create_foreign_key(c, table, fk))
            else:
                inline.append(fk)
        placed.add(table.key)
        c.add(create_table(c, table, tuple(inline)))


def create_table(c: Comparison, table: TableModel, fks: tuple[ForeignKeyModel, ...]) -> Change:
    """The create_table of a new table, then its indexes (the downgrade drops them and it)."""
    only = c.target.only
    # Keys and indexes the models keep to other dialects are created there, conditionally.
    every = c.target.every_dialect.get(table.key, table)
    up: list[Item] = [CreateTable(build.sa_table(every, fks, c.target.tables.get(table.key),
                                                 only))]
    up += [build.only_on(only(ix), build.create_index(every, ix)) for ix in every.indexes]
    provides = table_things(table)
    types = type_things(c.dialect, table.columns)
    provides |= types & c.created_types
    needs: set[Thing] = set(types)
    for fk in fks:
        needs |= compare_keys.fk_needs(fk)
    return Change("add_table", table.title, f"added table {table.title}",
                  Phase.CREATE_TABLE, up, down_loss=f"drops table {table.title} and its rows",
                  needs=frozenset(needs - provides), creates=frozenset(provides))


def removed_tables(c: Comparison, removed: list[TableModel]) -> None:
    """drop_table for each table the models no longer have, referencing tables first; a
    foreign key closing a reference cycle among them is dropped first, on its own."""
    gone = {t.key for t in removed}
    order = creation_order(removed)
    position = {t.key: i for i, t in enumerate(order)}
    for table in order:
        inline = []
        for fk in table.foreign_keys:
            if fk.ref_key in gone and fk.ref_key != table.key \
                    and position[fk.ref_key] > position[table.key]:
                c.add(compare_keys.drop_foreign_key(c, table, fk))  # a reference cycle
            else:
                inline.append(fk)
        c.add(drop_table(c, table, tuple(inline)))


def drop_table(c: Comparison, table: TableModel, fks: tuple[ForeignKeyModel, ...]) -> Change:
    """drop_table of a table the models no longer have; the downgrade creates it again."""
    definition = build.sa_table(table, fks)
    for index in table.indexes:
        to_sa_index(index, definition)
    # The downgrade is the reverse (create_table of the dropped table) with the table's
    # indexes stated one by one in the model's order: an SQLAlchemy Table keeps them in a set.
    down: list[Item] = [CreateTable(build.sa_table(table, fks))]
    down += [build.create_index(table, ix) for ix in table.indexes]
    removes = table_things(table)
    uses: set[Thing] = set(type_things(c.dialect, table.columns))
    for fk in fks:
        uses |= compare_keys.fk_needs(fk)
    return Change("remove_table", table.title, f"removed table {table.title}",
                  Phase.DROP_TABLE, [DropTable(table.name, table.schema, table=definition)],
                  explicit_down=down, loss=f"drops table {table.title} and its rows",
                  removes=frozenset(removes), uses=frozenset(uses - removes))


def common_table(c: Comparison, old: TableModel, new: TableModel) -> None:
    """The changes of a table both sides have."""
    table_columns(c, old, new)
    compare_keys.primary_key(c, old, new)
    compare_keys.foreign_keys(c, old, new)
    compare_keys.uniques(c, old, new)
    compare_keys.checks(c, old, new)
    compare_keys.indexes(c, old, new)
    if old.comment != new.comment:
        c.add(table_comment(old, new))


def table_comment(old: TableModel, new: TableModel) -> Change:
    """The table's comment set (or removed); the reverse sets it back."""
    op: Op
    if new.comment is None:
        op = DropTableComment(new.name, old.comment, new.schema)
    else:
        op = CreateTableComment(new.name, new.comment, old.comment, new.schema)
    return Change("modify_table_comment", new.title, f"changed the comment of {new.title}",
                  Phase.TABLE_COMMENT, [op], needs=frozenset({table_thing(new.key)}))


def creation_order(tables: list[TableModel]) -> list[TableModel]:
    """``tables`` so that each follows the ones (among them) its foreign keys reference, by
    name where free; a reference cycle is broken at the first table by name.

    A depth-first order: a table comes right after the tables it references (``a`` ->
    ``c``, then ``b``), not after every table of a smaller name, as the heap-ordered
    :func:`sqlcompile.ordering.topological_order` would place it (``b``, ``c``, ``a``); the
    scripts autogenerate has written follow this order, so it stays.
    """
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


# -- columns ----------------------------------------------------------------------------------


def table_columns(c: Comparison, old: TableModel, new: TableModel) -> None:
    """New, dropped and changed columns of a table."""
    old_names = set(old.column_names())
    new_names = set(new.column_names())
    added = [col for col in new.columns if col.name not in old_names]
    removed = [col for col in old.columns if col.name not in new_names]
    c.suggest_column_renames(new, removed, added)
    for column in added:
        origin = c.target.column(new.key, column.name)
        note = None
        if not column.nullable and column.default is None and column.identity is None \
                and column.computed is None:
            note = (f"{new.title}.{column.name} is NOT NULL with no server default: adding "
                    "it fails if the table has rows (give it a server_default, or add it "
                    "nullable, fill it, then make it NOT NULL)")
        c.add(Change(
            "add_column", f"{new.title}.{column.name}",
            f"added column {new.title}.{column.name}", Phase.ADD_COLUMN,
            [AddColumn(new.name, build.column_on_table(new, column, origin), new.schema)],
            note=note, down_loss=f"drops column {new.title}.{column.name} and its values",
            needs=frozenset({table_thing(new.key), *type_things(c.dialect, [column])}),
            creates=frozenset({column_thing(new, column.name)})))
    for column in removed:
        c.add(Change(
            "remove_column", f"{old.title}.{column.name}",
            f"removed column {old.title}.{column.name}", Phase.DROP_COLUMN,
            [DropColumn(old.name, column.name, old.schema,
                        column=build.column_on_table(old, column))],
            loss=f"drops column {old.title}.{column.name} and its values",
            removes=frozenset({column_thing(old, column.name)}),
            uses=type_things(c.dialect, [column])))
    old_columns: dict[str, ColumnModel] = {}
    for column in old.columns:  # (the first of a name, as old.column() finds)
        old_columns.setdefault(column.name, column)
    for column in new.columns:
        before = old_columns.get(column.name)
        if before is not None:
            change = alter_column(c, new, before, column)
            if change is not None:
                c.add(change)


def alter_column(c: Comparison, table: TableModel, old: ColumnModel,
                 new: ColumnModel) -> Change | None:
    """The alter_column changing ``old`` into ``new`` (None when they are the same), and the
    one changing it back."""
    dialect = c.dialect
    what: list[str] = []
    changes: dict[str, Any] = {}
    using_back: dict[str, str] = {}
    loss = None
    if same_enum(old.type, new.type) and dialect.named_enum(new.type) is None:
        c.enum_columns.setdefault((new.type.schema, new.type.name), []).append(
            (table, old, new))
    elif not c.same_type(old.type, new.type):
        what.append(f"type {c.type_key(old.type)} -> {c.type_key(new.type)}")
        changes["type_"] = new.type
        if other_kind(old.type, new.type):
            from sqlcompile.dialects import conversion_options

            changes["kw"] = conversion_options(new.name, new.type)
            using_back = conversion_options(new.name, old.type)
        loss = narrowing(old.type, new.type, dialect)
    if old.nullable != new.nullable:
        what.append("now NULL" if new.nullable else "now NOT NULL")
        changes["nullable"] = new.nullable
    if old.default != new.default and c.default_key(old.default) \
            != c.default_key(new.default):
        what.append(f"server default {old.default or 'none'} -> {new.default or 'none'}")
        changes["server_default"] = build.default_value(new, c.target.column(table.key,
                                                                             new.name))
    if old.comment != new.comment:
        what.append("comment changed")
        changes["comment"] = new.comment
    if not what:
        return None
    origin = c.target.column(table.key, new.name)
    up = AlterColumn(table.name, new.name, table.schema, existing_type=old.type,
                     existing_server_default=build.default_value(old, None),
                     existing_nullable=old.nullable, existing_comment=old.comment, **changes)
    back = up.reverse()
    assert isinstance(back, AlterColumn)
    # The reverse, with the column as it is after the upgrade stated as the models state it
    # (its type and server default in their words, not the history's: String(50) and "x"
    # for VARCHAR(50) and 'x'), and converting the rows by the old type, not the new.
    down = replace(back, existing_type=new.type,
                   existing_server_default=build.default_value(new, origin), kw=using_back)
    subject = f"{table.title}.{new.name}"
    down_loss = narrowing(new.type, old.type, dialect)
    return Change(
        "modify_column", subject, f"changed column {subject}: {'; '.join(what)}",
        Phase.ALTER_COLUMN, [up], explicit_down=[down], loss=loss and f"{subject}: {loss}",
        down_loss=down_loss and f"{subject}: {down_loss}",
        needs=frozenset({column_thing(table, new.name), *type_things(dialect, [new])}),
        creates=frozenset({("type-of", table.schema, table.name, new.name)}),
        uses=type_things(dialect, [old]))


# -- types ------------------------------------------------------------------------------------


def same_enum(old: Any, new: Any) -> bool:
    """Whether two column types are the same named enum type with other values (a change of
    the type's values, not of the column's type)."""
    import sqlalchemy as sa

    return (isinstance(old, sa.Enum) and isinstance(new, sa.Enum) and bool(new.name)
            and (old.name, old.schema) == (new.name, new.schema) and old.enums != new.enums
            and old.native_enum and new.native_enum)


def _integer_size(type_: Any) -> int | None:
    """0, 1, 2 for small, plain and big integer types; None for other types."""
    import sqlalchemy as sa

    for size, kind in enumerate((sa.SmallInteger, sa.BigInteger)):
        if isinstance(type_, kind):
            return 2 * size
    return 1 if isinstance(type_, sa.Integer) else None


def other_kind(old: Any, new: Any) -> bool:
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
    if other_kind(old, new):
        return (f"changes the type from {dialect.type_key(old)} to {dialect.type_key(new)}; "
                "values that do not convert are lost or make the change fail")
    for attr in ("length", "precision", "scale"):
        was, now = getattr(old, attr, None), getattr(new, attr, None)
        if now is not None and (was is None or now < was):
            return f"narrows {dialect.type_key(old)} to {dialect.type_key(new)}"
    if hasattr(old, "enums") and set(old.enums) - set(getattr(new, "enums", ())):
        return "removes enum values that rows may hold"
    return None
