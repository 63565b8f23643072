"""Small migration histories written by a test, and running the CLI on them.

`script("b2", "a1", upgrade="op.add_column(...)", downgrade=None)` is one revision's text: its
functions' bodies as given, no downgrade() at all with ``downgrade=None``, and ``top`` lines
at module level (imports).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from sqlcompile.cli import cli

CONFIG = "sqlcompile.toml"
OUT = "out"


def _body(text: str) -> str:
    return textwrap.indent(textwrap.dedent(text).strip() or "pass", "    ")


def script(revision: str, down: str | None, upgrade: str = "pass",
           downgrade: str | None = "pass", *, message: str = "", top: str = "") -> str:
    """The text of one revision (see the module docstring)."""
    parts = [
        f'"""{message or "revision " + revision}"""',
        "from alembic import op",
        "import sqlalchemy as sa",
        textwrap.dedent(top).strip(),
        "",
        f"revision = {revision!r}",
        f"down_revision = {down!r}",
        "branch_labels = None",
        "depends_on = None",
        "",
        "",
        f"def upgrade():\n{_body(upgrade)}",
    ]
    if downgrade is not None:
        parts += ["", "", f"def downgrade():\n{_body(downgrade)}"]
    return "\n".join(part for part in parts if part is not None) + "\n"


def write(root: Path, scripts: Mapping[str, str], dialects: Sequence[str],
          extra_config: str = "") -> Path:
    """A project in ``root``: ``scripts`` (file name -> text) and its config."""
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    for name, text in scripts.items():
        (versions / name).write_text(text, encoding="utf-8")
    listed = ", ".join(f'"{d}"' for d in dialects)
    (root / CONFIG).write_text(
        f'script_location = "migrations"\noutput_dir = "{OUT}"\ndialects = [{listed}]\n'
        + extra_config, encoding="utf-8")
    return root


@dataclass(frozen=True)
class Run:
    """A finished command: exit code, standard output (bytes) and standard error."""

    code: int
    stdout: bytes
    stderr: str

    def errors(self) -> list[str]:
        """The `error:` lines of standard error."""
        return [line for line in self.stderr.splitlines() if line.startswith("error:")]


def run(root: Path, *args: str) -> Run:
    """`sqlcompile --config ROOT/sqlcompile.toml ARGS` in this process."""
    result = CliRunner().invoke(cli, ["--config", str(root / CONFIG), *args],
                                catch_exceptions=False)
    return Run(result.exit_code, result.stdout_bytes, result.stderr)


def run_process(root: Path, *args: str, jobs: int = 1) -> Run:
    """The same in a child process with SQLCOMPILE_JOBS=``jobs`` (forked render workers)."""
    env = {**os.environ, "SQLCOMPILE_JOBS": str(jobs)}
    env.pop("SQLCOMPILE_TRACEBACK", None)
    done = subprocess.run([sys.executable, "-m", "sqlcompile", "--config", str(root / CONFIG),
                           *args], cwd=root, env=env, capture_output=True, timeout=300,
                          check=False)
    return Run(done.returncode, done.stdout, done.stderr.decode("utf-8"))


def line_of(text: str, marker: str) -> int:
    """The 1-based number of the first line of ``text`` holding ``marker``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if marker in line)
