"""Large histories: forked rendering gives the same bytes, and start-up stays light."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from gen_history import generate  # noqa: E402


def render(root: Path, jobs: str) -> dict[str, bytes]:
    env = {**os.environ, "SQLCOMPILE_JOBS": jobs}
    done = subprocess.run([sys.executable, "-m", "sqlcompile", "render"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    out = root / "sql_out"
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*.sql")}
    for path in out.rglob("*.sql"):
        path.unlink()
    return files


def test_forked_workers_render_the_same_bytes_as_one_process(tmp_path: Path) -> None:
    generate(tmp_path, revisions=120, seed=3)
    serial = render(tmp_path, "1")
    forked = render(tmp_path, "3")
    assert len(serial) == 240 + 1  # upgrade + downgrade per revision, and schema.sql
    assert forked == serial


def test_help_imports_neither_sqlalchemy_nor_sqlglot() -> None:
    code = ("import sys, sqlcompile.cli; "
            "print(sorted(m for m in ('sqlalchemy', 'sqlglot', 'jinja2') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


def _break_last_revision(root: Path, body: str) -> None:
    """Append ``body`` to the upgrade() of the last generated revision."""
    last = sorted((root / "migrations" / "versions").glob("*.py"))[-1]
    text = last.read_text(encoding="utf-8")
    last.write_text(text.replace("def upgrade() -> None:\n",
                                 f"def upgrade() -> None:\n    {body}\n", 1), encoding="utf-8")


def test_forked_validation_failure_writes_nothing(tmp_path: Path) -> None:
    generate(tmp_path, revisions=120, seed=4)
    _break_last_revision(tmp_path, 'op.execute("CREATE TABLE (broken")')
    done = subprocess.run([sys.executable, "-m", "sqlcompile", "render"], cwd=tmp_path,
                          env={**os.environ, "SQLCOMPILE_JOBS": "2"}, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 1
    assert "CREATE TABLE (broken" in done.stderr
    assert not list((tmp_path / "sql_out").rglob("*.sql"))
    assert not list(tmp_path.rglob("*.tmp"))


def test_forked_script_error_keeps_its_location(tmp_path: Path) -> None:
    generate(tmp_path, revisions=120, seed=5)
    _break_last_revision(tmp_path, 'raise RuntimeError("boom")')
    done = subprocess.run([sys.executable, "-m", "sqlcompile", "render"], cwd=tmp_path,
                          env={**os.environ, "SQLCOMPILE_JOBS": "2"}, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 2
    assert "RuntimeError: boom" in done.stderr
    assert ".py:" in done.stderr and "migrations/versions/" in done.stderr
    assert not list((tmp_path / "sql_out").rglob("*.sql"))


@pytest.mark.parametrize(("items", "count"), [(1000, 2), (1000, 4), (120, 3), (11, 2), (3, 4)])
def test_staggered_chunks_cover_everything_in_order_earlier_ones_longer(
    items: int, count: int
) -> None:
    """Later chunks replay what precedes them (and the last renders schema.sql), so they
    are given fewer revisions; together they are every item once, in order."""
    from sqlcompile.parallel import split_staggered

    chunks = split_staggered(list(range(items)), count, lead=0.3, tail=0.3 * items)
    assert [i for chunk in chunks for i in chunk] == list(range(items))
    assert all(chunks) and len(chunks) <= count
    sizes = [len(c) for c in chunks]
    if items >= 100:
        assert sizes == sorted(sizes, reverse=True) and sizes[0] > sizes[-1]
