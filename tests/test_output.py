"""Staging output files: nothing visible before commit_staged, unchanged files left alone,
modes as a plain write would give them, and errors that name the file."""

from __future__ import annotations

import itertools
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from sqlcompile.errors import SqlcompileError
from sqlcompile.parallel import run_chunks
from sqlcompile.pipeline import output
from sqlcompile.pipeline.output import commit_staged, discard_staged, stage, write_atomic


@pytest.fixture
def umask() -> Iterator[int]:
    old = os.umask(0o027)
    try:
        yield 0o027
    finally:
        os.umask(old)


def tree(root: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): p.read_bytes() if p.is_file() else None
            for p in sorted(root.rglob("*"))}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_is_visible_only_once_committed(tmp_path: Path, umask: int) -> None:
    path = tmp_path / "upgrade" / "0001_first.sql"
    path.parent.mkdir()
    tmp = stage(path, "SELECT 1;\n")
    assert tmp is not None and tmp.parent == path.parent and tmp.name.endswith(".tmp")
    assert tmp.name.startswith(f".{path.name}.")
    assert not path.exists()
    commit_staged({path: tmp})
    assert path.read_text() == "SELECT 1;\n"
    assert not tmp.exists()
    assert mode(path) == 0o666 & ~umask  # 0o640: what a plain open() would have made


def test_an_identical_file_is_not_staged(tmp_path: Path) -> None:
    path = tmp_path / "same.sql"
    path.write_text("SELECT é;\n", encoding="utf-8")
    before = path.stat()
    assert stage(path, "SELECT é;\n") is None
    assert write_atomic(path, "SELECT é;\n") is False
    assert path.stat().st_mtime_ns == before.st_mtime_ns and path.stat().st_ino == before.st_ino
    assert [p.name for p in tmp_path.iterdir()] == ["same.sql"]


@pytest.mark.parametrize("old", ["SELECT 2;\n", "SELECT 1;\n-- more\n", "", "SELECT 1;"])
def test_a_changed_file_is_staged(tmp_path: Path, old: str) -> None:
    """Of the same size (only the bytes tell) or not (the size is enough)."""
    path = tmp_path / "changed.sql"
    path.write_text(old)
    tmp = stage(path, "SELECT 1;\n")
    assert tmp is not None
    assert path.read_text() == old  # untouched until the commit
    commit_staged({path: tmp})
    assert path.read_text() == "SELECT 1;\n"


@pytest.mark.parametrize("kept", [0o600, 0o664, 0o444, 0o755])
def test_a_replaced_file_keeps_its_mode(tmp_path: Path, umask: int, kept: int) -> None:
    path = tmp_path / "kept.sql"
    path.write_text("old\n")
    path.chmod(kept)  # 0o664 and 0o755 have bits the umask would take away
    assert write_atomic(path, "new\n") is True
    assert path.read_text() == "new\n"
    assert mode(path) == kept


def test_missing_folders_are_made_only_on_commit(tmp_path: Path) -> None:
    path = tmp_path / "out" / "postgresql" / "upgrade" / "0001.sql"
    tmp = stage(path, "x\n")
    assert tmp is not None and tmp.parent == tmp_path  # the nearest existing folder
    assert [p.name for p in tmp_path.iterdir()] == [tmp.name]
    discard_staged({path: tmp})
    assert tree(tmp_path) == {}  # a failed run leaves no folder and no file behind
    tmp = stage(path, "x\n")
    assert tmp is not None
    commit_staged({path: tmp})
    assert tree(tmp_path)["out/postgresql/upgrade/0001.sql"] == b"x\n"
    assert not list(tmp_path.rglob("*.tmp"))


def test_something_other_than_a_file_at_the_name(tmp_path: Path) -> None:
    path = tmp_path / "taken.sql"
    path.mkdir()
    with pytest.raises(SqlcompileError, match="something other than a file") as caught:
        stage(path, "x\n")
    assert caught.value.path == path
    assert tree(tmp_path) == {"taken.sql": None}


def test_a_file_where_a_folder_should_be(tmp_path: Path) -> None:
    (tmp_path / "upgrade").write_text("not a folder\n")
    path = tmp_path / "upgrade" / "0001.sql"
    with pytest.raises(SqlcompileError, match="upgrade is not a folder") as caught:
        stage(path, "x\n")
    assert caught.value.path == path
    assert tree(tmp_path) == {"upgrade": b"not a folder\n"}


def test_a_dangling_symlink_is_replaced_by_a_file(tmp_path: Path) -> None:
    path = tmp_path / "link.sql"
    path.symlink_to(tmp_path / "nowhere.sql")
    assert write_atomic(path, "x\n") is True
    assert not path.is_symlink() and path.read_text() == "x\n"
    assert not (tmp_path / "nowhere.sql").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders")
def test_an_unwritable_folder_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "upgrade"
    folder.mkdir()
    (folder / "0001.sql").write_text("old\n")
    folder.chmod(0o555)
    try:
        with pytest.raises(SqlcompileError, match="cannot write this file") as caught:
            stage(folder / "0001.sql", "new\n")
        assert caught.value.path == folder / "0001.sql"
        with pytest.raises(SqlcompileError, match="cannot write this file"):
            stage(folder / "0002.sql", "new\n")
    finally:
        folder.chmod(0o755)
    assert tree(tmp_path) == {"upgrade": None, "upgrade/0001.sql": b"old\n"}


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads unreadable files")
def test_an_unreadable_file_names_itself(tmp_path: Path) -> None:
    path = tmp_path / "secret.sql"
    path.write_text("x\n")
    path.chmod(0)
    try:
        with pytest.raises(SqlcompileError, match="cannot write this file") as caught:
            stage(path, "y\n")  # its size matches: its bytes must be read
        assert caught.value.path == path
    finally:
        path.chmod(0o644)


def test_a_taken_temporary_name_is_skipped(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """O_EXCL refuses a name left by a crashed run with the same pid; the next one is used."""
    monkeypatch.setattr(output, "_names", itertools.count())
    left = tmp_path / f".a.sql.{os.getpid()}.0.tmp"
    left.write_text("left by a crashed run\n")
    path = tmp_path / "a.sql"
    tmp = stage(path, "x\n")
    assert tmp == tmp_path / f".a.sql.{os.getpid()}.1.tmp"
    assert left.read_text() == "left by a crashed run\n"
    commit_staged({path: tmp})
    assert path.read_text() == "x\n"


def test_forked_workers_stage_under_names_of_their_own(tmp_path: Path) -> None:
    paths = [tmp_path / f"{i:02d}.sql" for i in range(8)]

    def work(index: int) -> list[tuple[Path, Path | None]]:
        return [(p, stage(p, f"chunk {index} {p.name}\n")) for p in paths[index::2]]

    staged = {p: t for chunk in run_chunks(work, 2) for p, t in chunk if t is not None}
    assert len(set(staged.values())) == 8
    assert len({t.name.split(".")[3] for t in staged.values()}) == 2  # the two pids
    commit_staged(staged)
    assert [p.read_text() for p in paths] == [f"chunk {i % 2} {p.name}\n"
                                              for i, p in enumerate(paths)]
