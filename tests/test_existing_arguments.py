"""An alter_column's explicit existing_* arguments win over the schema model where the dialect
restates the column (MySQL/MariaDB MODIFY, SQL Server ALTER COLUMN), as in Alembic's output, and
a disagreement between the two is a warning naming both."""

from __future__ import annotations

from pathlib import Path

import dbs
import sqlc_project as sp
from click.testing import CliRunner

from sqlcompile.cli import cli

FIRST = '''"""a table"""
from alembic import op
import sqlalchemy as sa

revision = "aaaa00000001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "people",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("phone", sa.String(40), nullable=True, comment="mobile"),
    )


def downgrade():
    op.drop_table("people")
'''

SECOND = '''"""phone not null, stated as the author believed it to be"""
from alembic import op
import sqlalchemy as sa

revision = "aaaa00000002"
down_revision = "aaaa00000001"
branch_labels = None
depends_on = None


def upgrade():
    op.alter_column("people", "phone", nullable=False, existing_type=sa.String(20),
                    existing_comment="mobile")


def downgrade():
    op.alter_column("people", "phone", nullable=True, existing_type=sa.String(20),
                    existing_comment="mobile")
'''


def _project(tmp_path: Path, dialects: tuple[str, ...]) -> Path:
    root = sp.write_history(tmp_path, {"a.py": FIRST, "b.py": SECOND})
    sp.write_config(root, dialects)
    return root


def _upgrade_sql(root: Path, dialect: str) -> str:
    files = sp.render(root, dialect)
    return sp.sql_text(files.upgrade[1])


def test_mariadb_modify_restates_the_scripts_existing_type(tmp_path: Path,
                                                           mariadb_db: dbs.MariaDB) -> None:
    root = _project(tmp_path, ("mariadb",))
    sql = _upgrade_sql(root, "mariadb")
    assert "MODIFY phone VARCHAR(20) NOT NULL COMMENT 'mobile'" in sql
    files = sp.render(root, "mariadb")
    for path in files.upgrade:
        sp.apply_ok(mariadb_db, path)
    (row,) = mariadb_db.query(
        "SELECT character_maximum_length, is_nullable FROM information_schema.columns "
        "WHERE table_schema = DATABASE() AND table_name = 'people' AND column_name = 'phone'")
    assert row == (20, "NO")  # what Alembic's MODIFY gives: the script's existing_type


def test_mysql_and_sql_server_use_the_argument_and_postgresql_needs_no_restating(
        tmp_path: Path) -> None:
    root = _project(tmp_path, ("mysql", "mssql", "postgresql"))
    assert "MODIFY phone VARCHAR(20) NOT NULL" in _upgrade_sql(root, "mysql")
    assert "ALTER COLUMN phone VARCHAR(20) NOT NULL" in _upgrade_sql(root, "mssql")
    assert "ALTER COLUMN phone SET NOT NULL" in _upgrade_sql(root, "postgresql")


def test_the_disagreement_is_a_warning_naming_both(tmp_path: Path) -> None:
    root = _project(tmp_path, ("mariadb", "postgresql"))
    sp.run_cli(root, "render")
    result = CliRunner().invoke(cli, ["--config", str(root / sp.CONFIG_NAME), "check"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert any("mariadb: the script and the schema model disagree in revision aaaa00000002: "
               "alter_column people.phone: existing_type=VARCHAR(20), the model has "
               "VARCHAR(40); the script's argument is used" in line for line in warnings), warnings
    assert any("postgresql:" in line and "existing_type=VARCHAR(20)" in line
               and "the model's is kept" in line for line in warnings), warnings
    strict = CliRunner().invoke(cli, ["--config", str(root / sp.CONFIG_NAME), "check",
                                      "--strict"], catch_exceptions=False)
    assert strict.exit_code == 1


def test_arguments_that_agree_with_the_model_change_nothing(tmp_path: Path) -> None:
    agreeing = SECOND.replace("sa.String(20)", "sa.String(40)")
    root = sp.write_history(tmp_path, {"a.py": FIRST, "b.py": agreeing})
    sp.write_config(root, ("mariadb",))
    assert "MODIFY phone VARCHAR(40) NOT NULL COMMENT 'mobile'" in _upgrade_sql(root, "mariadb")
    result = CliRunner().invoke(cli, ["--config", str(root / sp.CONFIG_NAME), "check"],
                                catch_exceptions=False)
    assert "disagree" not in result.stderr, result.stderr


def _warnings(root: Path) -> list[str]:
    result = CliRunner().invoke(cli, ["--config", str(root / sp.CONFIG_NAME), "check"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return [line for line in result.stderr.splitlines() if "disagree" in line]


def test_a_new_type_makes_the_old_one_unused(tmp_path: Path) -> None:
    """With type_= given, MODIFY states the new type: the warning says the differing
    existing_type is not used either way."""
    changing = SECOND.replace('nullable=False, existing_type=sa.String(20)',
                              'type_=sa.String(60), existing_type=sa.String(20)')
    root = sp.write_history(tmp_path, {"a.py": FIRST, "b.py": changing})
    sp.write_config(root, ("mariadb",))
    sp.run_cli(root, "render")
    [warning] = _warnings(root)
    assert warning.endswith("existing_type=VARCHAR(20), the model has VARCHAR(40); neither is "
                            "used: type_= gives the new one"), warning
    assert "MODIFY phone VARCHAR(60) COMMENT 'mobile'" in _upgrade_sql(root, "mariadb")


def test_postgresql_datetime_is_its_timestamp(tmp_path: Path) -> None:
    """`existing_type=sa.DATETIME` on PostgreSQL names the TIMESTAMP column it has: no
    disagreement (a real history warned on every such call)."""
    first = FIRST.replace('sa.Column("phone", sa.String(40), nullable=True, comment="mobile")',
                          'sa.Column("seen", sa.DateTime(), nullable=True)')
    second = SECOND.replace('"phone", nullable=False, existing_type=sa.String(20),\n'
                            '                    existing_comment="mobile"',
                            '"seen", nullable=False, existing_type=sa.DATETIME()')
    assert second != SECOND
    root = sp.write_history(tmp_path, {"a.py": first, "b.py": second})
    sp.write_config(root, ("postgresql",))
    sp.run_cli(root, "render")
    assert _warnings(root) == []
