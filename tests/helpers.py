"""Compile a one-revision migration script written inline in a test.

`compile_ops("op.drop_table('t')", "postgresql", tmp_path=tmp_path)` writes a script whose
upgrade() (or downgrade(), per ``direction``) runs the given body, loads it the way the project
loader does and returns the SQL of every statement compiled from it.
"""

from __future__ import annotations

import tempfile
import textwrap
from pathlib import Path
from typing import Any

from sqlcompile.config import Config
from sqlcompile.dialects import get_dialect
from sqlcompile.pipeline.compiler import Body, compile_body, record, replay
from sqlcompile.schema.model import Schema
from sqlcompile.sources.proxy import alembic_compat
from sqlcompile.sources.scripts import Script, load_script

REVISION = "aaaaaaaaaaaa"
SETUP_REVISION = "0000aaaaaaaa"
DIRECTIONS = ("upgrade", "downgrade")


def script_source(
    body_src: str, direction: str = "upgrade", *, imports: str = "", revision: str = REVISION
) -> str:
    """Text of a one-revision Alembic script whose ``direction`` function runs ``body_src``."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    body = textwrap.indent(textwrap.dedent(body_src).strip() or "pass", "    ")
    functions = {name: "    pass" for name in DIRECTIONS}
    functions[direction] = body
    extra = textwrap.dedent(imports).strip()
    return (
        '"""test revision"""\n'
        "from alembic import op\n"
        "import sqlalchemy as sa\n"
        + (extra + "\n" if extra else "")
        + "\n"
        f'revision = "{revision}"\n'
        "down_revision = None\n"
        "branch_labels = None\n"
        "depends_on = None\n"
        "\n\n"
        f"def upgrade():\n{functions['upgrade']}\n"
        "\n\n"
        f"def downgrade():\n{functions['downgrade']}\n"
    )


def write_script(
    root: Path, body_src: str, direction: str = "upgrade", *, imports: str = "",
    revision: str = REVISION,
) -> Path:
    """Write the script into ``root/migrations/versions/`` and return its path."""
    folder = root / "migrations" / "versions"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{revision}_test.py"
    path.write_text(script_source(body_src, direction, imports=imports, revision=revision),
                    encoding="utf-8")
    return path


def load(path: Path, config: Config) -> Script:
    """Load one script with the Alembic compatibility imports active (as the project does)."""
    with alembic_compat():
        return load_script(path, config.root)


def compile_body_of(
    body_src: str,
    dialect: str,
    direction: str = "upgrade",
    tmp_path: Path | None = None,
    *,
    imports: str = "",
    setup: str = "",
    **config: Any,
) -> Body:
    """The compiled Body of ``body_src`` run as ``direction`` for ``dialect``.

    Extra keyword arguments become `Config` settings (e.g. ``url=...``, ``x_arguments=...``).
    The ops see a schema model that starts empty (tables the body creates are known to the ops
    after them), as the first revision of a history does; ``setup`` is the body of an earlier
    upgrade that only builds that model (its SQL is not compiled).
    """
    root = (tmp_path or Path(tempfile.mkdtemp(prefix="sqlcompile-test-"))).resolve()
    path = write_script(root, body_src, direction, imports=imports)
    settings = Config(root=root, **config)
    script = load(path, settings)
    target = get_dialect(dialect)
    schema = Schema(target)
    if setup:
        # Another script, replayed into the model only: the schema the body starts from.
        setup_path = write_script(root, setup, revision=SETUP_REVISION)
        replay(record(load(setup_path, settings), "upgrade", target, settings), schema)
        setup_path.unlink()
    return compile_body(script, direction, target, settings, schema)


def statements_of(body: Body) -> list[str]:
    """SQL of every statement of ``body``, in order, leaving out comment-only entries."""
    return [s.sql for segment in body.segments for s in segment.statements if s.sql]


def compile_ops(
    body_src: str,
    dialect: str,
    direction: str = "upgrade",
    tmp_path: Path | None = None,
    *,
    imports: str = "",
    setup: str = "",
    **config: Any,
) -> list[str]:
    """SQL statements compiled from ``body_src`` (see :func:`compile_body_of`)."""
    body = compile_body_of(body_src, dialect, direction, tmp_path, imports=imports, setup=setup,
                           **config)
    return statements_of(body)
