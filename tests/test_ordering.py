"""The one topological sort (`sqlcompile.ordering`): ties by key, the most recently readied
first, cycles stopped or broken; and, drawn by hypothesis, the same orders as the algorithms it
replaced (kept here as the reference: the revision order numbers the files)."""

from __future__ import annotations

import heapq
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sqlcompile.ordering import topological_order


def test_ties_go_by_key_and_edges_come_first() -> None:
    found = topological_order(["d", "c", "b", "a"], {"c": ["a"], "d": ["b"]}, key=str)
    assert found.order == ["c", "a", "d", "b"]
    assert found.broken == [] and found.stuck == []


def test_recent_first_keeps_to_the_branch_just_taken() -> None:
    edges = {"r": ["a", "m"], "a": ["z"]}
    assert topological_order("rmaz", edges, key=str).order == ["r", "a", "m", "z"]
    assert topological_order("rmaz", edges, key=str, recent_first=True).order == \
        ["r", "a", "z", "m"]


def test_a_cycle_stops_the_order_and_leaves_its_nodes() -> None:
    found = topological_order("abcd", {"a": ["b"], "b": ["c"], "c": ["b"]}, key=str)
    assert found.order == ["a", "d"]
    assert found.stuck == ["b", "c"]


def test_a_node_with_an_edge_to_itself_is_a_cycle() -> None:
    assert topological_order("ab", {"a": ["a"]}, key=str).stuck == ["a"]


def test_a_broken_cycle_starts_at_its_smallest_key_and_names_the_edges_ignored() -> None:
    edges = {"x": ["y"], "y": ["z"], "z": ["x", "w"], "w": ["y"]}
    found = topological_order("wxyz", edges, key=str, break_cycles=True)
    assert found.order == ["w", "x", "y", "z"]
    assert found.broken == [("z", "w"), ("z", "x")]
    assert found.stuck == []


def test_edges_to_unknown_nodes_are_left_out() -> None:
    assert topological_order("ab", {"a": ["q", "b"]}, key=str).order == ["a", "b"]


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(st.data())
def test_the_order_does_not_depend_on_the_order_things_are_given_in(data: st.DataObject
                                                                    ) -> None:
    nodes, edges = data.draw(_graphs(cycles=True))
    shuffled = list(nodes)
    random.Random(data.draw(st.integers())).shuffle(shuffled)
    reordered = {n: list(reversed(edges[n])) for n in shuffled}
    for options in ({}, {"recent_first": True}, {"break_cycles": True}):
        assert topological_order(nodes, edges, key=str, **options) == \
            topological_order(shuffled, reordered, key=str, **options)


# -- the algorithms it replaced ------------------------------------------------------------------


def _graphs(cycles: bool) -> st.SearchStrategy[tuple[list[str], dict[str, list[str]]]]:
    """Nodes n00.. and edges between them (only to later nodes unless ``cycles``)."""
    @st.composite
    def draw(draw: Any) -> tuple[list[str], dict[str, list[str]]]:
        count = draw(st.integers(0, 12))
        nodes = [f"n{i:02d}" for i in range(count)]
        edges: dict[str, list[str]] = {n: [] for n in nodes}
        for i, node in enumerate(nodes):
            targets = nodes if cycles else nodes[i + 1:]
            if targets:
                edges[node] = sorted(set(draw(st.lists(st.sampled_from(targets), max_size=3))))
        return nodes, edges

    return draw()


def _revision_order(nodes: list[str], edges: dict[str, list[str]]) -> list[str] | None:
    """`RevisionGraph._topological_order` before: ticks, the last readied first."""
    dependents: dict[str, list[str]] = {n: [] for n in nodes}
    waiting: dict[str, int] = {}
    parents = {n: {p for p in nodes if n in edges[p]} for n in nodes}
    for rev in sorted(nodes):
        waiting[rev] = len(parents[rev])
        for req in sorted(parents[rev]):
            dependents[req].append(rev)
    ready = [(0, rev) for rev in sorted(nodes) if waiting[rev] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    tick = 0
    while ready:
        _, rev = heapq.heappop(ready)
        order.append(rev)
        for child in reversed(dependents[rev]):
            waiting[child] -= 1
            if waiting[child] == 0:
                tick -= 1
                heapq.heappush(ready, (tick, child))
    return order if len(order) == len(nodes) else None


def _broken_order(nodes: list[str], edges: dict[str, list[str]],
                  ) -> tuple[list[str], set[tuple[str, str]]]:
    """`printer.creation_order` and `autogen.changes.order_changes` before: a heap by key; a
    cycle started at the smallest key left, the edges into it from nodes left broken."""
    waiting = {n: len({p for p in nodes if n in edges[p] and p != n}) for n in nodes}
    ready = [n for n in nodes if waiting[n] == 0]
    heapq.heapify(ready)
    placed: set[str] = set()
    order: list[str] = []
    broken: set[tuple[str, str]] = set()
    while len(order) < len(nodes):
        if ready:
            node = heapq.heappop(ready)
            if node in placed:
                continue
        else:
            node = min(n for n in nodes if n not in placed)
            broken |= {(p, node) for p in nodes if node in edges[p] and p not in placed
                       and p != node}
        placed.add(node)
        order.append(node)
        for child in edges[node]:
            if child == node:
                continue
            waiting[child] -= 1
            if waiting[child] == 0 and child not in placed:
                heapq.heappush(ready, child)
    return order, broken


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(_graphs(cycles=True))
def test_revisions_keep_the_order_they_had(graph: tuple[list[str], dict[str, list[str]]]
                                          ) -> None:
    nodes, edges = graph
    found = topological_order(sorted(nodes), edges, key=str, recent_first=True)
    expected = _revision_order(nodes, edges)
    assert (found.order if not found.stuck else None) == expected


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(_graphs(cycles=True))
def test_tables_and_changes_keep_the_order_they_had(graph: tuple[list[str],
                                                                 dict[str, list[str]]]) -> None:
    nodes, edges = graph
    # Both callers leave out an edge from a node to itself.
    without_loops = {n: [t for t in edges[n] if t != n] for n in nodes}
    found = topological_order(nodes, without_loops, key=str, break_cycles=True)
    order, broken = _broken_order(nodes, edges)
    assert (found.order, set(found.broken)) == (order, broken)
