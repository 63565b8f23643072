"""The scripts' metadata cache: an unchanged history is read from `.sqlcompile_cache/scripts`
without executing a script module, which runs (every module of the load, in order) only when
one is needed; a new, changed or failing script loads as it always did."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sqlcompile import cachefile, parallel
from sqlcompile.cli import cli
from sqlcompile.errors import ScriptError
from sqlcompile.sources.script_cache import CACHE_FILE
from sqlcompile.sources.scripts import MissingModule, Script, load_scripts

REVISIONS = ("aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc")


def script_text(revision: str, parent: str | None, log: Path, *, message: str = "",
                module_code: str = "") -> str:
    """A script whose module code appends its revision to ``log`` when it is executed."""
    return (
        f'"""{message or "step " + revision}\n\nmore text\n"""\n'
        "from alembic import op\n"
        "import sqlalchemy as sa\n"
        f"{module_code}\n"
        f'revision = "{revision}"\n'
        f"down_revision = {parent!r}\n"
        "branch_labels = None\n"
        "depends_on = None\n"
        f"with open({str(log)!r}, 'a') as _log:\n"
        "    _log.write(revision + '\\n')\n"
        "\n\n"
        "def upgrade():\n"
        f'    op.execute("select \'{revision}\'")\n'
        "\n\n"
        "def downgrade():\n"
        "    pass\n"
    )


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path.resolve() / "project"
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    parent = None
    for index, revision in enumerate(REVISIONS):
        path = versions / f"{index:03d}_{revision}.py"
        path.write_text(script_text(revision, parent, log_of(root)), encoding="utf-8")
        parent = revision
    return root


def log_of(root: Path) -> Path:
    return root.parent / "executed.log"


def executed(root: Path) -> list[str]:
    """The revisions whose module code ran since the last call (in order)."""
    log = log_of(root)
    if not log.exists():
        return []
    lines = log.read_text(encoding="utf-8").split()
    log.unlink()
    return lines


def load(root: Path, **options: object) -> list[Script]:
    return load_scripts(root / "migrations" / "versions", root, **options)  # type: ignore[arg-type]


def cache_path(root: Path) -> Path:
    return cachefile.cache_dir(root) / CACHE_FILE


def ids(scripts: list[Script]) -> list[tuple[str, tuple[str, ...], str]]:
    return [(s.revision, s.down_revisions, s.message) for s in scripts]


def test_an_unchanged_history_executes_no_script(root: Path) -> None:
    first = load(root)
    assert executed(root) == list(REVISIONS)
    assert cache_path(root).is_file()

    second = load(root)
    assert executed(root) == []
    assert ids(second) == ids(first)
    assert [s.sha256 for s in second] == [s.sha256 for s in first]
    assert [s.rel_path for s in second] == [s.rel_path for s in first]
    assert [s.docstring for s in second] == [s.docstring for s in first]
    assert second[0].docstring == "step aaaaaaaaaaaa\n\nmore text\n"


def test_an_unchanged_history_writes_nothing(root: Path) -> None:
    load(root)
    before = cache_path(root).stat()
    load(root)
    after = cache_path(root).stat()
    # The file is replaced by a rename when written: same inode and time, not written.
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_the_first_namespace_needed_executes_every_module_in_order(root: Path) -> None:
    load(root)
    executed(root)
    scripts = load(root)
    assert executed(root) == []
    upgrade = scripts[-1].function("upgrade")  # the last one: all before it run first
    assert callable(upgrade)
    assert executed(root) == list(REVISIONS)
    assert [s.failure for s in scripts] == [None] * len(REVISIONS)
    assert scripts[0].namespace["revision"] == REVISIONS[0]
    assert scripts[1].namespace["__doc__"].startswith("step bbbbbbbbbbbb")
    assert executed(root) == []  # once per load


def test_module_code_sees_what_earlier_modules_registered(root: Path) -> None:
    """Alembic executes every module before any migration: a module may use at import what
    an earlier one set up (here, a registry in a helper module on prepend_sys_path)."""
    helpers = root / "helpers"
    helpers.mkdir()
    (helpers / "cache_registry.py").write_text("NAMES = []\n", encoding="utf-8")
    versions = root / "migrations" / "versions"
    first, second = sorted(versions.glob("*.py"))[:2]
    first.write_text(script_text(REVISIONS[0], None, log_of(root), module_code=(
        "import cache_registry\ncache_registry.NAMES.append('made by the first')")),
        encoding="utf-8")
    second.write_text(script_text(REVISIONS[1], REVISIONS[0], log_of(root), module_code=(
        "import cache_registry\nSEEN = list(cache_registry.NAMES)")), encoding="utf-8")
    try:
        load_scripts(versions, root, [helpers])
        sys.modules.pop("cache_registry")
        scripts = load_scripts(versions, root, [helpers])
        executed(root)
        assert scripts[1].namespace["SEEN"] == ["made by the first"]
        assert executed(root) == list(REVISIONS)
    finally:
        sys.modules.pop("cache_registry", None)


def test_an_edited_script_is_executed_and_its_new_ids_used(root: Path) -> None:
    load(root)
    executed(root)
    versions = root / "migrations" / "versions"
    last = sorted(versions.glob("*.py"))[-1]
    last.write_text(script_text("dddddddddddd", REVISIONS[1], log_of(root), message="edited"),
                    encoding="utf-8")
    scripts = load(root)
    assert executed(root) == list(REVISIONS[:2]) + ["dddddddddddd"]
    assert ids(scripts)[-1] == ("dddddddddddd", (REVISIONS[1],), "edited")

    again = load(root)
    assert executed(root) == []
    assert ids(again) == ids(scripts)


def test_a_removed_script_leaves_the_cache(root: Path) -> None:
    load(root)
    executed(root)
    sorted((root / "migrations" / "versions").glob("*.py"))[-1].unlink()
    scripts = load(root)
    assert executed(root) == []
    assert [s.revision for s in scripts] == list(REVISIONS[:2])
    key = cache_key()
    stored = cachefile.read(cache_path(root), key)
    assert sorted(stored) == [s.rel_path for s in scripts]


def cache_key() -> str:
    from sqlcompile import __version__

    return f"scripts {__version__} {sys.implementation.cache_tag}"


@pytest.mark.parametrize("damage", ["truncated", "flipped", "garbage", "empty"])
def test_a_damaged_cache_file_is_ignored_and_rewritten(root: Path, damage: str) -> None:
    load(root)
    executed(root)
    path = cache_path(root)
    blob = path.read_bytes()
    damaged = {"truncated": blob[:len(blob) // 2], "empty": b"",
               "flipped": blob[:-5] + bytes([blob[-5] ^ 0xFF]) + blob[-4:],
               "garbage": b"not a cache at all\n" * 10}[damage]
    path.write_bytes(damaged)
    scripts = load(root)
    assert executed(root) == list(REVISIONS)
    assert [s.revision for s in scripts] == list(REVISIONS)
    assert path.read_bytes() == blob
    load(root)
    assert executed(root) == []


def test_no_cache_neither_reads_nor_writes(root: Path) -> None:
    load(root, use_cache=False)
    assert executed(root) == list(REVISIONS)
    assert not cachefile.cache_dir(root).exists()

    load(root)  # writes the cache
    executed(root)
    before = cache_path(root).read_bytes(), cache_path(root).stat().st_mtime_ns
    scripts = load(root, use_cache=False)
    assert executed(root) == list(REVISIONS)  # not read: every module ran at load
    assert all("namespace" in s.__dict__ and s.modules is None for s in scripts)
    sorted((root / "migrations" / "versions").glob("*.py"))[-1].unlink()
    load(root, use_cache=False)
    assert (cache_path(root).read_bytes(), cache_path(root).stat().st_mtime_ns) == before


def test_a_script_that_failed_to_load_is_not_cached(root: Path) -> None:
    versions = root / "migrations" / "versions"
    broken = sorted(versions.glob("*.py"))[1]
    broken.write_text(script_text(REVISIONS[1], REVISIONS[0], log_of(root),
                                  module_code="raise RuntimeError('no plugin here')"),
                      encoding="utf-8")
    first = load(root)
    assert executed(root) == [REVISIONS[0], REVISIONS[2]]
    assert isinstance(first[1].failure, ScriptError)
    stored = cachefile.read(cache_path(root), cache_key())
    assert sorted(stored) == sorted(s.rel_path for s in (first[0], first[2]))

    second = load(root)  # loaded the old way, so its error is reported as before
    assert executed(root) == [REVISIONS[0], REVISIONS[2]]
    failure = second[1].failure
    assert failure is not None and first[1].failure is not None
    assert (failure.message, failure.path, failure.line, failure.hint) == (
        first[1].failure.message, first[1].failure.path, first[1].failure.line,
        first[1].failure.hint)


def test_a_cached_script_failing_later_fails_as_at_load_time(root: Path) -> None:
    """A changed environment (a plugin uninstalled): the script whose bytes did not change
    fails when its module is executed, with the error loading it would have given."""
    plugins = root / "plugins"
    plugins.mkdir()
    (plugins / "cache_plugin_x.py").write_text("VALUE = 1\n", encoding="utf-8")
    versions = root / "migrations" / "versions"
    target = sorted(versions.glob("*.py"))[1]
    target.write_text(script_text(REVISIONS[1], REVISIONS[0], log_of(root),
                                  module_code="import cache_plugin_x"), encoding="utf-8")
    try:
        load_scripts(versions, root, [plugins])
        executed(root)
        (plugins / "cache_plugin_x.py").unlink()
        sys.modules.pop("cache_plugin_x")
        importlib.invalidate_caches()

        uncached = load_scripts(versions, root, [plugins], use_cache=False)
        expected = uncached[1].failure
        assert isinstance(expected, MissingModule)
        executed(root)

        scripts = load_scripts(versions, root, [plugins])
        assert executed(root) == []
        failure = scripts[1].failure  # needing it executes the modules
        assert executed(root) == [REVISIONS[0], REVISIONS[2]]
        assert type(failure) is type(expected)
        assert (failure.message, failure.path, failure.line, failure.hint) == (
            expected.message, expected.path, expected.line, expected.hint)
        assert scripts[0].failure is None and scripts[2].failure is None
        with pytest.raises(ScriptError, match="defines no upgrade"):
            scripts[1].function("upgrade")  # a stand-in: no namespace, as at load time
        stored = cachefile.read(cache_path(root), cache_key())
        assert scripts[1].rel_path not in stored  # loaded the old way from now on
    finally:
        sys.modules.pop("cache_plugin_x", None)


def test_a_fork_executes_pending_modules_first(root: Path) -> None:
    """Forked workers (rendering chunks) inherit the executed modules; none executes them."""
    load(root)
    executed(root)
    scripts = load(root)

    def work(index: int) -> tuple[bool, str]:
        return "namespace" in scripts[0].__dict__, scripts[index].namespace["revision"]

    assert parallel.run_chunks(work, 2) == [(True, REVISIONS[0]), (True, REVISIONS[1])]
    assert executed(root) == list(REVISIONS)  # once, in the parent


def test_the_cache_folder_is_ignored_by_git(root: Path) -> None:
    load(root)
    ignore = cachefile.cache_dir(root) / ".gitignore"
    assert "*" in ignore.read_text(encoding="utf-8").splitlines()


def test_a_folder_that_cannot_be_written_only_means_no_cache(root: Path) -> None:
    cachefile.cache_dir(root).write_text("a file where the folder would go", encoding="utf-8")
    first = load(root)
    second = load(root)
    assert executed(root) == list(REVISIONS) * 2
    assert ids(first) == ids(second)


def test_show_prints_the_cached_docstring_without_executing(root: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    (root / "sqlcompile.toml").write_text('dialects = ["postgresql"]\n', encoding="utf-8")
    monkeypatch.chdir(root)
    runner = CliRunner()
    first = runner.invoke(cli, ["show", REVISIONS[1]], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    executed(root)
    for command in (["show", REVISIONS[1]], ["heads"], ["history"]):
        result = runner.invoke(cli, command, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert executed(root) == [], command
    again = runner.invoke(cli, ["show", REVISIONS[1]], catch_exceptions=False)
    assert again.stdout == first.stdout
    assert "    step bbbbbbbbbbbb\n    \n    more text" in again.stdout


def test_scripts_outside_the_cache_behave_as_before(root: Path) -> None:
    """A Script made directly (no load) holds its fields as given."""
    script = Script(Path("x.py"), "x.py", "x", (), (), (), "m", "0" * 64)
    assert script.namespace == {} and script.failure is None and script.modules is None
    with pytest.raises(AttributeError):
        script.not_a_field  # noqa: B018
    assert os.fspath(script.path) == "x.py"
