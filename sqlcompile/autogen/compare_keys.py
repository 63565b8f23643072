"""Keys and indexes of a comparison: primary keys, foreign keys, unique and check
constraints and indexes that are new or gone, matched by name and definition."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlcompile.autogen import build
from sqlcompile.autogen.changes import (
    Change,
    Phase,
    Thing,
    column_thing,
    key_thing,
    name_things,
    table_thing,
)
from sqlcompile.schema.model import ForeignKeyModel, IndexModel, KeyModel, TableModel, key_text

if TYPE_CHECKING:
    from sqlcompile.autogen.compare import Comparison


def fk_needs(fk: ForeignKeyModel) -> set[Thing]:
    """What a foreign key needs: the table, columns and key it references."""
    ref = ("table", fk.ref_schema, fk.ref_table)
    return {ref, *(("column", fk.ref_schema, fk.ref_table, c) for c in fk.ref_columns),
            key_thing(fk.ref_schema, fk.ref_table, fk.ref_columns)}


def constraint_change(c: Comparison, table: TableModel, kind: str, item: Any, add: bool,
                      describe: str, needs: set[Thing] | None = None,
                      provides: set[Thing] | None = None) -> Change:
    """Adding (``add``) or dropping a key of ``table``; the reverse undoes it."""
    if item.name is None and not add:
        c.suggestions.append(
            f"{describe} has no name: the script cannot drop it by name; name it in the "
            "history (or drop it in hand-written SQL)")
    columns = getattr(item, "columns", ())
    things = {column_thing(table, col) for col in columns} | {table_thing(table.key)}
    things |= needs or set()
    given = set(provides or set()) | set(name_things(table, item.name))
    if add:
        create = build.only_on(c.target.only(item), build.add_constraint(table, kind, item))
        return Change(f"add_{kind}", f"{table.title}.{item.name or '?'}", f"added {describe}",
                      Phase.CREATE_FOREIGN_KEY if kind == "foreignkey" else Phase.CREATE_KEY,
                      [create], needs=frozenset(things), creates=frozenset(given))
    return Change(f"remove_{kind}", f"{table.title}.{item.name or '?'}", f"removed {describe}",
                  Phase.DROP_FOREIGN_KEY if kind == "foreignkey" else Phase.DROP_KEY,
                  [build.drop_constraint(table, kind, item)], removes=frozenset(given),
                  uses=frozenset(things))


def create_foreign_key(c: Comparison, table: TableModel, fk: ForeignKeyModel) -> Change:
    """A foreign key of ``table`` to add."""
    return constraint_change(c, table, "foreignkey", fk, True, _fk_text(table, fk),
                             fk_needs(fk))


def drop_foreign_key(c: Comparison, table: TableModel, fk: ForeignKeyModel) -> Change:
    """A foreign key of ``table`` to drop."""
    return constraint_change(c, table, "foreignkey", fk, False, _fk_text(table, fk),
                             fk_needs(fk))


def primary_key(c: Comparison, old: TableModel, new: TableModel) -> None:
    """The primary key dropped and made again when its columns change."""
    a, b = old.primary_key, new.primary_key
    if (a.columns if a else ()) == (b.columns if b else ()):
        return
    for key, add in ((a, False), (b, True)):
        if key is not None:
            thing = {key_thing(new.schema, new.name, key.columns)}
            c.add(constraint_change(
                c, new, "primary", key, add,
                f"primary key {key.name or ''} of {new.title} ({', '.join(key.columns)})",
                provides=thing))


def foreign_keys(c: Comparison, old: TableModel, new: TableModel) -> None:
    """Foreign keys gone and new, equal when columns, target and actions are."""
    def signature(fk: ForeignKeyModel) -> tuple[Any, ...]:
        return (fk.columns, fk.ref_schema, fk.ref_table, fk.ref_columns,
                c.dialect.fk_action_key(fk.ondelete),
                c.dialect.fk_action_key(fk.onupdate), bool(fk.deferrable),
                (fk.initially or "").upper())

    gone, came = _match(old.foreign_keys, new.foreign_keys, signature)
    for fk in gone:
        c.add(drop_foreign_key(c, old, fk))
    for fk in came:
        c.add(create_foreign_key(c, new, fk))


def uniques(c: Comparison, old: TableModel, new: TableModel) -> None:
    """Unique constraints gone and new, equal when their columns are."""
    def signature(key: KeyModel) -> tuple[Any, ...]:
        return tuple(key.columns)

    gone, came = _match(old.uniques, new.uniques, signature)
    for key, add in [*((k, False) for k in gone), *((k, True) for k in came)]:
        thing = {key_thing(new.schema, new.name, key.columns)}
        c.add(constraint_change(
            c, new, "unique", key, add,
            f"unique constraint {key.name or ''} on {new.title} ({', '.join(key.columns)})",
            provides=thing))


def checks(c: Comparison, old: TableModel, new: TableModel) -> None:
    """Check constraints gone and new, equal when their conditions are (as the dialect
    states them)."""
    gone, came = _match(old.checks, new.checks, lambda ck: c.dialect.sql_key(ck.sqltext))
    if not (gone or came):
        return
    # A new column's type makes its own check (create_constraint=True), a dropped column's
    # goes with it: neither is a constraint of its own in the script.
    old_names, new_names = set(old.column_names()), set(new.column_names())
    typed = {True: build.type_checks(col for col in new.columns if col.name not in old_names),
             False: build.type_checks(col for col in old.columns if col.name not in new_names)}
    for check, add in [*((ck, False) for ck in gone), *((ck, True) for ck in came)]:
        if build.type_check(check, typed[add]):
            continue
        c.add(constraint_change(
            c, new, "check", check, add,
            f"check constraint {check.name or ''} on {new.title} ({check.sqltext})"))


def _index_signature(c: Comparison, index: IndexModel) -> tuple[Any, ...]:
    parts = tuple((c.dialect.sql_key(p.text) if p.expression else p.text, p.expression)
                  for p in index.parts)
    options = tuple(sorted(
        (key, c.dialect.sql_key(value) if key.endswith("_where") and value else value)
        for key, value in index.options if key.partition("_")[0] in c.prefixes))
    return (parts, index.unique, options)


def indexes(c: Comparison, old: TableModel, new: TableModel) -> None:
    """Indexes gone and new, equal when parts, uniqueness and this dialect's options are."""
    gone, came = _match(old.indexes, new.indexes, lambda ix: _index_signature(c, ix))
    for index in gone:
        c.add(Change(
            "remove_index", f"{old.title}.{index.name}",
            f"removed index {index.name} on {old.title}", Phase.DROP_KEY,
            [build.drop_index(old, index)], removes=name_things(old, index.name),
            uses=frozenset({table_thing(old.key),
                            *(column_thing(old, col) for col in index.columns)})))
    for index in came:
        c.add(Change(
            "add_index", f"{new.title}.{index.name}",
            f"added index {index.name} on {new.title}", Phase.CREATE_KEY,
            [build.only_on(c.target.only(index), build.create_index(new, index))],
            needs=frozenset({table_thing(new.key),
                             *(column_thing(new, col) for col in index.columns)}),
            creates=name_things(new, index.name)))


def _fk_text(table: TableModel, fk: ForeignKeyModel) -> str:
    return (f"foreign key {fk.name or ''} {table.title}({', '.join(fk.columns)}) -> "
            f"{key_text(fk.ref_key)}({', '.join(fk.ref_columns)})")


def _match(old: Iterable[Any], new: Iterable[Any], signature: Any) -> tuple[list[Any], list[Any]]:
    """(old items with no equal new one, new items with no equal old one); items are equal
    when their names and signatures are, or, where one side has no name, their signatures."""
    left = [(n, signature(n)) for n in new]  # each signature once
    gone = []
    for item in old:
        sig = signature(item)
        at = next((i for i, (n, n_sig) in enumerate(left) if n_sig == sig
                   and (n.name == item.name or n.name is None or item.name is None)), None)
        if at is None:
            gone.append(item)
        else:
            del left[at]
    # By name then definition: the history keeps the order its scripts created things in, a
    # database its own; the script must not depend on which one it was compared with.
    def order(item: Any) -> tuple[str, str]:
        return (str(item.name), repr(item))

    return sorted(gone, key=order), sorted((n for n, _ in left), key=order)
