"""The history replayed in a worker while the models import (autogen/sides.py): the same
script as a replay in the process, and the same errors, whatever goes wrong in the worker."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from test_autogen import CHANGED_MODELS, autogen, golden_check, make_project, script

from sqlcompile.autogen import sides

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                reason="the worker is forked")


@pytest.fixture
def worker(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every history gets its worker; what became of each replay ("worker": its model was
    used, "here": replayed in the process)."""
    monkeypatch.setattr(sides, "MIN_SOURCE_BYTES", 0)
    monkeypatch.setenv("SQLCOMPILE_JOBS", "2")
    outcomes: list[str] = []
    unpickled = sides._unpickled

    def spy(blob: bytes, dialect: Any) -> Any:
        found = unpickled(blob, dialect)
        outcomes.append("here" if found is None else "worker")
        return found

    monkeypatch.setattr(sides, "_unpickled", spy)
    return outcomes


def test_small_histories_replay_in_the_process(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SQLCOMPILE_JOBS", "2")
    root = make_project(tmp_path / "p", CHANGED_MODELS, example=True)
    from sqlcompile.config import load_config
    from sqlcompile.pipeline.render import load_project

    assert not sides.worth_a_worker(load_project(load_config(root / "sqlcompile.toml")))
    monkeypatch.setattr(sides, "MIN_SOURCE_BYTES", 0)
    assert sides.worth_a_worker(load_project(load_config(root / "sqlcompile.toml")))
    monkeypatch.setenv("SQLCOMPILE_JOBS", "1")
    assert not sides.worth_a_worker(load_project(load_config(root / "sqlcompile.toml")))


def test_the_worker_s_model_writes_the_golden_script(tmp_path: Path,
                                                     worker: list[str]) -> None:
    root = make_project(tmp_path / "p", CHANGED_MODELS, example=True)
    result = autogen(root, "0013")
    assert worker == ["worker"]
    golden_check("changes.py", script(root, "0013"))
    assert "warning: data loss: tags.name: narrows VARCHAR(100) to VARCHAR(60)" \
        in result.stderr
    assert "does not fully match" not in result.stderr


def test_a_model_that_does_not_pickle_is_replayed_here(tmp_path: Path, worker: list[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kw: Any) -> bytes:
        raise TypeError("cannot pickle this")

    monkeypatch.setattr(sides.pickle, "dumps", refuse)
    root = make_project(tmp_path / "p", CHANGED_MODELS, example=True)
    autogen(root, "0013")
    assert worker == []  # nothing came back: replayed here
    golden_check("changes.py", script(root, "0013"))


def test_a_failing_history_fails_as_in_the_process(tmp_path: Path, worker: list[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project(tmp_path / "p", CHANGED_MODELS, example=True)
    (first,) = sorted((root / "migrations" / "versions").glob("*.py"))[:1]
    text = first.read_text(encoding="utf-8")
    first.write_text(text.replace("def upgrade() -> None:\n",
                                  "def upgrade() -> None:\n    raise RuntimeError('boom')\n", 1),
                     encoding="utf-8")
    in_worker = autogen(root, "0013", code=2).stderr
    monkeypatch.setenv("SQLCOMPILE_JOBS", "1")
    here = autogen(root, "0013", code=2).stderr
    assert "boom" in here
    assert in_worker == here
