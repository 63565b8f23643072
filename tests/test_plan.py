"""Framing: transactions, guards and version rows around a migration's statements."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import dbs
import pytest
from helpers import write_script

from sqlcompile.config import Config
from sqlcompile.errors import CompileError
from sqlcompile.pipeline.render import load_project, render_files, render_stream


def upgrade_file(tmp_path: Path, body: str, dialect: str) -> str:
    """The framed upgrade file of a one-revision history."""
    write_script(tmp_path, body)
    project = load_project(Config(root=tmp_path, dialects=(dialect,)))
    files = render_files(project, dialect).files
    [text] = [t for p, t in files.items() if p.parent.name == "upgrade"]
    return text


def statements(text: str) -> list[str]:
    """Statement lines of a file (comments and blank lines left out), first line each."""
    lines = [line for line in text.splitlines() if line and not line.startswith("--")]
    return [line for line in lines if not line.startswith(("\t", ")"))]


SETUP = ("\\", ".", "SET", "PRAGMA", "SELECT pg_advisory_")  # client, session, lock


def apply_sqlite(path: Path, text: str) -> None:
    """Apply a file to an SQLite database as the README says (sqlite3 -bail)."""
    result = dbs.SQLiteDB(str(path)).apply(text)
    assert result.returncode == 0, result.stderr


COMMIT_BODY = """
    op.create_table("a", sa.Column("id", sa.Integer(), primary_key=True))
    op.get_bind().commit()
    op.create_table("b", sa.Column("id", sa.Integer(), primary_key=True))
"""


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_commit_in_a_script_splits_the_transaction_and_keeps_what_follows(
    dialect: str, tmp_path: Path
) -> None:
    lines = statements(upgrade_file(tmp_path, COMMIT_BODY, dialect))
    kinds = [line.rstrip(";").split(" ")[0] for line in lines if not line.startswith(SETUP)]
    assert kinds == ["BEGIN", "CREATE", "SELECT", "CREATE", "COMMIT", "BEGIN", "SELECT",
                     "CREATE", "INSERT", "SELECT", "COMMIT"]
    assert any(line.startswith("CREATE TABLE b") for line in lines)


def test_commit_in_a_script_applies_both_parts_on_sqlite(tmp_path: Path) -> None:
    text = upgrade_file(tmp_path, COMMIT_BODY, "sqlite")
    apply_sqlite(tmp_path / "app.db", text)
    db = sqlite3.connect(tmp_path / "app.db")
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"a", "b", "sqlcompile_version"} <= tables
    assert db.execute("SELECT version_num FROM sqlcompile_version").fetchall() == [
        ("aaaaaaaaaaaa",)
    ]


def test_autocommit_block_runs_outside_the_transaction_and_repeats_the_guard(
    tmp_path: Path,
) -> None:
    body = """
        with op.get_context().autocommit_block():
            op.create_index("ix_t_a", "t", ["a"], postgresql_concurrently=True)
    """
    text = upgrade_file(tmp_path, body, "postgresql")
    lines = statements(text)
    index = lines.index("CREATE INDEX CONCURRENTLY ix_t_a ON t (a);")
    assert lines[index - 1] == "COMMIT;" and lines[index + 1] == "BEGIN;"
    assert lines[index + 2].startswith("SELECT CAST('sqlcompile guard")
    assert lines[-4].startswith("INSERT INTO sqlcompile_version")
    assert lines[-3].startswith("SELECT CAST('sqlcompile guard") and lines[-2] == "COMMIT;"
    assert lines[-1].startswith("SELECT pg_advisory_unlock(")
    assert "-- autocommit block: the statements below run outside any transaction" in text


def test_concurrently_outside_an_autocommit_block_gets_a_segment_of_its_own(
        tmp_path: Path) -> None:
    """PostgreSQL refuses CONCURRENTLY in a transaction: the op runs in an autocommit segment,
    as if the script had put it in autocommit_block(), and the file says why."""
    text = upgrade_file(tmp_path, 'op.create_index("ix", "t", ["a"], postgresql_concurrently=True)',
                        "postgresql")
    lines = statements(text)
    index = lines.index("CREATE INDEX CONCURRENTLY ix ON t (a);")
    assert lines[index - 1] == "COMMIT;" and lines[index + 1] == "BEGIN;"
    assert "-- PostgreSQL refuses CONCURRENTLY inside a transaction block: this op runs in an " \
           "autocommit segment of its own" in text


def test_stream_without_transaction_per_migration_is_one_transaction(tmp_path: Path) -> None:
    versions = tmp_path / "migrations" / "versions"
    write_script(tmp_path, 'op.create_table("a", sa.Column("id", sa.Integer()))')
    second = (versions / "aaaaaaaaaaaa_test.py").read_text().replace(
        'revision = "aaaaaaaaaaaa"', 'revision = "bbbbbbbbbbbb"'
    ).replace("down_revision = None", 'down_revision = "aaaaaaaaaaaa"').replace(
        '"a"', '"b"'
    )
    (versions / "bbbbbbbbbbbb_test.py").write_text(second)
    config = Config(root=tmp_path, dialects=("sqlite",), transaction_per_migration=False)
    project = load_project(config)
    steps = project.graph.upgrade_steps([], project.graph.heads())
    text = next(iter(render_stream(project, "sqlite", steps, "base -> heads").files.values()))
    lines = statements(text)
    assert lines.count("BEGIN EXCLUSIVE;") == 1 and lines.count("COMMIT;") == 1
    # a guard before each migration, a check after each one's version rows
    assert sum(line.startswith("SELECT json_extract") for line in lines) == 4
    apply_sqlite(tmp_path / "app.db", text)
    db = sqlite3.connect(tmp_path / "app.db")
    assert db.execute("SELECT version_num FROM sqlcompile_version").fetchall() == [
        ("bbbbbbbbbbbb",)
    ]


def test_sqlite_refuses_a_non_constant_default_on_add_column(tmp_path: Path) -> None:
    body = 'op.add_column("t", sa.Column("at", sa.DateTime(), server_default=sa.func.now()))'
    with pytest.raises(CompileError, match="non-constant default"):
        upgrade_file(tmp_path, body, "sqlite")


def test_sqlite_accepts_a_constant_default_on_add_column(tmp_path: Path) -> None:
    body = ('op.add_column("t", sa.Column("n", sa.Integer(), nullable=False, '
            'server_default=sa.text("0")))')
    assert "ALTER TABLE t ADD COLUMN n INTEGER DEFAULT 0 NOT NULL;" in upgrade_file(
        tmp_path, body, "sqlite"
    )


def test_an_index_method_for_another_dialect_is_stated_not_dropped(tmp_path: Path) -> None:
    body = 'op.create_index("ix_doc", "docs", ["body"], postgresql_using="gin")'
    text = upgrade_file(tmp_path, body, "sqlite")
    assert ("-- index option postgresql_using='gin' is for another dialect; SQLite does not "
            "use it") in text
    assert "CREATE INDEX ix_doc ON docs (body);" in text
