"""The revision graph: order, heads, references, version rows along upgrade/downgrade steps."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqlcompile.errors import GraphError
from sqlcompile.sources.graph import RevisionGraph
from sqlcompile.sources.scripts import Script


def rev(revision: str, *parents: str, labels: tuple[str, ...] = (),
        depends_on: tuple[str, ...] = ()) -> Script:
    """A script record without a file: only its identity and edges matter here."""
    return Script(Path(f"{revision}.py"), f"versions/{revision}.py", revision, parents, labels,
                  depends_on, f"message {revision}", "0" * 64)


# base -> a -> (b1 -> b2) and (c1) -> m (merge) ; d depends on c1 but branches from base
HISTORY = [
    rev("base0"),
    rev("a", "base0"),
    rev("b1", "a", labels=("billing",)),
    rev("b2", "b1"),
    rev("c1", "a"),
    rev("m", "b2", "c1"),
    rev("d", "base0", depends_on=("c1",)),
]


def graph() -> RevisionGraph:
    return RevisionGraph(list(reversed(HISTORY)))  # input order must not matter


def test_order_puts_requirements_first_and_keeps_a_branch_together() -> None:
    order = graph().order
    assert order == ["base0", "a", "b1", "b2", "c1", "d", "m"]
    for script in HISTORY:
        for req in (*script.down_revisions, *script.depends_on):
            assert order.index(req) < order.index(script.revision)


def test_heads_and_bases() -> None:
    g = graph()
    assert g.heads() == ["d", "m"]
    assert g.bases() == ["base0"]


@pytest.mark.parametrize(("ref", "expected"), [
    ("heads", ["d", "m"]),
    ("base", []),
    ("b", ["b1", "b2"]),  # ambiguous prefix: error below
    ("c", ["c1"]),
    ("billing", ["b1"]),
    ("billing@head", ["m"]),
])
def test_resolve(ref: str, expected: list[str]) -> None:
    g = graph()
    if len(expected) > 1 and ref != "heads":
        with pytest.raises(GraphError, match="ambiguous"):
            g.resolve(ref)
    else:
        assert g.resolve(ref) == expected


def test_head_needs_a_single_head() -> None:
    with pytest.raises(GraphError, match="2: d, m") as info:
        graph().resolve("head")
    assert "sqlcompile merge" in (info.value.hint or "")


def test_file_steps_track_one_row_per_head() -> None:
    rows = {up.script.revision: (up.before, up.after) for up, _ in graph().file_steps()}
    assert rows["b1"] == (("a",), ("b1",))
    assert rows["c1"] == (("b2",), ("b2", "c1"))  # sibling branch: a new row
    assert rows["d"] == (("b2", "c1"), ("b2", "c1", "d"))  # depends_on keeps c1's row
    assert rows["m"] == (("b2", "c1", "d"), ("d", "m"))  # the merge replaces both parents


def test_downgrade_file_steps_mirror_upgrades() -> None:
    for up, down in graph().file_steps():
        assert (down.before, down.after) == (up.after, up.before)


def test_upgrade_and_downgrade_between_states() -> None:
    g = graph()
    steps = g.upgrade_steps(["b1"], ["m"])
    assert [s.script.revision for s in steps] == ["b2", "c1", "m"]
    assert steps[0].before == ("b1",) and steps[-1].after == ("m",)
    down = g.downgrade_steps(["m", "d"], ["a"])
    assert [s.script.revision for s in down] == ["m", "d", "c1", "b2", "b1"]
    assert down[-1].after == ("a",)


def test_graph_errors_name_the_files() -> None:
    with pytest.raises(GraphError, match="duplicate revision id 'a'"):
        RevisionGraph([rev("a"), rev("a")])
    with pytest.raises(GraphError, match="parent 'zz'") as missing:
        RevisionGraph([rev("a", "zz")])
    assert missing.value.path == "versions/a.py"
    with pytest.raises(GraphError, match="cycle"):
        RevisionGraph([rev("a", "b"), rev("b", "a")])
    with pytest.raises(GraphError, match="branch label 'x'"):
        RevisionGraph([rev("a", labels=("x",)), rev("b", "a", labels=("x",))])
