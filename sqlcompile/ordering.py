"""One deterministic topological sort (Kahn's algorithm, a heap for the ties) for every order
sqlcompile derives from dependencies: revisions, autogenerate's changes, schema.sql's tables.

The order depends only on the nodes, the edges and the key, never on the order sets or dicts
happen to iterate in. A cycle either stops the order (the nodes left are returned) or is
broken: the node with the smallest key among those left is placed next, and the edges into it
from nodes not yet placed are returned as broken, so the caller can make up for them (create a
foreign key later, say).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

N = TypeVar("N", bound=Hashable)


@dataclass(frozen=True)
class Ordered(Generic[N]):
    """An order found: the nodes placed, the edges ignored to break cycles (``(before,
    after)`` pairs, in the order they were broken), and the nodes a cycle left unplaced."""

    order: list[N]
    broken: list[tuple[N, N]] = field(default_factory=list)
    stuck: list[N] = field(default_factory=list)


def topological_order(nodes: Iterable[N], successors: Mapping[N, Iterable[N]],
                      key: Callable[[N], Any], *, recent_first: bool = False,
                      break_cycles: bool = False) -> Ordered[N]:
    """``nodes`` so that each comes after every node with an edge to it (``successors[a]``
    holds the nodes that come after ``a``; edges to unknown nodes are ignored, an edge from a
    node to itself is a cycle).

    Among the nodes ready to be placed, the one with the smallest ``key`` comes first (keys
    must be distinct); with ``recent_first``, the nodes made ready by the node placed last come
    before those made ready earlier, which keeps to one branch until it ends. A cycle stops
    the order unless ``break_cycles`` (see the module docstring).
    """
    listed = list(dict.fromkeys(nodes))
    known = set(listed)
    after: dict[N, list[N]] = {}
    before: dict[N, set[N]] = {node: set() for node in listed}
    for node in listed:
        targets = [t for t in dict.fromkeys(successors.get(node, ())) if t in known]
        after[node] = targets
        for target in targets:
            before[target].add(node)
    waiting = {node: len(before[node]) for node in listed}
    ranks = {node: key(node) for node in listed}
    step = 0
    ready: list[tuple[int, Any, int]] = []
    index = {node: i for i, node in enumerate(listed)}
    for node in listed:
        if waiting[node] == 0:
            ready.append((0, ranks[node], index[node]))
    heapq.heapify(ready)
    placed: set[N] = set()
    order: list[N] = []
    broken: list[tuple[N, N]] = []
    while len(order) < len(listed):
        if ready:
            node = listed[heapq.heappop(ready)[2]]
        elif break_cycles:
            node = min((n for n in listed if n not in placed), key=ranks.__getitem__)
            broken += [(other, node) for other in sorted(before[node] - placed,
                                                         key=ranks.__getitem__)]
        else:
            break
        placed.add(node)
        order.append(node)
        step += 1
        for target in after[node]:
            waiting[target] -= 1
            if waiting[target] == 0 and target not in placed:
                heapq.heappush(ready, (-step if recent_first else 0, ranks[target],
                                       index[target]))
    stuck = sorted((n for n in listed if n not in placed), key=ranks.__getitem__)
    return Ordered(order, broken, stuck)
