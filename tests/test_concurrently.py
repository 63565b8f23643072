"""`postgresql_concurrently=True` outside an autocommit_block(): PostgreSQL refuses CONCURRENTLY
inside a transaction, so the op gets an autocommit segment of its own, with a comment in the
file and a warning from render, and the file applies to a real server."""

from __future__ import annotations

from pathlib import Path

import dbs
import sqlc_project as sp
from click.testing import CliRunner

from sqlcompile.cli import cli

SCRIPT = '''"""a table and a concurrent index, as real histories write it"""
from alembic import op
import sqlalchemy as sa

revision = "cccc00000001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("events", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("kind", sa.String(20)))
    op.create_index("ix_events_kind", "events", ["kind"], postgresql_concurrently=True)


def downgrade():
    op.drop_index("ix_events_kind", "events", postgresql_concurrently=True)
    op.drop_table("events")
'''


def test_concurrent_index_runs_outside_the_transaction_and_applies(
        tmp_path: Path, pg_db: dbs.PostgresDB) -> None:
    root = sp.write_history(tmp_path, {"a.py": SCRIPT})
    sp.write_config(root, ("postgresql", "sqlite"))
    result = CliRunner().invoke(cli, ["--config", str(root / sp.CONFIG_NAME), "render"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert any(line.startswith("warning: postgresql: out/postgresql/upgrade/0001_cccc00000001")
               and "create_index ix_events_kind on events (line 14): PostgreSQL refuses "
               "CONCURRENTLY inside a transaction block" in line for line in warnings), warnings
    assert not any("sqlite" in line for line in warnings)  # an option for another dialect
    files = sp.render(root, "postgresql")
    sp.apply_ok(pg_db, files.upgrade[0])
    assert pg_db.query("SELECT indexname FROM pg_indexes WHERE tablename = 'events' "
                       "AND indexname = 'ix_events_kind'") == [("ix_events_kind",)]
    assert sp.version_rows(pg_db) == ["cccc00000001"]
    sp.apply_ok(pg_db, files.downgrade[0])
    assert "events" not in pg_db.tables()
    assert sp.version_rows(pg_db) == []
