"""The incremental render cache (.sqlcompile_cache/): what a warm render reuses, what an edit
compiles again, and that the files are the same bytes as a render without the cache."""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

import histories
import pytest
import sqlalchemy as sa
from histories import run, run_process, script

from sqlcompile.pipeline import cache as cache_module

DIALECTS = ("postgresql", "sqlite")


def _history(root: Path, log: Path, extra_config: str = "") -> Path:
    """Six revisions whose upgrade() and downgrade() each append their name to ``log``."""
    top = f"import pathlib\nLOG = pathlib.Path({str(log)!r})"

    def note(name: str) -> str:
        return f"with LOG.open('a') as f:\n    f.write('{name}\\n')"

    scripts = {}
    previous = None
    for i in range(1, 7):
        rev = f"r{i}"
        table = f"op.create_table('t{i}', sa.Column('id', sa.Integer, primary_key=True))"
        insert = f"op.execute(\"INSERT INTO t{i} (id) VALUES (1)\")"
        upgrade = f"{note(rev + ' up')}\n{table}\n{insert}"
        downgrade = f"{note(rev + ' down')}\nop.drop_table('t{i}')"
        scripts[f"{i:02d}_{rev}.py"] = script(rev, previous, upgrade, downgrade, top=top)
        previous = rev
    return histories.write(root, scripts, DIALECTS, extra_config)


def _files(root: Path) -> dict[str, bytes]:
    out = root / histories.OUT
    return {p.relative_to(out).as_posix(): p.read_bytes()
            for p in sorted(out.rglob("*")) if p.is_file()}


def _render(root: Path, *args: str) -> None:
    done = run(root, "render", *args)
    assert done.code == 0, done.stderr


def _fresh(root: Path, tmp: Path) -> dict[str, bytes]:
    """The files a render without the cache writes for the same project (in a copy)."""
    copy = tmp / "fresh"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".sqlcompile_cache",
                                                              histories.OUT))
    config = copy / histories.CONFIG
    config.write_text(config.read_text().replace(str(root), str(copy)))
    _render(copy, "--no-cache")
    assert not (copy / ".sqlcompile_cache" / "render-postgresql").exists()
    (tmp / "log").unlink(missing_ok=True)  # what the copy's scripts ran
    return _files(copy)


def _ran(log: Path) -> list[str]:
    lines = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return lines


def _edit(root: Path, name: str, old: str, new: str) -> None:
    path = root / "migrations" / "versions" / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_warm_render_runs_no_script_and_writes_the_same_bytes(tmp_path: Path) -> None:
    log = tmp_path / "log"
    root = _history(tmp_path / "p", log)
    _render(root)
    first = _files(root)
    assert "r1 up" in _ran(log)
    cache = root / ".sqlcompile_cache"
    assert (cache / ".gitignore").read_text().splitlines()[-1] == "*"
    _render(root)
    assert _ran(log) == []  # nothing executed, compiled or replayed again
    assert _files(root) == first == _fresh(root, tmp_path)
    shutil.rmtree(root / histories.OUT)
    _render(root)  # deleted files come back from the cache, as they were
    assert _ran(log) == []
    assert _files(root) == first


def test_an_edit_that_keeps_the_model_compiles_only_that_revision(tmp_path: Path) -> None:
    log = tmp_path / "log"
    root = _history(tmp_path / "p", log)
    _render(root)
    before = _files(root)
    _ran(log)
    _edit(root, "04_r4.py", "VALUES (1)", "VALUES (2)")
    _render(root)
    ran = _ran(log)
    # r4 compiled again (its script changed; the models before it replayed: no snapshot in
    # so short a history); nothing after it ran, as the model it leaves is the same
    assert "r4 up" in ran and not {"r5 up", "r6 up", "r5 down", "r6 down"} & set(ran)
    after = _files(root)
    changed = sorted(k for k in after if after[k] != before.get(k))
    # both of r4's files name the script's new digest; no other file changed
    assert changed == [f"{d}/{direction}/0004_r4_revision_r4.sql" for d in DIALECTS
                       for direction in ("downgrade", "upgrade")]
    assert after == _fresh(root, tmp_path)


def test_an_edit_that_changes_the_model_compiles_what_follows(tmp_path: Path) -> None:
    log = tmp_path / "log"
    root = _history(tmp_path / "p", log)
    _render(root)
    before = _files(root)
    _ran(log)
    _edit(root, "02_r2.py", "op.create_table('t2', ",
          "op.create_table('t2', sa.Column('note', sa.Text), ")
    _render(root)
    ran = set(_ran(log))
    assert {"r2 up", "r3 up", "r6 up", "r3 down", "r6 down"} <= ran
    assert "r1 down" not in ran  # before the edit: from the cache
    after = _files(root)
    assert after == _fresh(root, tmp_path)
    changed = {k for k in after if after[k] != before.get(k)}
    assert "postgresql/upgrade/0002_r2_revision_r2.sql" in changed
    assert "postgresql/schema.sql" in changed
    assert "postgresql/upgrade/0003_r3_revision_r3.sql" not in changed


def test_an_option_or_a_tool_version_renders_everything_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "log"
    root = _history(tmp_path / "p", log)
    _render(root)
    _ran(log)
    config = root / histories.CONFIG
    config.write_text(config.read_text() + "lock_timeout = 7\n")
    _render(root)
    assert "r1 up" in _ran(log)
    assert _files(root) == _fresh(root, tmp_path)
    _ran(log)
    _render(root)
    assert _ran(log) == []
    monkeypatch.setattr(cache_module, "__version__", "0.0.0-other")
    _render(root)
    assert "r1 up" in _ran(log)  # entries of another version are never used


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_a_damaged_cache_file_is_rebuilt(tmp_path: Path, damage: str) -> None:
    log = tmp_path / "log"
    root = _history(tmp_path / "p", log)
    _render(root)
    first = _files(root)
    _ran(log)
    stored = root / ".sqlcompile_cache" / "render-postgresql"
    data = stored.read_bytes()
    if damage == "truncate":
        stored.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        middle = len(data) // 2
        stored.write_bytes(data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1:])
    else:
        stored.write_bytes(b"\x00not a cache at all")
    _render(root)
    assert "r1 up" in _ran(log)  # postgresql compiled again
    assert _files(root) == first
    _render(root)
    assert _ran(log) == []  # and the rebuilt file is used again


def test_no_cache_neither_reads_nor_writes(tmp_path: Path) -> None:
    log = tmp_path / "log"
    root = _history(tmp_path / "p", log)
    _render(root, "--no-cache")
    assert not (root / ".sqlcompile_cache").exists()  # nor the scripts' metadata
    _render(root)
    _ran(log)
    _render(root, "--no-cache")
    assert "r6 down" in _ran(log)


@pytest.mark.parametrize("where", ["root", "outside"])
def test_a_project_module_the_scripts_import_is_followed(tmp_path: Path, where: str) -> None:
    root = tmp_path / "p"
    root.mkdir()
    folder = root if where == "root" else tmp_path / "lib"  # prepend_sys_path = ["../lib"]
    folder.mkdir(exist_ok=True)
    module = f"names_{where}"
    (folder / f"{module}.py").write_text("COLUMN = 'first'\n")
    top = f"from {module} import COLUMN"
    scripts = {
        "01_a.py": script("a", None, "op.create_table('t', sa.Column(COLUMN, sa.Integer))",
                          "op.drop_table('t')", top=top),
    }
    entry = "." if where == "root" else "../lib"
    histories.write(root, scripts, DIALECTS, f'prepend_sys_path = ["{entry}"]\n')
    _render(root)
    _render(root)  # remembered: nothing changed
    (folder / f"{module}.py").write_text("COLUMN = 'second'\n")
    import sys
    sys.modules.pop(module, None)  # in this test process, the module is imported again
    _render(root)
    text = (root / histories.OUT / "postgresql" / "upgrade" / "0001_a_revision_a.sql")
    assert "second" in text.read_text()


def test_forked_workers_fill_the_cache_and_a_warm_render_matches(tmp_path: Path) -> None:
    log = tmp_path / "log"
    root = _history(tmp_path / "p", log)
    done = run_process(root, "render", jobs=2)
    assert done.code == 0, done.stderr
    first = _files(root)
    _ran(log)
    done = run_process(root, "render", jobs=2)
    assert done.code == 0, done.stderr
    assert _ran(log) == []
    assert _files(root) == first == _fresh(root, tmp_path)


def test_an_unchanged_run_answers_as_before_until_a_file_or_script_changes(
        tmp_path: Path) -> None:
    log = tmp_path / "log"
    root = _history(tmp_path / "p", log)
    _render(root)
    _ran(log)
    steady = run(root, "render")  # changed nothing: remembered
    assert steady.code == 0 and "wrote 0 changed file(s)" in steady.stderr
    again = run(root, "render")
    assert (again.code, again.stderr) == (0, steady.stderr)
    checked = run(root, "check")
    assert checked.code == 0 and run(root, "check").stderr == checked.stderr
    assert _ran(log) == []
    out = root / histories.OUT / "postgresql" / "upgrade"
    edited = next(out.glob("0002_*.sql"))
    edited.write_text(edited.read_text() + "-- a hand edit\n")
    stale = run(root, "check")
    assert stale.code == 1 and f"stale: {histories.OUT}/postgresql/upgrade/{edited.name}" \
        in stale.stderr
    fixed = run(root, "render")
    assert "wrote 1 changed file(s)" in fixed.stderr
    assert "a hand edit" not in edited.read_text()
    (out / "0099_x_left_over.sql").write_text(edited.read_text())  # a generated file
    assert "removed 1 stale file(s)" in run(root, "render").stderr
    _edit(root, "06_r6.py", "VALUES (1)", "VALUES (3)")
    # both files of r6 name its new digest, on both dialects
    assert "wrote 4 changed file(s)" in run(root, "render").stderr
    assert "r6 up" in _ran(log)


def test_autogenerate_on_an_unchanged_history_takes_its_model_from_the_cache(
        tmp_path: Path) -> None:
    log = tmp_path / "log"
    root = _history(tmp_path / "p", log)
    models = ["import sqlalchemy as sa", "metadata = sa.MetaData()"]
    models += [f"sa.Table('t{i}', metadata, sa.Column('id', sa.Integer, primary_key=True))"
               for i in range(1, 7)]
    models.append("sa.Table('extra', metadata, sa.Column('id', sa.Integer, primary_key=True))")
    (root / "cache_models.py").write_text("\n".join(models) + "\n")
    config = root / histories.CONFIG
    config.write_text(config.read_text() + 'target_metadata = "cache_models:metadata"\n'
                      'prepend_sys_path = ["."]\n')
    written = []
    for attempt in range(2):
        done = run(root, "revision", "--autogenerate", "-m", "extra", "--rev-id", "x7")
        assert done.code == 0, done.stderr
        (path,) = (root / "migrations" / "versions").glob("x7_*.py")
        written.append(path.read_text())
        path.unlink()
        ran = _ran(log)
        if attempt == 0:
            assert "r6 up" in ran  # the history replayed into its model, kept
        else:
            assert ran == []  # the same model, from the cache
    assert written[0] == written[1] and 'op.create_table(\n        "extra"' in written[0]
    done = run(root, "revision", "--autogenerate", "-m", "extra", "--rev-id", "x7",
               "--no-cache")
    assert done.code == 0, done.stderr
    (path,) = (root / "migrations" / "versions").glob("x7_*.py")
    assert path.read_text() == written[0]
    assert "r6 up" in _ran(log)  # --no-cache: replayed


def test_the_first_check_after_a_render_answers_as_a_full_check_would(
        tmp_path: Path) -> None:
    log = tmp_path / "log"
    root = _history(tmp_path / "p", log)
    odd = script("r7", "r6", "op.drop_table('made_by_the_application')",
                 "raise NotImplementedError('no way back')")
    (root / "migrations" / "versions" / "07_r7.py").write_text(odd)
    _render(root)
    _ran(log)
    first = run(root, "check")
    assert first.code == 0, first.stderr
    assert _ran(log) == []  # answered from what the render remembered
    full = run(root, "check", "--no-cache")
    assert full.code == 0
    assert first.stderr == full.stderr
    assert "irreversible" in full.stderr and "made_by_the_application" in full.stderr
    edited = next((root / histories.OUT / "sqlite" / "upgrade").glob("0003_*.sql"))
    edited.write_text(edited.read_text() + "-- edited\n")
    stale = run(root, "check")
    assert stale.code == 1 and "stale:" in stale.stderr


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_autogenerate_shows_the_replay_on_a_terminal_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlcompile import progress
    from sqlcompile.autogen.generate import autogenerate
    from sqlcompile.config import load_config
    from sqlcompile.dialects import get_dialect
    from sqlcompile.pipeline.render import load_project

    root = _history(tmp_path / "p", tmp_path / "log")
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setattr(progress.Progress.__init__, "__defaults__", (None, 0.0, 1))
    metadata = sa.MetaData()
    for stream, shown in ((_Terminal(), True), (io.StringIO(), False)):
        monkeypatch.setattr(sys, "stderr", stream)
        proj = load_project(load_config(root / histories.CONFIG), use_cache=False)
        autogenerate(proj, get_dialect("postgresql"), metadata=metadata)
        assert ("replay postgresql" in stream.getvalue()) is shown
        assert stream.getvalue().endswith("\r") or not shown  # the line is erased
        assert proj.replay_progress is None
