"""Values and names that could change what a reviewed file does, on the real engines.

A NUL once ended psql's and sqlite3's reading of a line inside a literal, so that the next
value's quote closed it and its text ran as SQL. PostgreSQL text cannot hold a NUL: it is
refused at compile time, naming the revision, the op and the value. SQLite and MariaDB files
hold it in a form their clients read back byte for byte, as they do a CR.
Names over a dialect's limit, with a NUL or (on MySQL/MariaDB) a 4-byte character are refused.
"""

from __future__ import annotations

from pathlib import Path

import dbs
import pytest
import sqlc_project as sp
from click.testing import CliRunner

from sqlcompile.cli import cli

REV = "a1a1a1a1a1a1"
ATTACK = ["x\x00", "'); DROP TABLE victim; --", "y\x00'); DROP TABLE victim; --"]
TEXTS = ["l1\r\nl2", "\r", "a\rb\r", "nul\x00in the middle", "\x00", "\r\x00\r\n", "plain"]

SCRIPT = '''"""values"""
from alembic import op
import sqlalchemy as sa

revision = {rev!r}
down_revision = None
branch_labels = None
depends_on = None
VALUES = {values!r}


def upgrade():
    op.create_table("victim", sa.Column("id", sa.Integer, primary_key=True,
                                        autoincrement=False))
    op.create_table({table!r}, sa.Column("id", sa.Integer, primary_key=True,
                                         autoincrement=False),
                    sa.Column({column!r}, sa.Text))
    t = sa.table({table!r}, sa.column("id", sa.Integer), sa.column({column!r}, sa.Text))
    op.bulk_insert(t, [{{"id": i, {column!r}: v}} for i, v in enumerate(VALUES)])
    for i, v in enumerate(VALUES, 1000):
        op.execute(sa.text("INSERT INTO victim (id) VALUES (:i)").bindparams(i=i))
{extra}

def downgrade():
    op.drop_table({table!r})
    op.drop_table("victim")
'''


def project(root: Path, values: list[str], dialect: str, *, table: str = "vals",
            column: str = "v", extra: str = "") -> Path:
    text = SCRIPT.format(rev=REV, values=values, table=table, column=column, extra=extra)
    sp.write_history(root, {f"{REV}_values.py": text})
    sp.write_config(root, [dialect])
    return root


def render_fails(root: Path, dialect: str) -> str:
    """Render, expecting the input error; return stderr. Nothing is written."""
    result = CliRunner().invoke(cli, ["--config", str(root / sp.CONFIG_NAME), "render",
                                      "--dialect", dialect], catch_exceptions=False)
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert not (root / sp.OUTPUT_DIR).exists(), "something was written"
    return result.stderr


ENGINES = [("sqlite_db", "sqlite"), ("mariadb_db", "mariadb")]


@pytest.mark.parametrize(("fixture", "dialect"), ENGINES, ids=[d for _, d in ENGINES])
def test_nul_and_cr_read_back_and_run_nothing(fixture: str, dialect: str, tmp_path: Path,
                                              request: pytest.FixtureRequest) -> None:
    db: dbs.ScratchDB = request.getfixturevalue(fixture)
    files = sp.render(project(tmp_path, ATTACK + TEXTS, dialect), dialect)
    sp.apply_ok(db, files.upgrade[0])
    assert "victim" in db.tables()
    rows = db.query("SELECT id, v FROM vals ORDER BY id")
    got = [v.decode("utf-8") if isinstance(v, bytes) else v for _, v in rows]
    assert got == ATTACK + TEXTS
    assert len(db.query("SELECT id FROM victim")) == len(ATTACK + TEXTS)


def test_nul_is_refused_for_postgresql_with_its_position(tmp_path: Path) -> None:
    root = project(tmp_path, ["fine", "also fine", "a\x00b"], "postgresql")
    err = render_fails(root, "postgresql")
    script = root / "migrations" / "versions" / f"{REV}_values.py"
    line = next(i for i, text in enumerate(script.read_text().splitlines(), 1)
                if "op.bulk_insert" in text)
    assert f"{REV}_values.py:{line}:" in err
    assert "row 3, column 'v'" in err and "NUL character (character 2 of 3)" in err
    assert "PostgreSQL text cannot hold a NUL character" in err
    assert "hint:" in err


def test_nul_in_a_bound_value_is_refused_for_postgresql(tmp_path: Path) -> None:
    extra = ('    op.execute(sa.text("UPDATE vals SET v = :v WHERE id = 0")'
             '.bindparams(v="tail\\x00"))\n')
    root = project(tmp_path, ["fine"], "postgresql", extra=extra)
    err = render_fails(root, "postgresql")
    assert "bound value :v" in err and "NUL character" in err


def test_postgresql_applies_what_it_accepts(pg_db: dbs.PostgresDB, tmp_path: Path) -> None:
    values = [v for v in ATTACK + TEXTS if "\x00" not in v]
    files = sp.render(project(tmp_path, values, "postgresql"), "postgresql")
    sp.apply_ok(pg_db, files.upgrade[0])
    assert [v for _, v in pg_db.query("SELECT id, v FROM vals ORDER BY id")] == values


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite", "mariadb", "mysql", "mssql",
                                     "oracle"])
def test_a_lone_surrogate_is_refused(dialect: str, tmp_path: Path) -> None:
    err = render_fails(project(tmp_path, ["ok", "half \udc80 a pair"], dialect), dialect)
    assert "surrogate" in err and "row 2, column 'v'" in err


# -- names ----------------------------------------------------------------------------------

NAME_CASES = [
    # dialect, name, refused?
    ("postgresql", "t" * 63, False),
    ("postgresql", "t" * 64, True),
    ("postgresql", "é" * 31 + "t", False),   # 63 bytes
    ("postgresql", "é" * 32, True),          # 64 bytes, 32 characters
    ("mariadb", "t" * 64, False),
    ("mariadb", "é" * 50, False),            # 100 bytes: characters count, not bytes
    ("mariadb", "é" * 64, True),             # its file name would be 320 bytes (@00e9 each)
    ("mariadb", "t" * 65, True),
    ("mariadb", "emoji\U0001f642", True),
    ("mariadb", "trailing ", True),
    ("sqlite", "t" * 200, False),
    ("sqlite", "emoji\U0001f642", False),
]


@pytest.mark.parametrize(("dialect", "name", "refused"), NAME_CASES,
                         ids=[f"{d}-{len(n)}-{'no' if r else 'ok'}" for d, n, r in NAME_CASES])
def test_names_within_each_dialects_limits(dialect: str, name: str, refused: bool,
                                           tmp_path: Path, request: pytest.FixtureRequest,
                                           ) -> None:
    root = project(tmp_path, ["v"], dialect, table=name)
    if refused:
        err = render_fails(root, dialect)
        assert repr(name)[:40].rstrip("'") in err or "the name" in err
        return
    fixture = {"postgresql": "pg_db", "mariadb": "mariadb_db", "sqlite": "sqlite_db"}[dialect]
    db: dbs.ScratchDB = request.getfixturevalue(fixture)
    files = sp.render(root, dialect)
    sp.apply_ok(db, files.upgrade[0])
    assert name in db.tables()
    sp.apply_ok(db, files.downgrade[0])
    assert name not in db.tables()


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite", "mariadb", "mysql", "mssql",
                                     "oracle"])
def test_a_nul_in_a_name_is_refused(dialect: str, tmp_path: Path) -> None:
    err = render_fails(project(tmp_path, ["v"], dialect, column="co\x00l"), dialect)
    assert "holds a NUL character (character 3)" in err


@pytest.mark.parametrize(("dialect", "limit"), [("mssql", 128), ("oracle", 128)])
def test_long_names_are_refused_offline_too(dialect: str, limit: int, tmp_path: Path) -> None:
    err = render_fails(project(tmp_path, ["v"], dialect, table="t" * (limit + 1)), dialect)
    assert f"at most {limit}" in err


def test_a_name_in_an_error_cannot_drive_the_terminal(tmp_path: Path) -> None:
    """Control and bidirectional characters of a refused name are escapes in the error line."""
    name = "t\x1b[2J\u202e" + "x" * 70
    err = render_fails(project(tmp_path, ["v"], "postgresql", table=name), "postgresql")
    assert "\x1b" not in err and "\u202e" not in err
    assert "\\x1b[2J\\u202e" in err
