"""`version_locations`: one history whose scripts live in several folders, as Alembic allows."""

from __future__ import annotations

from pathlib import Path

import dbs
import pytest
import sqlc_project as sp
from click.testing import CliRunner

from sqlcompile.cli import cli
from sqlcompile.config import load_config
from sqlcompile.errors import ConfigError

SCRIPT = '''"""{message}"""
from alembic import op
import sqlalchemy as sa

revision = "{revision}"
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("{table}", sa.Column("id", sa.Integer, primary_key=True))


def downgrade():
    op.drop_table("{table}")
'''


def _write(folder: Path, name: str, revision: str, down: str | None, table: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(SCRIPT.format(message=f"create {table}", revision=revision,
                                             down=down, table=table), encoding="utf-8")


def test_scripts_in_several_folders_are_one_history(tmp_path: Path,
                                                    sqlite_db: dbs.SQLiteDB) -> None:
    _write(tmp_path / "core" / "versions", "a.py", "aaaa00000001", None, "accounts")
    _write(tmp_path / "billing" / "versions", "b.py", "bbbb00000002", "aaaa00000001",
           "invoices")
    (tmp_path / sp.CONFIG_NAME).write_text(
        'script_location = "core"\noutput_dir = "out"\ndialects = ["sqlite"]\n'
        'version_locations = ["core/versions", "billing/versions"]\n', encoding="utf-8")
    files = sp.render(tmp_path, "sqlite")
    assert [sp.revision_of(p) for p in files.upgrade] == ["aaaa00000001", "bbbb00000002"]
    for path in files.upgrade:
        sp.apply_ok(sqlite_db, path)
    assert {"accounts", "invoices"} <= set(sqlite_db.tables())
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / sp.CONFIG_NAME), "heads"],
                                catch_exceptions=False)
    assert result.exit_code == 0 and "bbbb00000002" in result.stdout


def test_alembic_ini_style_list_and_bad_values(tmp_path: Path) -> None:
    path = tmp_path / sp.CONFIG_NAME
    path.write_text('version_locations = "core/versions, billing/versions"\n', encoding="utf-8")
    config = load_config(path)
    assert config.version_dirs == (tmp_path.resolve() / "core/versions",
                                   tmp_path.resolve() / "billing/versions")
    assert config.scripts_dir == tmp_path.resolve() / "core/versions"  # new scripts go there
    path.write_text("version_locations = []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="version_locations"):
        load_config(path)


def test_a_missing_version_location_is_an_input_error(tmp_path: Path) -> None:
    _write(tmp_path / "core" / "versions", "a.py", "aaaa00000001", None, "accounts")
    (tmp_path / sp.CONFIG_NAME).write_text(
        'dialects = ["sqlite"]\nversion_locations = ["core/versions", "gone/versions"]\n',
        encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / sp.CONFIG_NAME), "render"],
                                catch_exceptions=False)
    assert result.exit_code == 2
    assert "no migration scripts folder at" in result.stderr and "gone" in result.stderr
