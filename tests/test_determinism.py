"""Rendering is byte-for-byte deterministic across hash seeds and time zones."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import sqlc_project as sp

SEEDS = ("0", "1", "12345")
ZONES = ("UTC", "Asia/Kathmandu", "America/St_Johns")
STREAMS = (
    ("--dialect", "postgresql"),
    ("--dialect", "sqlite", "--downgrade"),
    ("--dialect", "postgresql", "--from", "3f1c9a7e2b40", "--to", "7a0d3e5f9b28"),
)
TIMEOUT = 120


def env_for(seed: str, zone: str) -> dict[str, str]:
    return {**os.environ, "PYTHONHASHSEED": seed, "TZ": zone}


def make_project(root: Path) -> Path:
    """A copy of the repository's config (pyproject.toml) and migrations/ in ``root``."""
    root.mkdir(parents=True)
    shutil.copy2(sp.REPO / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(sp.EXAMPLE_MIGRATIONS, root / "migrations",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return root


def run_all(jobs: list[tuple[list[str], Path, dict[str, str]]]) -> list[bytes]:
    """Run the commands concurrently; each must exit 0. Returns their stdouts, in order."""
    procs = [
        subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for argv, cwd, env in jobs
    ]
    outputs = []
    for proc, (argv, cwd, _) in zip(procs, jobs, strict=True):
        out, err = proc.communicate(timeout=TIMEOUT)
        assert proc.returncode == 0, f"{argv} in {cwd} failed:\n{err.decode()}"
        outputs.append(out)
    return outputs


def tree(folder: Path) -> dict[str, bytes]:
    """Relative path -> bytes of every file under ``folder``."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_environment_variations_are_real(tmp_path: Path) -> None:
    """The seeds and zones used below really change hashing and local time in a child."""
    probe = "import time; print(hash('sqlcompile'), time.strftime('%z'))"
    jobs = [([sys.executable, "-c", probe], tmp_path, env_for(seed, zone))
            for seed, zone in zip(SEEDS, ZONES, strict=True)]
    results = [out.decode().split() for out in run_all(jobs)]
    assert len({h for h, _ in results}) == len(SEEDS)
    assert results[0][1] == "+0000" and results[1][1] == "+0545"
    assert results[2][1] in ("-0330", "-0230")  # Newfoundland, standard or daylight time


def test_render_is_deterministic(tmp_path: Path) -> None:
    jobs = []
    for i, (seed, zone) in enumerate(itertools.product(SEEDS, ZONES)):
        root = make_project(tmp_path / f"run{i}")
        jobs.append(([sys.executable, "-m", "sqlcompile", "render"], root, env_for(seed, zone)))
    run_all(jobs)
    trees = [tree(root / "sql_out") for _, root, _ in jobs]
    first = trees[0]
    with (sp.REPO / "pyproject.toml").open("rb") as handle:
        configured = tomllib.load(handle)["tool"]["sqlcompile"]["dialects"]
    assert sorted({p.split("/")[0] for p in first}) == sorted(configured)
    revisions = len(list((sp.EXAMPLE_MIGRATIONS / "versions").glob("*.py")))
    assert len(first) == len(configured) * (2 * revisions + 1)  # + schema.sql
    for other, (_, root, env) in zip(trees[1:], jobs[1:], strict=True):
        assert other.keys() == first.keys(), root
        changed = [p for p in first if other[p] != first[p]]
        assert not changed, (
            f"PYTHONHASHSEED={env['PYTHONHASHSEED']} TZ={env['TZ']} changed {changed}"
        )


@pytest.mark.parametrize("args", STREAMS, ids=["pg-up", "sqlite-down", "pg-range"])
def test_stdout_is_deterministic(tmp_path: Path, args: tuple[str, ...]) -> None:
    root = make_project(tmp_path / "project")
    argv = [sys.executable, "-m", "sqlcompile", "render", "--stdout", *args]
    jobs = [(argv, root, env_for(seed, zone)) for seed, zone in zip(SEEDS, ZONES, strict=True)]
    outputs = run_all(jobs)
    assert outputs[0].startswith(b"-- ") and b"COMMIT;" in outputs[0]
    assert all(out == outputs[0] for out in outputs[1:])
    assert not (root / "sql_out").exists()  # --stdout writes no files


def test_stdout_is_utf8_whatever_the_io_encoding(tmp_path: Path) -> None:
    """The stream says `SET client_encoding = 'UTF8'`; its bytes must be UTF-8, as files are."""
    root = make_project(tmp_path / "project")
    argv = [sys.executable, "-m", "sqlcompile", "render", "--stdout", "--dialect", "postgresql"]
    env = env_for("0", "UTC")
    jobs = [(argv, root, {**env, "PYTHONIOENCODING": codec}) for codec in ("utf-8", "latin-1")]
    utf8, latin1 = run_all(jobs)
    assert latin1 == utf8
