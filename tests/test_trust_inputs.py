"""Bad settings and unwritable output are clean errors: `error: <file>: what is wrong` with a
hint, exit 2, no traceback, and nothing written (no file, no temporary file, no folder).

Everything runs `python -m sqlcompile` in a subprocess, so a traceback would show on stderr.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

VERSIONS = Path("migrations") / "versions"
FIRST = '''"""create first"""
from alembic import op
import sqlalchemy as sa

revision = "a1"
down_revision = None


def upgrade():
    op.create_table("first", sa.Column("id", sa.Integer, primary_key=True))


def downgrade():
    op.drop_table("first")
'''
NUL_LITERAL = '''"""insert a NUL"""
from alembic import op
import sqlalchemy as sa

revision = "b2"
down_revision = "a1"


def upgrade():
    op.bulk_insert(sa.table("first", sa.column("id"), sa.column("note")),
                   [{"id": 1, "note": "a\\x00b"}])


def downgrade():
    pass
'''


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SQLCOMPILE_JOBS"}
    return subprocess.run([sys.executable, "-m", "sqlcompile", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def tree(root: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under ``root``, but the caches (bytecode,
    .sqlcompile_cache)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() if p.is_file() else None
            for p in sorted(root.rglob("*"))
            if not {"__pycache__", ".sqlcompile_cache"} & set(p.parts)}


def project(root: Path, config: str | None = 'dialects = ["postgresql"]\n', *,
            name: str = "sqlcompile.toml") -> Path:
    (root / VERSIONS).mkdir(parents=True)
    (root / VERSIONS / "a1_first.py").write_text(FIRST, encoding="utf-8")
    if config is not None:
        (root / name).write_text(config, encoding="utf-8")
    return root


def assert_clean_error(result: subprocess.CompletedProcess[str], where: str,
                       *words: str) -> None:
    """Exit 2, one `error: <where>...` line, a hint, no traceback, nothing on stdout."""
    err = result.stderr
    assert result.returncode == 2, (result.returncode, err)
    assert "Traceback" not in err, err
    assert result.stdout == ""
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(f"error: {where}"), err
    assert "\n  hint: " in err, err
    for word in words:
        assert word in err, (word, err)


def fails_cleanly(root: Path, where: str, *words: str, args: tuple[str, ...] = ()) -> None:
    """`render` and `check` both fail with the error, and neither writes anything."""
    before = tree(root)
    for command in ("render", "check"):
        assert_clean_error(run(root, *args, command), where, *words)
        assert tree(root) == before


# -- pyproject.toml --------------------------------------------------------------------------

PYPROJECTS = {
    "tool is a number": ("tool = 5\n", "`tool` must be a table"),
    "tool is a list": ("tool = [1, 2]\n", "`tool` must be a table"),
    "tool.sqlcompile is a number": ("[tool]\nsqlcompile = 5\n", "`tool.sqlcompile` must be"),
    "tool.sqlcompile is a string": ('[tool]\nsqlcompile = "x"\n', "`tool.sqlcompile` must be"),
    "dialects is a number": ("[tool.sqlcompile]\ndialects = 5\n", "`dialects` must be"),
    "not TOML": ("[tool.sqlcompile\n", "not valid TOML"),
}


@pytest.mark.parametrize("case", PYPROJECTS, ids=list(PYPROJECTS))
def test_bad_pyproject_is_a_clean_error(tmp_path: Path, case: str) -> None:
    text, words = PYPROJECTS[case]
    root = project(tmp_path, text, name="pyproject.toml")
    fails_cleanly(root, f"{root / 'pyproject.toml'}:", words)


def test_pyproject_without_our_table_is_not_a_config(tmp_path: Path) -> None:
    """A pyproject.toml of another tool (no [tool.sqlcompile]) still means defaults."""
    root = project(tmp_path, '[tool.black]\nline-length = 99\n', name="pyproject.toml")
    result = run(root, "render")
    assert result.returncode == 0, result.stderr
    assert (root / "sql_out" / "postgresql" / "upgrade" / "0001_a1_create_first.sql").is_file()


# -- sqlcompile.toml: every key with a wrong value -------------------------------------------

BAD_VALUES = {
    "script_location = 5": "`script_location` must be",
    'script_location = ["migrations"]': "`script_location` must be",
    'script_location = ""': "`script_location` must be",
    "output_dir = 5": "`output_dir` must be",
    'output_dir = ["sql_out"]': "`output_dir` must be",
    'output_dir = ""': "`output_dir` must be",
    "dialects = 5": "`dialects` must be",
    "dialects = []": "`dialects` must be",
    "dialects = [5]": "unknown dialect 5",
    'dialects = [["postgresql"]]': "unknown dialect",
    'dialects = {postgresql = true}': "`dialects` must be",
    'dialects = "nosuch"': "unknown dialect 'nosuch'",
    "version_table = 5": "`version_table` must be",
    'version_table = ["v"]': "`version_table` must be",
    "version_table_schema = 5": "`version_table_schema` must be",
    'transaction_per_migration = "yes"': "`transaction_per_migration` must be",
    "transaction_per_migration = 1": "`transaction_per_migration` must be",
    "target_metadata = 5": "`target_metadata` must be",
    'target_metadata = "models"': "`target_metadata` must look like",
    "url = 5": "`url` must be",
    "url = []": "`url` must be",
    "main_options = 5": "`main_options` must be",
    "main_options = {a = 1}": "`main_options` must be",
    'main_options = ["a"]': "`main_options` must be",
    'x_arguments = "a=b"': "`x_arguments` must be",
    "x_arguments = [1]": "`x_arguments` must be",
    "lock_timeout = -1": "`lock_timeout` must be",
    "lock_timeout = 0": "`lock_timeout` must be",
    'lock_timeout = "60"': "`lock_timeout` must be",
    "lock_timeout = 1.5": "`lock_timeout` must be",
    "lock_timeout = true": "`lock_timeout` must be",
    "environments = 5": "`environments` must be",
    'colour = "red"': "unknown setting `colour`",
}


@pytest.mark.parametrize("line", BAD_VALUES, ids=list(BAD_VALUES))
def test_bad_setting_is_a_clean_error(tmp_path: Path, line: str) -> None:
    config = line + "\n" if line.startswith("dialects") else f'dialects = ["postgresql"]\n{line}\n'
    root = project(tmp_path, config)
    fails_cleanly(root, f"{root / 'sqlcompile.toml'}:", BAD_VALUES[line])


ENVIRONMENTS = {
    "setting of the wrong type": ("[environments.prod]\ndialects = 5\n", "`dialects` must be"),
    "unknown setting": ('[environments.prod]\ncolour = "red"\n', "unknown setting `colour`"),
    "not a table": ("[environments]\nprod = 5\n", "environment 'prod' must be a table"),
    "not defined": ('[environments.dev]\ndialects = ["sqlite"]\n', "unknown environment"),
}


@pytest.mark.parametrize("case", ENVIRONMENTS, ids=list(ENVIRONMENTS))
def test_bad_environment_is_a_clean_error(tmp_path: Path, case: str) -> None:
    text, words = ENVIRONMENTS[case]
    root = project(tmp_path, f'dialects = ["postgresql"]\n{text}')
    fails_cleanly(root, f"{root / 'sqlcompile.toml'}", words, args=("--env", "prod"))


def test_invalid_toml_names_its_line(tmp_path: Path) -> None:
    root = project(tmp_path, 'dialects = ["postgresql"]\noutput_dir = sql_out\n')
    fails_cleanly(root, f"{root / 'sqlcompile.toml'}:2:", "not valid TOML")


def test_config_that_is_not_utf8_is_a_clean_error(tmp_path: Path) -> None:
    root = project(tmp_path, None)
    (root / "sqlcompile.toml").write_bytes(b'dialects = ["postgresql"]\n# caf\xe9\n')
    fails_cleanly(root, f"{root / 'sqlcompile.toml'}:", "not UTF-8")


def test_config_option_naming_a_missing_file(tmp_path: Path) -> None:
    root = project(tmp_path)
    fails_cleanly(root, "nope.toml:", "config file not found", args=("--config", "nope.toml"))


def test_config_option_naming_a_folder(tmp_path: Path) -> None:
    """click refuses a folder for --config before sqlcompile reads it: a usage error."""
    root = project(tmp_path)
    before = tree(root)
    for command in ("render", "check"):
        result = run(root, "--config", "migrations", command)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert "Error: Invalid value for '--config'" in result.stderr
        assert "is a directory" in result.stderr
        assert tree(root) == before


def test_config_loader_refuses_a_folder(tmp_path: Path) -> None:
    """The loader itself (reached without click's check) names a folder as such."""
    from sqlcompile.config import load_config
    from sqlcompile.errors import ConfigError

    with pytest.raises(ConfigError, match="is a folder, not a config file"):
        load_config(tmp_path)


# -- the output folder -----------------------------------------------------------------------

def test_output_dir_that_is_a_file(tmp_path: Path) -> None:
    root = project(tmp_path, 'dialects = ["postgresql"]\noutput_dir = "out"\n')
    (root / "out").write_text("not a folder\n")
    fails_cleanly(root, f"{root / 'sqlcompile.toml'}:", "`output_dir` 'out' is a file")


def test_output_dir_inside_a_file(tmp_path: Path) -> None:
    root = project(tmp_path, 'dialects = ["postgresql"]\noutput_dir = "somefile/out"\n')
    (root / "somefile").write_text("not a folder\n")
    fails_cleanly(root, f"{root / 'sqlcompile.toml'}:",
                  "`output_dir` 'somefile/out' is inside somefile, which is not a folder")


def test_output_dir_in_pyproject_that_is_a_file(tmp_path: Path) -> None:
    root = project(tmp_path, '[tool.sqlcompile]\noutput_dir = "out"\n', name="pyproject.toml")
    (root / "out").write_text("not a folder\n")
    fails_cleanly(root, f"{root / 'pyproject.toml'}:", "is a file, not a folder")


def test_dialect_folder_that_is_a_file_leaves_no_folder_behind(tmp_path: Path) -> None:
    """The upgrade file is staged before the downgrade folder turns out to be a file: the
    staged file is discarded and no folder was created for it."""
    root = project(tmp_path)
    (root / "sql_out" / "postgresql").mkdir(parents=True)
    (root / "sql_out" / "postgresql" / "downgrade").write_text("in the way\n")
    before = tree(root)
    result = run(root, "render")
    assert_clean_error(result, f"{root / 'sql_out' / 'postgresql' / 'downgrade'}/",
                       "postgresql/downgrade is not a folder")
    assert tree(root) == before


def test_output_file_that_is_a_folder(tmp_path: Path) -> None:
    root = project(tmp_path)
    blocked = root / "sql_out" / "postgresql" / "upgrade" / "0001_a1_create_first.sql"
    blocked.mkdir(parents=True)
    before = tree(root)
    assert_clean_error(run(root, "render"), f"{blocked}:", "other than a file")
    assert tree(root) == before


def test_failing_literal_leaves_no_empty_folders(tmp_path: Path) -> None:
    """SQLite's files compile and are staged; PostgreSQL then refuses a NUL in a literal:
    the run writes nothing, not even the folders SQLite's files would have gone to."""
    root = project(tmp_path, 'dialects = ["sqlite", "postgresql"]\n')
    (root / VERSIONS / "b2_nul.py").write_text(NUL_LITERAL, encoding="utf-8")
    before = tree(root)
    result = run(root, "render")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "NUL" in result.stderr
    assert tree(root) == before
    assert not (root / "sql_out").exists()


@contextmanager
def unwritable(folder: Path) -> Iterator[None]:
    """``folder`` made unwritable: by its mode for an ordinary user, by the immutable
    attribute for root (whom modes do not stop); the test is skipped if neither holds."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        undo = [lambda: folder.chmod(0o755)]
    elif shutil.which("chattr") and subprocess.run(
            ["chattr", "+i", str(folder)], capture_output=True, check=False).returncode == 0:
        undo = [lambda: subprocess.run(["chattr", "-i", str(folder)], check=True)]
    else:
        pytest.skip("running as root without a working `chattr +i`: cannot make a folder "
                    "unwritable")
    try:
        probe = folder / ".probe"
        try:
            probe.write_text("x")
        except OSError:
            pass
        else:
            probe.unlink()
            pytest.skip(f"{folder} stayed writable (mode and chattr +i not enforced here)")
        yield
    finally:
        for step in undo:
            step()


def test_unwritable_output_dir(tmp_path: Path) -> None:
    root = project(tmp_path)
    out = root / "sql_out"
    out.mkdir()
    with unwritable(out):
        before = tree(root)
        result = run(root, "render")
        assert_clean_error(result, f"{out}/postgresql/", "cannot write this file",
                           "output_dir")
        assert tree(root) == before


def test_unwritable_output_keeps_the_existing_files(tmp_path: Path) -> None:
    """A change to the history cannot be written: every existing file stays as it was."""
    root = project(tmp_path)
    assert run(root, "render").returncode == 0
    script = root / VERSIONS / "a1_first.py"
    script.write_text(FIRST.replace('"first"', '"renamed"'), encoding="utf-8")
    folder = root / "sql_out" / "postgresql" / "upgrade"
    with unwritable(folder):
        before = tree(root)
        result = run(root, "render")
        assert_clean_error(result, f"{folder}/", "cannot write this file")
        assert tree(root) == before
