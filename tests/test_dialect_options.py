"""Options written for one dialect: honoured where they apply (MariaDB takes MySQL's), and stated
in a comment where they do not, never dropped silently."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import compile_body_of, statements_of

TABLE = """
op.create_table(
    "t",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("a", sa.String(100)),
    mysql_engine="InnoDB",
    mysql_charset="utf8mb4",
)
op.create_index("ix_t_a", "t", ["a"], mysql_length=10, postgresql_include=["id"])
"""


def comments(body: object) -> list[str]:
    return [c for seg in body.segments for s in seg.statements  # type: ignore[attr-defined]
            for c in s.comments]


@pytest.mark.parametrize("dialect", ["mysql", "mariadb"])
def test_mysql_options_apply_to_mysql_and_mariadb(dialect: str, tmp_path: Path) -> None:
    body = compile_body_of(TABLE, dialect, tmp_path=tmp_path)
    create_table, create_index = statements_of(body)
    assert create_table.endswith(")ENGINE=InnoDB CHARSET=utf8mb4")
    assert create_index == "CREATE INDEX ix_t_a ON t (a(10))"
    assert [c for c in comments(body) if "another dialect" in c] == [
        "index option postgresql_include=['id'] is for another dialect; "
        f"{'MySQL' if dialect == 'mysql' else 'MariaDB'} does not use it"
    ]


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite", "mssql", "oracle"])
def test_other_dialects_options_are_stated(dialect: str, tmp_path: Path) -> None:
    body = compile_body_of(TABLE, dialect, tmp_path=tmp_path)
    stated = [c for c in comments(body) if "another dialect" in c]
    assert any(c.startswith("table t option mysql_charset='utf8mb4'") for c in stated)
    assert any(c.startswith("table t option mysql_engine='InnoDB'") for c in stated)
    assert any(c.startswith("index option mysql_length=10") for c in stated)
    include = any(c.startswith("index option postgresql_include") for c in stated)
    assert include == (dialect != "postgresql")
    assert "ENGINE" not in "\n".join(statements_of(body))


def test_mysql_length_reaches_a_real_mariadb(mariadb_db: object, tmp_path: Path) -> None:
    import dbs

    assert isinstance(mariadb_db, dbs.MariaDB)
    sql = ";\n".join(statements_of(compile_body_of(TABLE, "mariadb", tmp_path=tmp_path)))
    dbs.apply_ok(mariadb_db, sql + ";\n")
    rows = mariadb_db.query("SELECT sub_part FROM information_schema.statistics "
                            "WHERE table_schema = DATABASE() AND index_name = 'ix_t_a'")
    assert rows == [(10,)]
