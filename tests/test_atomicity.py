"""A migration that fails at apply time leaves nothing behind: its DDL is rolled back too."""

from __future__ import annotations

from pathlib import Path

import dbs
import pytest
import sqlc_project as sp

FIRST = '''"""create first table

Revision ID: a7001first
"""
from alembic import op
import sqlalchemy as sa

revision = "a7001first"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("first_table", sa.Column("id", sa.Integer(), primary_key=True))
    op.bulk_insert(sa.table("first_table", sa.column("id", sa.Integer)), [{"id": 1}])


def downgrade() -> None:
    op.drop_table("first_table")
'''

SECOND = '''"""create second table, then fail

Revision ID: a7002second
"""
from alembic import op
import sqlalchemy as sa

revision = "a7002second"
down_revision = "a7001first"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("second_table", sa.Column("id", sa.Integer(), primary_key=True))
    op.create_index("ix_second_table_id", "second_table", ["id"])
    op.execute("INSERT INTO first_table (id) VALUES (2)")
    op.add_column("first_table", sa.Column("note", sa.Text(), nullable=True))
    op.execute("INSERT INTO no_such_table VALUES (1)")


def downgrade() -> None:
    op.drop_column("first_table", "note")
    op.drop_index("ix_second_table_id", table_name="second_table")
    op.drop_table("second_table")
'''

DBS = [("pg_db", "postgresql"), ("sqlite_db", "sqlite")]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("atomicity")
    return sp.write_history(root, {"a7001_first.py": FIRST, "a7002_second.py": SECOND})


def assert_at_first_revision(db: dbs.ScratchDB, before: dict[str, object]) -> None:
    assert db.tables() == ["first_table", sp.VERSION_TABLE]
    assert sp.version_rows(db) == ["a7001first"]
    assert db.query("SELECT * FROM first_table") == [(1,)]  # no row 2, no column note
    assert sp.snapshot(db) == before


@pytest.mark.parametrize("db_fixture, dialect", DBS)
def test_failing_file_changes_nothing(project: Path, db_fixture: str, dialect: str,
                                      request: pytest.FixtureRequest) -> None:
    db: dbs.ScratchDB = request.getfixturevalue(db_fixture)
    files = sp.render(project, dialect)
    sp.apply_ok(db, files.upgrade[0])
    before = sp.snapshot(db)
    result = sp.apply(db, files.upgrade[1])
    assert result.returncode != 0
    assert "no_such_table" in result.stderr
    assert_at_first_revision(db, before)


@pytest.mark.parametrize("db_fixture, dialect", DBS)
def test_failing_stream_keeps_earlier_migrations(project: Path, db_fixture: str, dialect: str,
                                                 request: pytest.FixtureRequest) -> None:
    """A stream commits each migration on its own: the first stays, the failing one is undone."""
    db: dbs.ScratchDB = request.getfixturevalue(db_fixture)
    result = sp.apply(db, sp.render_stream(project, dialect))
    assert result.returncode != 0
    assert "no_such_table" in result.stderr
    files = sp.render(project, dialect)
    assert db.tables() == ["first_table", sp.VERSION_TABLE]
    assert sp.version_rows(db) == ["a7001first"]
    assert db.query("SELECT * FROM first_table") == [(1,)]  # no row 2, no column note
    # the stream can be resumed with the files: the first is refused, the second fails again
    assert sp.apply(db, files.upgrade[0]).returncode != 0
    before = sp.snapshot(db)
    assert sp.apply(db, files.upgrade[1]).returncode != 0
    assert_at_first_revision(db, before)
