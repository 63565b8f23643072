"""Our `op` and `batch_op` have every public method of Alembic's `Operations` and
`BatchOperations`, with the same parameters: same names, kinds, order and defaults.

Alembic is a dev dependency; sqlcompile itself never imports it. The walk reads Alembic's
signatures with `inspect.signature` and ours from the real proxies (`op` while a script runs,
`batch_op` inside `op.batch_alter_table()`), so a method Alembic adds, or a parameter, fails
here until ours has it. A `**kw` of ours only stands for Alembic's own `**kw`: every parameter
Alembic names, ours names too.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.operations import BatchOperations, Operations

from sqlcompile.config import Config
from sqlcompile.dialects import get_dialect
from sqlcompile.sources.proxy import op, recording
from sqlcompile.sources.recorder import Recorder

#: Alembic's public names that are no migration operation, and why ours need not exist.
EXCLUDED = {
    "context": "a classmethod env.py calls to install `op` for a MigrationContext; sqlcompile "
               "installs `op` itself, scripts never call it",
    "create_module_class_proxy": "Alembic's machinery behind the `alembic.op` module",
    "implementation_for": "registers an op plugin's implementation: plugins are their own "
                          "part of issue 12 (section 4)",
    "register_operation": "registers an op plugin's method: plugins are their own part of "
                          "issue 12 (section 4)",
}

P = inspect.Parameter
POSITIONAL = (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)


def public_methods(cls: type) -> list[str]:
    return sorted(name for name in dir(cls)
                  if not name.startswith("_") and callable(getattr(cls, name)))


def _empty(value: Any) -> bool:
    """Defaults that all mean "nothing given" (Alembic writes immutabledict({}) or ())."""
    return value is None or (isinstance(value, tuple | list | dict) and not value) \
        or type(value).__name__ == "immutabledict" and not value


def same_default(theirs: Any, ours: Any) -> bool:
    if theirs is P.empty or ours is P.empty:
        return theirs is ours
    return bool(theirs == ours) or (_empty(theirs) and _empty(ours))


def differences(theirs: inspect.Signature, ours: inspect.Signature) -> list[str]:
    """How ``ours`` fails to accept every call ``theirs`` accepts, binding them alike."""
    their_params = [p for p in theirs.parameters.values() if p.name != "self"]
    mine = list(ours.parameters.values())
    by_name = {p.name: p for p in mine}
    out: list[str] = []
    their_pos = [p for p in their_params if p.kind in POSITIONAL]
    my_pos = [p for p in mine if p.kind in POSITIONAL]
    for index, param in enumerate(their_pos):
        if index >= len(my_pos) or my_pos[index].name != param.name:
            found = my_pos[index].name if index < len(my_pos) else "nothing"
            out.append(f"positional parameter {index} is {param.name!r}, ours {found!r}")
        elif not same_default(param.default, my_pos[index].default):
            out.append(f"{param.name}: default {param.default!r}, ours "
                       f"{my_pos[index].default!r}")
    for extra in my_pos[len(their_pos):]:
        if extra.default is P.empty and not any(p.kind is P.VAR_POSITIONAL
                                                for p in their_params):
            out.append(f"our extra positional parameter {extra.name!r} is required")
    for kind, what in ((P.VAR_POSITIONAL, "*args"), (P.VAR_KEYWORD, "**kw")):
        if any(p.kind is kind for p in their_params) and not any(p.kind is kind for p in mine):
            out.append(f"Alembic takes {what}, ours does not")
    if any(p.kind is P.VAR_KEYWORD for p in mine) and not any(
            p.kind is P.VAR_KEYWORD for p in their_params):
        out.append("ours takes any keyword (**kw), Alembic's names each one")
    for param in their_params:
        if param.kind is not P.KEYWORD_ONLY:
            continue
        found = by_name.get(param.name)
        if found is None or found.kind not in (P.KEYWORD_ONLY, P.POSITIONAL_OR_KEYWORD):
            out.append(f"keyword {param.name!r} is missing (a **kw of ours does not count)")
        elif not same_default(param.default, found.default):
            out.append(f"{param.name}: default {param.default!r}, ours {found.default!r}")
    for param in mine:
        if param.kind is P.KEYWORD_ONLY and param.default is P.empty:
            out.append(f"our keyword {param.name!r} is required")
    return out


@pytest.fixture
def proxies(tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    """`op` as a running script sees it, and a `batch_op`."""
    recorder = Recorder(get_dialect("postgresql"), Config(root=tmp_path), tmp_path / "s.py",
                        "s.py", tmp_path / "hand.sql")
    with recording(recorder), op.batch_alter_table("t") as batch_op:
        yield op, batch_op


@pytest.mark.parametrize("alembic_class", [Operations, BatchOperations],
                         ids=["op", "batch_op"])
def test_every_alembic_method_exists_with_its_parameters(
        alembic_class: type, proxies: tuple[Any, Any]) -> None:
    ours = proxies[0] if alembic_class is Operations else proxies[1]
    problems = []
    for name in public_methods(alembic_class):
        if name in EXCLUDED:
            continue
        method = getattr(ours, name, None)
        if method is None:
            problems.append(f"{name}: missing")
            continue
        theirs = inspect.signature(getattr(alembic_class, name))
        problems += [f"{name}: {text}" for text in differences(theirs,
                                                                inspect.signature(method))]
    assert not problems, "\n".join(problems)


def test_the_exclusions_are_alembic_names() -> None:
    """An exclusion names a method Alembic has (a renamed one would hide nothing)."""
    assert set(EXCLUDED) <= set(public_methods(Operations)) & set(public_methods(BatchOperations))


def test_the_walk_sees_a_missing_keyword() -> None:
    """The comparison itself: a keyword Alembic names is not covered by a **kw of ours."""

    def alembic_like(self: Any, table_name: str, *, schema: str | None = None) -> None: ...

    def ours_like(table_name: str, **kw: Any) -> None: ...

    def ours_reordered(schema: str | None = None, table_name: str = "") -> None: ...

    theirs = inspect.signature(alembic_like)
    assert differences(theirs, inspect.signature(ours_like)) == [
        "ours takes any keyword (**kw), Alembic's names each one",
        "keyword 'schema' is missing (a **kw of ours does not count)"]
    assert differences(theirs, inspect.signature(ours_reordered))[0].startswith(
        "positional parameter 0 is 'table_name'")
