"""Compiling is a function of the inputs, not of what was compiled before in the process: the
recorded ops are never written into, so any call order gives the same bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqlcompile.config import load_config
from sqlcompile.dialects import known_dialects
from sqlcompile.pipeline.render import load_project, render_files, render_schema, render_stream

REPO = Path(__file__).resolve().parent.parent


def _project():  # type: ignore[no-untyped-def]
    return load_project(load_config(REPO / "pyproject.toml"))


@pytest.mark.parametrize("dialect", known_dialects())
def test_rendering_in_another_order_in_one_process_gives_the_same_bytes(dialect: str) -> None:
    first = _project()
    files = render_files(first, dialect).files
    graph = first.graph
    down = graph.steps("downgrade", graph.resolve("heads"), graph.resolve("base"))
    up = graph.steps("upgrade", graph.resolve("base"), graph.resolve("heads"))
    stream_down = render_stream(first, dialect, down, "heads:base").files
    again = render_files(first, dialect).files  # the same project, after a downgrade stream
    assert again == files

    other = _project()  # a fresh project, everything in the opposite order
    stream_down_first = render_stream(other, dialect, down, "heads:base").files
    schema = render_schema(other, dialect).files
    stream_up = render_stream(other, dialect, up, "base:heads").files
    assert render_files(other, dialect).files == files
    assert stream_down_first == stream_down
    assert schema.items() <= files.items()  # schema.sql is one of the rendered files
    assert render_stream(_project(), dialect, up, "base:heads").files == stream_up


def test_recorded_ops_are_not_written_into_by_compiling() -> None:
    """The ops a recording holds compare equal before and after every body was compiled."""
    project = _project()
    dialect_name = "mysql"  # the dialect whose renderers read the model the most
    from sqlcompile.dialects import get_dialect

    dialect = get_dialect(dialect_name)
    steps = project.graph.file_steps()
    recordings = [project.recording(s.script, s.direction, dialect)
                  for pair in steps for s in pair]
    before = [[repr(item.op) for item in r.ops] for r in recordings]
    render_files(project, dialect_name)
    assert [[repr(item.op) for item in r.ops] for r in recordings] == before
