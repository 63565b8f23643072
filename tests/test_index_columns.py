"""Indexes on columns the model does not know, and names in the dialect's default schema."""

from __future__ import annotations

from pathlib import Path

import dbs
from histories import line_of, run, script, write
from sqlc_project import apply_ok, render

BAD_INDEX = """
op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))
op.create_index("ix_t_nope", "t", ["nope"])
"""


def test_an_index_on_a_column_the_table_lacks_is_the_scripts_error(tmp_path: Path) -> None:
    text = script("a1", None, BAD_INDEX)
    write(tmp_path, {"a1_x.py": text}, ["postgresql", "sqlite"])
    line = line_of(text, "ix_t_nope")
    for args in (["render"], ["schema", "--dialect", "postgresql"], ["check"]):
        done = run(tmp_path, *args)
        assert done.code == 2, (args, done.stderr)
        assert done.errors(), done.stderr
        for error in done.errors():
            assert error.startswith(f"error: migrations/versions/a1_x.py:{line}: create_index "
                                    "ix_t_nope on t: table t has no column 'nope' (its "
                                    "columns: id); the server refuses an index on it"), error
        assert "hint: name a column the table has, or add the column" in done.stderr
        assert "internal error" not in done.stderr


def test_included_columns_are_checked_too(tmp_path: Path) -> None:
    text = script("a1", None, """
        op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))
        op.create_index("ix_t", "t", ["id"], postgresql_include=["gone"])
    """)
    write(tmp_path, {"a1_x.py": text}, ["postgresql"])
    done = run(tmp_path, "render")
    assert done.code == 2
    assert f"a1_x.py:{line_of(text, 'ix_t')}: create_index ix_t on t: table t has no column " \
           "'gone'" in done.stderr


def test_a_name_in_another_case_is_left_to_the_server(tmp_path: Path) -> None:
    # MySQL, SQLite and SQL Server match column names in any case: not ours to refuse.
    write(tmp_path, {"a1_x.py": script("a1", None, """
        op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))
        op.create_index("ix_t_id", "t", ["ID"])
    """)}, ["sqlite"])
    assert run(tmp_path, "render").code == 0


INCOMPLETE = """
op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("n", sa.Integer))
op.execute("DO $$ BEGIN ALTER TABLE t ADD COLUMN hidden integer; END $$")
op.create_index("ix_t_hidden", "t", ["hidden"], postgresql_include=["n"])
op.create_index("ix_t_both", "t", ["n", "hidden"], postgresql_include=["hidden"])
"""


def test_an_incomplete_model_keeps_the_index(tmp_path: Path, pg_db: dbs.PostgresDB) -> None:
    write(tmp_path, {"a1_x.py": script("a1", None, INCOMPLETE, "op.drop_table('t')")},
          ["postgresql"])
    files = render(tmp_path, "postgresql")
    apply_ok(pg_db, files.upgrade[0])
    assert sorted(pg_db.query("SELECT indexname FROM pg_indexes WHERE tablename = 't'")) == [
        ("ix_t_both",), ("ix_t_hidden",), ("t_pkey",)]
    schema_sql = (tmp_path / "out" / "postgresql" / "schema.sql").read_text(encoding="utf-8")
    assert "CREATE INDEX ix_t_hidden ON t (hidden) INCLUDE (n);" in schema_sql
    assert "CREATE INDEX ix_t_both ON t (n, hidden) INCLUDE (hidden);" in schema_sql
    assert "create_index ix_t_hidden on t names column(s) 'hidden' the model does not " \
           "know; the index is kept as the script names it" in schema_sql
    apply_ok(pg_db, files.downgrade[0])


def test_an_incomplete_model_keeps_the_index_through_a_sqlite_rebuild(tmp_path: Path) -> None:
    write(tmp_path, {"a1_x.py": script("a1", None, """
        op.create_table("t", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("n", sa.Integer))
        op.execute("CREATE TABLE c AS SELECT 1 AS x")
        op.create_index("ix_t_hidden", "t", ["hidden"])
        with op.batch_alter_table("t", recreate="always") as batch_op:
            batch_op.alter_column("n", nullable=False)
    """)}, ["sqlite"])
    done = run(tmp_path, "render")
    assert done.code == 0, done.stderr
    upgrade = next((tmp_path / "out" / "sqlite" / "upgrade").glob("*.sql")).read_text()
    assert "CREATE INDEX ix_t_hidden ON t (hidden);" in upgrade


DEFAULT_SCHEMA = """
op.create_table("orders", sa.Column("id", sa.Integer, primary_key=True))
op.execute('ALTER TABLE "public"."orders" ADD COLUMN placed date')
op.create_index("ix_orders_placed", "orders", ["placed"], schema="public")
op.add_column("orders", sa.Column("note", sa.Text), schema="public")
op.execute("CREATE INDEX ix_orders_note ON public.orders (note)")
"""


def test_the_default_schema_is_the_same_table(tmp_path: Path, pg_db: dbs.PostgresDB) -> None:
    write(tmp_path, {"a1_x.py": script("a1", None, DEFAULT_SCHEMA,
                                       'op.drop_table("orders", schema="public")')},
          ["postgresql"])
    files = render(tmp_path, "postgresql")
    apply_ok(pg_db, files.upgrade[0])
    schema_sql = (tmp_path / "out" / "postgresql" / "schema.sql").read_text(encoding="utf-8")
    assert "may be incomplete" not in schema_sql
    assert "-- tables:    1\n" in schema_sql
    assert "\tplaced DATE, \n\tnote TEXT, \n" in schema_sql
    assert "CREATE INDEX ix_orders_note ON orders (note);" in schema_sql
    apply_ok(pg_db, files.downgrade[0])
    assert pg_db.tables() == ["sqlcompile_version"]
