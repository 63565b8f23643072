"""SQLite: dropping constraints created without a name, dropping a column a CHECK uses, and
several rebuilds of one table in one migration made into one.

Autogenerate writes `op.drop_constraint(None, "t", type_=...)` for a constraint created
without a name; SQLite can only rebuild the table, and the rebuild leaves out the one unnamed
constraint of that kind. Every file is applied to a real SQLite database with the sqlite3
CLI (foreign keys ON, as a careful DBA would), rows must survive, and the downgrades must
bring the constraints back and the database back to empty.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import dbs
import histories
import pytest
import sqlc_project as sp
from helpers import compile_body_of, script_source, statements_of

from sqlcompile.errors import CompileError
from sqlcompile.schema.model import CheckModel, IndexModel, IndexPart, TableModel
from sqlcompile.schema.sqltext import uses_column

HEADER = '''"""{message}

Revision ID: {revision}
"""
from alembic import op
import sqlalchemy as sa

revision = "{revision}"
down_revision = {down!r}
'''

CREATE = '''
def upgrade():
    op.create_table(
        "owner",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
    )
    op.create_table(
        "item",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("owner.id")),
        sa.Column("code", sa.String(10), nullable=True),
        sa.Column("qty", sa.Integer(), sa.CheckConstraint("qty > 0"), nullable=True),
        sa.Column("cap", sa.Integer(), nullable=True),
        sa.Column("done", sa.Boolean(create_constraint=True), nullable=True),
        sa.Column("size", sa.Enum("s", "m", name="size", create_constraint=True),
                  nullable=True),
        sa.UniqueConstraint("code"),
        sa.CheckConstraint("cap >= qty"),
    )
    op.bulk_insert(sa.table("owner", sa.column("id")), [{"id": 1}, {"id": 2}])
    item = sa.table("item", sa.column("id"), sa.column("owner_id"), sa.column("code"),
                    sa.column("qty"), sa.column("cap"), sa.column("done"), sa.column("size"))
    op.bulk_insert(item, [
        {"id": 1, "owner_id": 1, "code": "it's", "qty": 2, "cap": 5, "done": True,
         "size": "s"},
        {"id": 2, "owner_id": 2, "code": "b", "qty": 1, "cap": 1, "done": False,
         "size": "m"},
    ])


def downgrade():
    op.drop_table("item")
    op.drop_table("owner")
'''

# What autogenerate writes when the unnamed constraints and the columns go, all on one table:
# one rebuild, not five.
CHANGE = '''
def upgrade():
    op.drop_constraint(None, "item", type_="foreignkey")
    op.drop_constraint(None, "item", type_="unique")
    op.drop_column("item", "qty")
    op.drop_column("item", "done")
    op.alter_column("item", "cap", existing_type=sa.Integer(), type_=sa.BigInteger())


def downgrade():
    op.alter_column("item", "cap", existing_type=sa.BigInteger(), type_=sa.Integer())
    op.add_column("item", sa.Column("done", sa.Boolean(create_constraint=True),
                                    nullable=True))
    op.add_column("item", sa.Column("qty", sa.Integer(), sa.CheckConstraint("qty > 0"),
                                    nullable=True))
    op.create_unique_constraint(None, "item", ["code"])
    op.create_foreign_key(None, "item", "owner", ["owner_id"], ["id"])
'''


def history(tmp_path: Path, *bodies: str) -> Path:
    scripts = {}
    names = [f"r{i + 1}" for i in range(len(bodies))]
    for i, (rev, body) in enumerate(zip(names, bodies, strict=True)):
        head = HEADER.format(message=f"step {i + 1}", revision=rev,
                             down=names[i - 1] if i else None)
        scripts[f"{rev}.py"] = head + body
    return sp.write_history(tmp_path, scripts)


def apply_ok(db: dbs.SQLiteDB, path: Path | str) -> None:
    text = sp.sql_text(path) if isinstance(path, Path) else path
    result = db.apply("PRAGMA foreign_keys = ON;\n" + text)
    assert result.returncode == 0, result.stderr


def table_sql(db: dbs.SQLiteDB, name: str) -> str:
    rows = db.query("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [name])
    return str(rows[0][0])


def foreign_keys(db: dbs.SQLiteDB, table: str) -> list[tuple[Any, ...]]:
    return db.query(f"SELECT \"from\", \"table\", \"to\" FROM pragma_foreign_key_list('{table}')")


def test_unnamed_drops_and_checked_columns_in_one_rebuild(tmp_path: Path,
                                                          sqlite_db: dbs.SQLiteDB) -> None:
    root = history(tmp_path, CREATE, CHANGE)
    files = sp.render(root, "sqlite")
    up1, up2 = files.upgrade
    text = sp.sql_text(up2)
    assert text.count("CREATE TABLE _sqlcompile_new_item") == 1
    assert text.count("DROP TABLE item") == 1

    apply_ok(sqlite_db, up1)
    assert foreign_keys(sqlite_db, "item") == [("owner_id", "owner", "id")]
    apply_ok(sqlite_db, up2)
    created = table_sql(sqlite_db, "item")
    assert "FOREIGN KEY" not in created and "UNIQUE" not in created
    assert "qty" not in created and "done" not in created  # their CHECKs went with them
    assert "size IN ('s', 'm')" in created  # the Enum's CHECK stays
    assert foreign_keys(sqlite_db, "item") == []
    assert sqlite_db.query("SELECT id, owner_id, code, cap, size FROM item ORDER BY id") == [
        (1, 1, "it's", 5, "s"), (2, 2, "b", 1, "m")]
    sqlite_db.query("INSERT INTO item (id, owner_id, code, cap) VALUES (3, 99, 'b', 0)")
    sqlite_db.query("DELETE FROM item WHERE id = 3")
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        sqlite_db.query("UPDATE item SET size = 'xl' WHERE id = 1")

    down1, down2 = files.downgrade
    apply_ok(sqlite_db, down2)
    assert foreign_keys(sqlite_db, "item") == [("owner_id", "owner", "id")]
    assert sqlite_db.query("SELECT id, code, cap FROM item ORDER BY id") == [
        (1, "it's", 5), (2, "b", 1)]
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        sqlite_db.query("UPDATE item SET code = 'b' WHERE id = 1")
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        sqlite_db.query("UPDATE item SET qty = 0 WHERE id = 1")
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        sqlite_db.query("UPDATE item SET done = 7 WHERE id = 1")
    apply_ok(sqlite_db, down1)
    assert sqlite_db.tables() == [sp.VERSION_TABLE]


def test_batch_drops_an_unnamed_constraint(tmp_path: Path, sqlite_db: dbs.SQLiteDB) -> None:
    batch = '''
def upgrade():
    with op.batch_alter_table("item") as batch_op:
        batch_op.drop_constraint(None, type_="foreignkey")
        batch_op.drop_constraint(None, type_="unique")


def downgrade():
    with op.batch_alter_table("item") as batch_op:
        batch_op.create_unique_constraint(None, ["code"])
        batch_op.create_foreign_key(None, "owner", ["owner_id"], ["id"])
'''
    root = history(tmp_path, CREATE, batch)
    files = sp.render(root, "sqlite")
    assert sp.sql_text(files.upgrade[1]).count("CREATE TABLE _sqlcompile_new_item") == 1
    for path in files.upgrade:
        apply_ok(sqlite_db, path)
    created = table_sql(sqlite_db, "item")
    assert "FOREIGN KEY" not in created and "UNIQUE" not in created
    assert "qty > 0" in created and "cap >= qty" in created
    assert len(sqlite_db.query("SELECT * FROM item")) == 2
    apply_ok(sqlite_db, files.downgrade[1])
    assert foreign_keys(sqlite_db, "item") == [("owner_id", "owner", "id")]
    apply_ok(sqlite_db, files.downgrade[0])
    assert sqlite_db.tables() == [sp.VERSION_TABLE]


SETUP = '''
op.create_table("a", sa.Column("id", sa.Integer, primary_key=True))
op.create_table("b", sa.Column("id", sa.Integer, primary_key=True))
op.create_table(
    "t",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("a_id", sa.Integer, sa.ForeignKey("a.id")),
    sa.Column("b_id", sa.Integer, sa.ForeignKey("b.id")),
    sa.Column("n", sa.Integer, sa.CheckConstraint("n > 0")),
    sa.Column("m", sa.Integer),
    sa.Column("x", sa.Integer),
    sa.Column("y", sa.Integer),
    sa.CheckConstraint("m > n", name="ck_t_m"),
)
'''


def line_of(body: str, marker: str) -> int:
    lines = script_source(body).splitlines()
    return next(i for i, line in enumerate(lines, 1) if marker in line)


@pytest.mark.parametrize("batch", [False, True])
def test_several_unnamed_candidates_is_the_scripts_error(tmp_path: Path, batch: bool) -> None:
    if batch:
        body = '''
with op.batch_alter_table("t") as batch_op:
    batch_op.drop_column("x")
    batch_op.drop_constraint(None, type_="foreignkey")  # here
'''
    else:
        body = '''
op.drop_column("t", "x")
op.drop_constraint(None, "t", type_="foreignkey")  # here
'''
    with pytest.raises(CompileError) as caught:
        compile_body_of(body, "sqlite", tmp_path=tmp_path, setup=SETUP)
    error = caught.value
    assert error.line == line_of(body, "# here")
    assert "2 unnamed foreign keys" in error.message
    assert "FOREIGN KEY (a_id) REFERENCES a (id)" in error.message
    assert "FOREIGN KEY (b_id) REFERENCES b (id)" in error.message
    assert "name the constraints" in (error.hint or "")


def test_no_unnamed_candidate_is_the_scripts_error(tmp_path: Path) -> None:
    body = 'op.drop_constraint(None, "t", type_="unique")'
    with pytest.raises(CompileError) as caught:
        compile_body_of(body, "sqlite", tmp_path=tmp_path, setup=SETUP)
    assert "table t has no unnamed unique constraint" in caught.value.message
    assert caught.value.line == line_of(body, "drop_constraint")


def test_named_constraint_dropped_by_name_still_works(tmp_path: Path) -> None:
    sql = "\n".join(statements_of(compile_body_of(
        'op.drop_constraint("ck_t_m", "t", type_="check")', "sqlite", tmp_path=tmp_path,
        setup=SETUP)))
    assert "m > n" not in sql and "CHECK (n > 0)" in sql


def test_one_unnamed_check_among_named_ones(tmp_path: Path) -> None:
    sql = "\n".join(statements_of(compile_body_of(
        'op.drop_constraint(None, "t", type_="check")', "sqlite", tmp_path=tmp_path,
        setup=SETUP)))
    assert "n > 0" not in sql and "CONSTRAINT ck_t_m CHECK (m > n)" in sql


def rebuilds(sql: list[str], table: str = "t") -> int:
    return sum(1 for s in sql if s.startswith(f"CREATE TABLE _sqlcompile_new_{table} "))


def test_merge_across_ops_on_other_tables(tmp_path: Path) -> None:
    body = '''
op.drop_column("t", "n")
op.create_table("other", sa.Column("id", sa.Integer, primary_key=True))
op.create_index("ix_a_id", "a", ["id"])
op.alter_column("t", "m", type_=sa.BigInteger)
op.create_check_constraint("ck_t_y", "t", "y > 0")
'''
    sql = statements_of(compile_body_of(body, "sqlite", tmp_path=tmp_path, setup=SETUP))
    assert rebuilds(sql) == 1
    rebuilt = next(s for s in sql if s.startswith("CREATE TABLE _sqlcompile_new_t"))
    assert "m BIGINT" in rebuilt and "CONSTRAINT ck_t_y CHECK (y > 0)" in rebuilt
    assert "n INTEGER" not in rebuilt and "m > n" not in rebuilt  # dropped with n
    # The merged rebuild stands where the first of its ops was.
    assert sql.index(rebuilt) < next(i for i, s in enumerate(sql) if "TABLE other" in s)


@pytest.mark.parametrize("between", [
    'op.create_table("child", sa.Column("id", sa.Integer, primary_key=True),\n'
    '                sa.Column("t_id", sa.Integer, sa.ForeignKey("t.id")))',
    'op.execute("UPDATE t SET m = 1")',
    'op.create_index("ix_t_y", "t", ["y"])',
    'op.add_column("t", sa.Column("z", sa.Integer))',
    'op.rename_table("a", "aa")',
])
def test_no_merge_across_what_depends_on_the_table(tmp_path: Path, between: str) -> None:
    body = f'''
op.alter_column("t", "m", type_=sa.BigInteger)
{between}
op.alter_column("t", "x", type_=sa.BigInteger)
'''
    sql = statements_of(compile_body_of(body, "sqlite", tmp_path=tmp_path, setup=SETUP))
    assert rebuilds(sql) == 2


def test_later_op_referencing_a_table_created_between_is_not_moved(tmp_path: Path) -> None:
    body = '''
op.alter_column("t", "m", type_=sa.BigInteger)
op.create_table("c", sa.Column("id", sa.Integer, primary_key=True))
op.create_foreign_key("fk_t_c", "t", "c", ["y"], ["id"])
'''
    sql = statements_of(compile_body_of(body, "sqlite", tmp_path=tmp_path, setup=SETUP))
    assert rebuilds(sql) == 2


def test_two_tables_interleaved_make_one_rebuild_each(tmp_path: Path) -> None:
    body = '''
op.alter_column("t", "m", type_=sa.BigInteger)
op.create_check_constraint("ck_b_low", "b", "id > 0")
op.alter_column("t", "x", type_=sa.BigInteger)
op.create_check_constraint("ck_b_high", "b", "id < 1000")
'''
    sql = statements_of(compile_body_of(body, "sqlite", tmp_path=tmp_path, setup=SETUP))
    assert (rebuilds(sql, "t"), rebuilds(sql, "b")) == (1, 1)


def test_an_op_referencing_a_merging_table_ends_its_merge(tmp_path: Path) -> None:
    body = '''
op.create_check_constraint("ck_b_low", "b", "id > 0")
op.alter_column("t", "m", type_=sa.BigInteger)
op.create_foreign_key("fk_t_b", "t", "b", ["y"], ["id"])
op.create_check_constraint("ck_b_high", "b", "id < 1000")
'''
    sql = statements_of(compile_body_of(body, "sqlite", tmp_path=tmp_path, setup=SETUP))
    assert (rebuilds(sql, "t"), rebuilds(sql, "b")) == (1, 2)


def test_drops_in_place_stay_in_place(tmp_path: Path) -> None:
    body = '''
op.drop_column("t", "x")
op.drop_column("t", "y")
'''
    compiled = compile_body_of(body, "sqlite", tmp_path=tmp_path, setup=SETUP)
    statements = [s for seg in compiled.segments for s in seg.statements if s.sql]
    assert [s.sql for s in statements] == ["ALTER TABLE t DROP COLUMN x",
                                           "ALTER TABLE t DROP COLUMN y"]
    assert [s.comments for s in statements] == [["drop_column t.x"], ["drop_column t.y"]]
    assert compiled.framing == ()


def test_merged_rebuilds_applied(tmp_path: Path, sqlite_db: dbs.SQLiteDB) -> None:
    change = '''
def upgrade():
    op.drop_column("item", "qty")
    op.create_table("note", sa.Column("id", sa.Integer(), primary_key=True))
    op.bulk_insert(sa.table("note", sa.column("id")), [{"id": 1}])
    op.drop_constraint(None, "item", type_="unique")
    op.alter_column("item", "code", existing_type=sa.String(10), nullable=False,
                    server_default="-")


def downgrade():
    op.alter_column("item", "code", existing_type=sa.String(10), nullable=True,
                    server_default=None)
    op.create_unique_constraint(None, "item", ["code"])
    op.drop_table("note")
    op.add_column("item", sa.Column("qty", sa.Integer(), nullable=True))
'''
    root = history(tmp_path, CREATE, change)
    files = sp.render(root, "sqlite")
    assert sp.sql_text(files.upgrade[1]).count("CREATE TABLE _sqlcompile_new_item") == 1
    for path in files.upgrade:
        apply_ok(sqlite_db, path)
    created = table_sql(sqlite_db, "item")
    assert "qty" not in created and "UNIQUE" not in created and "NOT NULL" in created
    assert sqlite_db.query("SELECT id, code, cap FROM item ORDER BY id") == [
        (1, "it's", 5), (2, "b", 1)]
    assert sqlite_db.query("SELECT id FROM note") == [(1,)]
    for path in reversed(files.downgrade):
        apply_ok(sqlite_db, path)
    assert sqlite_db.tables() == [sp.VERSION_TABLE]


def test_postgresql_drops_the_checks_of_a_dropped_column(tmp_path: Path,
                                                         pg_db: dbs.ScratchDB) -> None:
    """The model drops a CHECK that uses a dropped column, one column or several, as the
    server does; schema.sql (printed from the model) agrees with the database."""
    change = '''
def upgrade():
    op.drop_column("item", "qty")


def downgrade():
    op.add_column("item", sa.Column("qty", sa.Integer(), nullable=True))
'''
    root = history(tmp_path, CREATE, change)
    files = sp.render(root, "postgresql")

    def checks() -> list[str]:
        return [row[0] for row in pg_db.query(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'item'::regclass AND contype = 'c' ORDER BY 1")]

    dbs.apply_ok(pg_db, files.upgrade[0])
    assert checks() == ["CHECK ((cap >= qty))", "CHECK ((qty > 0))"]
    dbs.apply_ok(pg_db, files.upgrade[1])
    assert checks() == []  # both went with the column, the two-column one too
    schema_sql = (root / sp.OUTPUT_DIR / "postgresql" / "schema.sql").read_text("utf-8")
    assert "qty" not in schema_sql and "cap >=" not in schema_sql
    for path in reversed(files.downgrade):
        dbs.apply_ok(pg_db, path)
    assert pg_db.tables() == [sp.VERSION_TABLE]


def test_without_column_finds_the_columns_a_check_uses() -> None:
    assert uses_column("n > 0", "n")
    assert uses_column('"Mixed" > 0', "Mixed") and not uses_column('"Mixed" > 0', "mixed")
    assert uses_column("`n` > 0", "n") and uses_column("[n] > 0", "n")
    assert uses_column("length(code) = 3", "CODE")
    assert not uses_column("name <> 'n'", "n")  # a word in a string is no column
    assert not uses_column("nn > 0", "n")
    assert uses_column("t.n > 0", "n") and not uses_column("t.n > 0", "t")  # a qualifier
    assert not uses_column("CAST(x AS TEXT) <> ''", "text")  # a type name
    assert not uses_column("x > 0 -- not n", "n") and uses_column("n::integer > 0", "n")
    assert not uses_column("x IS NOT NULL", "not")  # a keyword (a column so named is quoted)
    assert uses_column('"not" > 0', "not")
    table = TableModel(
        "t", None, checks=(CheckModel(None, "n > 0"), CheckModel("ck", "m > n"),
                           CheckModel(None, "m > 0")),
        indexes=(IndexModel("ix", (IndexPart("lower(n)", True),)),
                 IndexModel("iy", (IndexPart("m"),))))
    kept = table.without_column("n")
    assert kept.checks == (CheckModel(None, "m > 0"),)
    assert [i.name for i in kept.indexes] == ["iy"]


def test_the_cli_reports_the_unclear_drop_at_its_line(tmp_path: Path) -> None:
    first = histories.script("c1", None, upgrade=SETUP, downgrade=None)
    second = histories.script("c2", "c1", upgrade='''
        op.alter_column("t", "m", type_=sa.BigInteger)
        op.drop_constraint(None, "t", type_="foreignkey")  # unclear
    ''')
    root = histories.write(tmp_path, {"c1.py": first, "c2.py": second}, ["sqlite"])
    done = histories.run(root, "render")
    assert done.code == 2
    line = histories.line_of(second, "# unclear")
    [error] = done.errors()
    assert error.startswith(f"error: migrations/versions/c2.py:{line}: ")
    assert "2 unnamed foreign keys" in error
    assert "hint: name the constraints" in done.stderr


def test_dropping_an_enum_column_rebuilds(tmp_path: Path, sqlite_db: dbs.SQLiteDB) -> None:
    """A plain Enum column carries the CHECK on its values that sqlcompile gives it on SQLite,
    so SQLite's own DROP COLUMN refuses it: the table is rebuilt without column and CHECK."""
    create = '''
def upgrade():
    op.create_table("bill", sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("kind", sa.Enum("expense", "refund", name="kind")))
    op.bulk_insert(sa.table("bill", sa.column("id"), sa.column("kind")),
                   [{"id": 1, "kind": "refund"}])


def downgrade():
    op.drop_table("bill")
'''
    drop = '''
def upgrade():
    op.drop_column("bill", "kind")


def downgrade():
    op.add_column("bill", sa.Column("kind", sa.Enum("expense", "refund", name="kind")))
'''
    root = history(tmp_path, create, drop)
    files = sp.render(root, "sqlite")
    assert "CREATE TABLE _sqlcompile_new_bill" in sp.sql_text(files.upgrade[1])
    for path in files.upgrade:
        apply_ok(sqlite_db, path)
    assert "kind" not in table_sql(sqlite_db, "bill")
    assert sqlite_db.query("SELECT id FROM bill") == [(1,)]
    apply_ok(sqlite_db, files.downgrade[1])
    assert "CHECK (kind IN ('expense', 'refund'))" in table_sql(sqlite_db, "bill")
    apply_ok(sqlite_db, files.downgrade[0])
    assert sqlite_db.tables() == [sp.VERSION_TABLE]


def test_a_rebuild_drops_and_recreates_the_views_reading_the_table(
        tmp_path: Path, sqlite_db: dbs.SQLiteDB) -> None:
    """SQLite checks the views when the rebuilt table takes the old name; a view naming the
    dropped table would stop it, so the views the history made go first and come back."""
    create = '''
def upgrade():
    op.create_table("t", sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("a", sa.Integer()))
    op.execute("CREATE VIEW v AS SELECT id, a FROM t")
    op.execute("CREATE VIEW v2 AS SELECT id FROM v")
    op.execute("INSERT INTO t (id, a) VALUES (1, 5)")


def downgrade():
    op.execute("DROP VIEW v2")
    op.execute("DROP VIEW v")
    op.drop_table("t")
'''
    change = '''
def upgrade():
    op.alter_column("t", "a", existing_type=sa.Integer(), nullable=False)


def downgrade():
    op.alter_column("t", "a", existing_type=sa.Integer(), nullable=True)
'''
    root = history(tmp_path, create, change)
    files = sp.render(root, "sqlite")
    text = sp.sql_text(files.upgrade[1])
    assert text.index("DROP VIEW v2;") < text.index("DROP VIEW v;") < text.index("DROP TABLE t")
    for path in files.upgrade:
        apply_ok(sqlite_db, path)
    assert "a INTEGER NOT NULL" in table_sql(sqlite_db, "t")
    assert sqlite_db.query("SELECT id FROM v2") == [(1,)]
    for path in reversed(files.downgrade):
        apply_ok(sqlite_db, path)
    assert sqlite_db.tables() == [sp.VERSION_TABLE]
