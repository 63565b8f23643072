"""PostgreSQL: alter_column from a string type to an enum gets the USING cast the server
needs (it has no implicit cast from text to an enum), applied to a real server."""

from __future__ import annotations

from pathlib import Path

import dbs
import psycopg
import pytest
from helpers import compile_ops

SETUP = """
    op.create_table("bill", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("kind", sa.Text, server_default="expense"))
"""
TO_ENUM = """
    sa.Enum("expense", "refund", name="billtype").create(op.get_bind())
    op.alter_column("bill", "kind", type_=sa.Enum("expense", "refund", name="billtype"))
"""


def test_text_to_enum_casts_each_value(pg_db: dbs.PostgresDB, tmp_path: Path) -> None:
    created = compile_ops(SETUP, "postgresql", tmp_path=tmp_path / "a")
    altered = compile_ops(TO_ENUM, "postgresql", tmp_path=tmp_path / "b", setup=SETUP)
    assert "ALTER TABLE bill ALTER COLUMN kind TYPE billtype USING kind::billtype" in altered
    dbs.apply_ok(pg_db, ";\n".join([*created, "INSERT INTO bill (id, kind) VALUES (1, 'refund')",
                                    "INSERT INTO bill (id) VALUES (2)", *altered]) + ";\n")
    assert pg_db.query("SELECT id, kind::text FROM bill ORDER BY id") == [
        (1, "refund"), (2, "expense")]
    assert pg_db.query("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE "
                       "attrelid = 'bill'::regclass AND attname = 'kind'") == [("billtype",)]
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        pg_db.query("INSERT INTO bill (id, kind) VALUES (3, 'gift')")


def test_a_value_that_is_no_label_stops_the_statement(pg_db: dbs.PostgresDB,
                                                       tmp_path: Path) -> None:
    created = compile_ops(SETUP, "postgresql", tmp_path=tmp_path / "a")
    altered = compile_ops(TO_ENUM, "postgresql", tmp_path=tmp_path / "b", setup=SETUP)
    result = pg_db.apply("\\set ON_ERROR_STOP on\nBEGIN;\n" + ";\n".join(
        [*created, "INSERT INTO bill (id, kind) VALUES (1, 'gift')", *altered]) + ";\nCOMMIT;\n")
    assert result.returncode != 0 and 'invalid input value for enum billtype: "gift"' in \
        result.stderr
    assert pg_db.tables() == []


def test_an_explicit_using_is_kept(tmp_path: Path) -> None:
    body = """
        op.alter_column("bill", "kind", type_=sa.Enum("expense", "refund", name="billtype"),
                        postgresql_using="lower(kind)::billtype")
    """
    altered = compile_ops(body, "postgresql", tmp_path=tmp_path, setup=SETUP)
    assert "ALTER TABLE bill ALTER COLUMN kind TYPE billtype USING lower(kind)::billtype" in \
        altered
