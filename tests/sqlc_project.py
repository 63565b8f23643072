"""Helpers for tests that render a migration history and apply the SQL to real databases.

Every render goes to a project under a temporary folder (a copy of the bundled example or a
history written by the test), never to the repository's own sql_out/.
"""

from __future__ import annotations

import ast
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dbs
from click.testing import CliRunner

from sqlcompile.cli import cli

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_MIGRATIONS = REPO / "migrations"
OUTPUT_DIR = "out"
CONFIG_NAME = "sqlcompile.toml"
DIALECTS = ("postgresql", "sqlite")
VERSION_TABLE = "sqlcompile_version"


def write_config(root: Path, dialects: Sequence[str] = DIALECTS) -> Path:
    """Write sqlcompile.toml in ``root`` (scripts in migrations/, output in out/)."""
    listed = ", ".join(f'"{d}"' for d in dialects)
    path = root / CONFIG_NAME
    path.write_text(
        f'script_location = "migrations"\noutput_dir = "{OUTPUT_DIR}"\ndialects = [{listed}]\n',
        encoding="utf-8",
    )
    return path


def copy_example(root: Path) -> Path:
    """Copy the bundled example history into ``root`` with a config; return ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(
        EXAMPLE_MIGRATIONS,
        root / "migrations",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    write_config(root)
    return root


def write_history(root: Path, scripts: Mapping[str, str]) -> Path:
    """Write a history (file name -> script text) under ``root`` with a config."""
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    for name, text in scripts.items():
        (versions / name).write_text(text, encoding="utf-8")
    write_config(root)
    return root


def run_cli(root: Path, *args: str) -> tuple[bytes, str]:
    """Run `sqlcompile --config ROOT/sqlcompile.toml ARGS` in-process; return (stdout, stderr).

    Fails the test (showing stderr) when the command does not exit 0.
    """
    runner = CliRunner()
    result = runner.invoke(cli, ["--config", str(root / CONFIG_NAME), *args],
                           catch_exceptions=False)
    assert result.exit_code == 0, f"sqlcompile {' '.join(args)} failed:\n{result.stderr}"
    return result.stdout_bytes, result.stderr


@dataclass(frozen=True)
class Rendered:
    """The files of one dialect, each list in file-name (= graph) order."""

    upgrade: list[Path]
    downgrade: list[Path]


def render(root: Path, dialect: str) -> Rendered:
    """Render every revision's files for ``dialect`` under ROOT/out/DIALECT/."""
    run_cli(root, "render", "--dialect", dialect)
    base = root / OUTPUT_DIR / dialect
    upgrade = sorted((base / "upgrade").glob("*.sql"))
    downgrade = sorted((base / "downgrade").glob("*.sql"))
    assert upgrade and len(upgrade) == len(downgrade)
    assert [p.name for p in upgrade] == [p.name for p in downgrade]
    return Rendered(upgrade, downgrade)


def render_stream(root: Path, dialect: str, *args: str) -> str:
    """`render --stdout --dialect DIALECT ARGS`, decoded (CR and all) as UTF-8."""
    out, _ = run_cli(root, "render", "--stdout", "--dialect", dialect, *args)
    return out.decode("utf-8")


def sql_text(path: Path) -> str:
    """A file's SQL exactly as written: no newline translation (CRLF inside literals stays)."""
    return path.read_bytes().decode("utf-8")


def revision_of(path: Path) -> str:
    """The revision id in a file name `NNNN_<rev>_<slug>.sql`."""
    return path.name.split("_")[1]


def apply(db: dbs.ScratchDB, sql: Path | str) -> dbs.ApplyResult:
    """Apply a file (read byte-exact) or SQL text."""
    return db.apply(sql_text(sql) if isinstance(sql, Path) else sql)


def apply_ok(db: dbs.ScratchDB, sql: Path | str) -> dbs.ApplyResult:
    """Apply and assert success, naming the file on failure."""
    result = apply(db, sql)
    what = sql.name if isinstance(sql, Path) else "SQL stream"
    assert result.returncode == 0, f"applying {what} to {db.name} failed:\n{result.stderr}"
    return result


def version_rows(db: dbs.ScratchDB) -> list[str]:
    """Sorted rows of the version table."""
    return sorted(r[0] for r in db.query(f"SELECT version_num FROM {VERSION_TABLE}"))


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sort_key(row: tuple[Any, ...]) -> str:
    return repr(row)


def snapshot(db: dbs.ScratchDB) -> dict[str, Any]:
    """Everything a migration could change: catalog rows describing the schema, and all data."""
    if isinstance(db, dbs.SQLiteDB):
        schema: list[tuple[Any, ...]] = db.query(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        )
    else:
        schema = db.query(
            "SELECT table_name, column_name, data_type, is_nullable, column_default"
            " FROM information_schema.columns WHERE table_schema = 'public'"
            " ORDER BY table_name, column_name"
        )
        schema += db.query(
            "SELECT tablename, indexname, indexdef FROM pg_indexes"
            " WHERE schemaname = 'public' ORDER BY tablename, indexname"
        )
        schema += db.query(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE connamespace = 'public'::regnamespace"
            " ORDER BY 1, 2"
        )
    data = {
        table: sorted(db.query(f"SELECT * FROM {_quote(table)}"), key=_sort_key)
        for table in db.tables()
    }
    return {"tables": db.tables(), "schema": schema, "data": data}


# --- the revision graph, read independently of sqlcompile -------------------------------------


def _module_assignments(path: Path) -> dict[str, Any]:
    """Literal top-level assignments of a script (revision, down_revision, ...)."""
    found: dict[str, Any] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                try:
                    found[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    continue
    return found


def parents_by_revision(versions: Path) -> dict[str, tuple[str, ...]]:
    """revision -> its down_revisions, from the scripts' literal assignments."""
    graph: dict[str, tuple[str, ...]] = {}
    for path in sorted(versions.glob("*.py")):
        values = _module_assignments(path)
        down = values.get("down_revision")
        parents = () if down is None else (down,) if isinstance(down, str) else tuple(down)
        graph[values["revision"]] = parents
    return graph


def heads_of(applied: Iterable[str], parents: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Sorted heads of a set of applied revisions: those no applied revision names as parent."""
    applied = set(applied)
    named = {p for rev in applied for p in parents[rev]}
    return sorted(applied - named)
