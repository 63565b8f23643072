"""One difference between two schemas, with the script lines that make it and undo it, and
the order in which differences can be applied.

Order comes from dependencies, not from a hand-picked sequence: every change says which
things (tables, columns, keys, names, types) it needs to exist, creates, removes, or still
uses while it removes something. A change runs after those that create what it needs, and
before those that remove what it uses; a name is removed before it is given again. Phases only
break ties, so the script reads in a familiar order (drops of keys first, new tables, new
columns, changed columns, new keys) wherever the dependencies leave a choice.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from enum import IntEnum

#: Something a change depends on: ("table", schema, name), ("column", schema, table, name),
#: ("key", schema, table, columns...), ("name", schema, name), ("type", schema, name).
Thing = tuple[str | None, ...]


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
    """One difference: what it is, the lines of `upgrade()` that make it and the lines of
    `downgrade()` that undo it, and its dependencies."""

    kind: str  # add_table, remove_column, modify_type, ...
    subject: str  # users.phone
    description: str  # what the report says
    phase: Phase
    up: list[str]
    down: list[str]
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
    waiting = [0] * len(changes)
    for followers in after:
        for j in followers:
            waiting[j] += 1
    ready = [(changes[i].phase, i) for i in range(len(changes)) if waiting[i] == 0]
    heapq.heapify(ready)
    done: list[int] = []
    placed = [False] * len(changes)
    while len(done) < len(changes):
        if not ready:  # a cycle: take the earliest change left, by phase
            i = min((i for i in range(len(changes)) if not placed[i]),
                    key=lambda i: (changes[i].phase, i))
            waiting[i] = 0
            heapq.heappush(ready, (changes[i].phase, i))
        _, i = heapq.heappop(ready)
        if placed[i]:
            continue
        placed[i] = True
        done.append(i)
        for j in sorted(after[i]):
            waiting[j] -= 1
            if waiting[j] == 0 and not placed[j]:
                heapq.heappush(ready, (changes[j].phase, j))
    return [changes[i] for i in done]
