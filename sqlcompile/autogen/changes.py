"""One difference between two schemas, with the statements (ops) that make it and undo it,
and the order in which differences can be applied.

A change's downgrade is the reverse of its upgrade (each op's ``reverse()``, last first)
unless the change states another (``explicit_down``, with the reason where it is made).

Order comes from dependencies, not from a hand-picked sequence: every change says which
things (tables, columns, keys, names, types) it needs to exist, creates, removes, or still
uses while it removes something. A change runs after those that create what it needs, and
before those that remove what it uses; a name is removed before it is given again. Phases only
break ties, so the script reads in a familiar order (drops of keys first, new tables, new
columns, changed columns, new keys) wherever the dependencies leave a choice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING

from sqlcompile.autogen.statements import Item, undo
from sqlcompile.ordering import topological_order

if TYPE_CHECKING:
    from sqlcompile.dialects.base import DialectSupport
    from sqlcompile.schema.model import ColumnModel, TableKey, TableModel

#: Something a change depends on: ("table", schema, name), ("column", schema, table, name),
#: ("key", schema, table, columns...), ("name", schema, name), ("type", schema, name).
Thing = tuple[str | None, ...]


def table_thing(key: TableKey) -> Thing:
    """A table, by its key."""
    return ("table", key[0], key[1])


def column_thing(table: TableModel, column: str) -> Thing:
    """A column of ``table``."""
    return ("column", table.schema, table.name, column)


def key_thing(schema: str | None, table: str, columns: Iterable[str]) -> Thing:
    """A primary or unique key on ``columns`` (what a foreign key can reference)."""
    return ("key", schema, table, *sorted(columns))


def name_things(table: TableModel, name: str | None) -> frozenset[Thing]:
    """The name of a constraint or index of ``table`` (none for an unnamed one)."""
    return frozenset({("name", table.schema, name)}) if name else frozenset()


def table_things(table: TableModel) -> set[Thing]:
    """What a table brings with it: itself, its columns, its keys, the names of its
    constraints and indexes."""
    things: set[Thing] = {table_thing(table.key)}
    things |= {column_thing(table, c.name) for c in table.columns}
    for key in (table.primary_key, *table.uniques):
        if key is not None:
            things.add(key_thing(table.schema, table.name, key.columns))
    names = [ix.name for ix in table.indexes] + [n for _, n in table.constraint_names()]
    return things | {("name", table.schema, n) for n in names if n}


def type_things(dialect: DialectSupport, columns: Iterable[ColumnModel]) -> frozenset[Thing]:
    """The named enum types (where they are types of their own) the columns use."""
    found = set()
    for column in columns:
        enum = dialect.named_enum(column.type)
        if enum is not None:
            found.add(("type", enum.schema, enum.name))
    return frozenset(found)


class Phase(IntEnum):
    """Tie-breaking order of changes (dependencies come first)."""

    RENAME_TABLE = 0
    RENAME_COLUMN = 1
    CREATE_TYPE = 2
    DROP_FOREIGN_KEY = 3
    DROP_KEY = 4
    DROP_TABLE = 5
    CREATE_TABLE = 6
    ADD_COLUMN = 7
    ALTER_COLUMN = 8
    DROP_COLUMN = 9
    CREATE_KEY = 10
    CREATE_FOREIGN_KEY = 11
    TABLE_COMMENT = 12
    DROP_TYPE = 13


@dataclass
class Change:
    """One difference: what it is, the statements of `upgrade()` that make it (and of
    `downgrade()` that undo it), and its dependencies."""

    kind: str  # add_table, remove_column, modify_type, ...
    subject: str  # users.phone
    description: str  # what the report says
    phase: Phase
    up: list[Item]
    #: the statements of `downgrade()` where they are not the reverse of ``up``
    explicit_down: list[Item] | None = None
    #: why the upgrade can lose data (None: it cannot); the script says so above its lines
    loss: str | None = None
    #: why the downgrade can lose data
    down_loss: str | None = None
    #: a note the script writes above the change (and the report repeats)
    note: str | None = None
    needs: frozenset[Thing] = field(default_factory=frozenset)
    creates: frozenset[Thing] = field(default_factory=frozenset)
    removes: frozenset[Thing] = field(default_factory=frozenset)
    #: what this change still uses while it removes or changes something
    uses: frozenset[Thing] = field(default_factory=frozenset)

    @property
    def down(self) -> list[Item]:
        """The statements of `downgrade()` undoing the change."""
        return undo(self.up) if self.explicit_down is None else self.explicit_down


def order_changes(changes: list[Change]) -> list[Change]:
    """The changes in an order that applies: each after what creates what it needs, before
    what removes what it uses, and after what removes a name it gives again; phase, then the
    order found, where that leaves a choice."""
    creators: dict[Thing, list[int]] = {}
    removers: dict[Thing, list[int]] = {}
    for i, change in enumerate(changes):
        for thing in change.creates:
            creators.setdefault(thing, []).append(i)
        for thing in change.removes:
            removers.setdefault(thing, []).append(i)
    after: list[set[int]] = [set() for _ in changes]  # after[i]: what must run after i
    for i, change in enumerate(changes):
        for thing in change.needs:
            for j in creators.get(thing, ()):
                if j != i:
                    after[j].add(i)
        for thing in change.uses:
            for j in removers.get(thing, ()):
                if j != i:
                    after[i].add(j)
        for thing in change.creates:
            for j in removers.get(thing, ()):
                if j != i:
                    after[j].add(i)
    # A cycle is broken at the earliest change left, by phase.
    found = topological_order(range(len(changes)), dict(enumerate(after)),
                              key=lambda i: (changes[i].phase, i), break_cycles=True)
    return [changes[i] for i in found.order]
