"""`batch_alter_table`'s arguments (recreate, copy_from, table_args, table_kwargs,
naming_convention, partial_reordering, insert_before/insert_after, reflect_*).

On SQLite they shape the table rebuild as they shape Alembic's "move and copy": each case
applies our file to one SQLite database and runs the same block through Alembic (online, so
that it reflects the table as it needs to) on another, both starting from the same table, and
compares the tables they leave. Elsewhere the table is altered in place, as Alembic does
without recreating, and the file says which arguments went unused; where a recreated table
would differ, the block is refused.
"""

from __future__ import annotations

import sqlite3
import textwrap
from pathlib import Path

import dbs
import pytest
import sqlalchemy as sa
import sqlc_project as sp
from alembic.migration import MigrationContext
from alembic.operations import Operations
from helpers import compile_body_of, compile_ops, statements_of

from sqlcompile.errors import CompileError, ScriptError

SETUP = """
    op.create_table("t", sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("a", sa.Integer()),
                    sa.Column("b", sa.Integer(), sa.ForeignKey("t.id")),
                    sa.UniqueConstraint("a"))
"""
#: The table SETUP creates, as SQLite stores it (what Alembic reflects).
TABLE_SQL = ("CREATE TABLE t (id INTEGER NOT NULL, a INTEGER, b INTEGER, PRIMARY KEY (id), "
             "UNIQUE (a), FOREIGN KEY(b) REFERENCES t (id))")

CASES = {
    "naming_convention, table_args, table_kwargs, insert_before": """
        with op.batch_alter_table(
            "t", table_kwargs={"sqlite_autoincrement": True},
            table_args=(sa.CheckConstraint("a > 0", name="ck_a"),),
            naming_convention={"uq": "uq_%(table_name)s_%(column_0_name)s",
                               "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"},
        ) as batch_op:
            batch_op.drop_constraint("uq_t_a", type_="unique")
            batch_op.add_column(sa.Column("c", sa.Integer()), insert_before="a")
    """,
    "recreate always, partial_reordering": """
        with op.batch_alter_table("t", recreate="always",
                                  partial_reordering=[("b", "a")]) as batch_op:
            batch_op.add_column(sa.Column("c", sa.String(5)))
    """,
    "insert_after, and a column without a place": """
        with op.batch_alter_table("t", recreate="always") as batch_op:
            batch_op.add_column(sa.Column("c", sa.Integer()), insert_after="id")
            batch_op.add_column(sa.Column("d", sa.Integer()))
            batch_op.alter_column("a", new_column_name="a2", insert_before="id")
    """,
    "recreate always for sqlite_autoincrement": """
        with op.batch_alter_table("t", recreate="always",
                                  table_kwargs={"sqlite_autoincrement": True}):
            pass
    """,
    "reflect_args change nothing": """
        with op.batch_alter_table("t", reflect_args=[sa.Column("a", sa.Integer())],
                                  reflect_kwargs={}) as batch_op:
            batch_op.alter_column("a", type_=sa.BigInteger())
    """,
}


def _ours(body: str, tmp_path: Path) -> str:
    """The rebuild SQL sqlcompile writes for ``body``, run on a database holding TABLE_SQL."""
    statements = compile_ops(body, "sqlite", tmp_path=tmp_path, setup=SETUP)
    db = tmp_path / "ours.db"
    with sqlite3.connect(db) as conn:
        conn.executescript(TABLE_SQL + ";\n" + ";\n".join(statements) + ";")
    return str(db)


def _alembics(body: str, tmp_path: Path) -> str:
    """The same block run by Alembic itself on a database holding TABLE_SQL."""
    db = tmp_path / "alembic.db"
    with sqlite3.connect(db) as conn:
        conn.executescript(TABLE_SQL)
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as connection:
        operations = Operations(MigrationContext.configure(connection))
        exec(textwrap.dedent(body), {"op": operations, "sa": sa})
    engine.dispose()
    return str(db)


def _table(db: str) -> tuple[list[tuple[object, ...]], set[str]]:
    """Table t as SQLite keeps it: its columns in order, and the lines of its definition."""
    with sqlite3.connect(db) as conn:
        columns = conn.execute("SELECT name, type, \"notnull\", pk FROM pragma_table_info('t')"
                               " ORDER BY cid").fetchall()
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 't'").fetchone()[0]
    lines = {" ".join(line.split()).rstrip(",") for line in sql.splitlines()[1:-1]}
    return columns, lines


@pytest.mark.parametrize("case", sorted(CASES))
def test_sqlite_rebuild_leaves_the_table_alembic_leaves(case: str, tmp_path: Path) -> None:
    body = CASES[case]
    assert _table(_ours(body, tmp_path)) == _table(_alembics(body, tmp_path))


def test_copy_from_defines_a_table_the_model_does_not_know(tmp_path: Path) -> None:
    """A table that exists before the history (no create_table in it): copy_from says what
    it is, as it does for Alembic's --sql mode."""
    body = """
        legacy = sa.Table("legacy", sa.MetaData(), sa.Column("id", sa.Integer(),
                          primary_key=True), sa.Column("x", sa.Integer()))
        with op.batch_alter_table("legacy", copy_from=legacy) as batch_op:
            batch_op.alter_column("x", type_=sa.BigInteger())
    """
    statements = compile_ops(body, "sqlite", tmp_path=tmp_path)
    assert "CREATE TABLE _sqlcompile_new_legacy (\n\tid INTEGER NOT NULL, \n\tx BIGINT, " \
           "\n\tPRIMARY KEY (id)\n)" in statements
    without = body.replace(", copy_from=legacy", "")
    with pytest.raises(CompileError, match="the schema model does not know that table"):
        compile_ops(without, "sqlite", tmp_path=tmp_path / "2")


def test_recreate_always_rebuilds_what_could_run_in_place(tmp_path: Path) -> None:
    body = """
        with op.batch_alter_table("t", recreate="always") as batch_op:
            batch_op.add_column(sa.Column("c", sa.Integer()))
    """
    plain = compile_ops(body.replace(', recreate="always"', ""), "sqlite", tmp_path=tmp_path,
                        setup=SETUP)
    assert plain == ["ALTER TABLE t ADD COLUMN c INTEGER"]
    rebuilt = compile_ops(body, "sqlite", tmp_path=tmp_path / "2", setup=SETUP)
    assert any(s.startswith("CREATE TABLE _sqlcompile_new_t") for s in rebuilt)


def test_recreate_never_refuses_a_rebuild(tmp_path: Path) -> None:
    body = """
        with op.batch_alter_table("t", recreate="never") as batch_op:
            batch_op.alter_column("a", nullable=False)
    """
    with pytest.raises(CompileError, match=r"recreate='never'\) forbids one"):
        compile_ops(body, "sqlite", tmp_path=tmp_path, setup=SETUP)
    # what runs in place is fine, and so is any other dialect
    in_place = body.replace('batch_op.alter_column("a", nullable=False)',
                            'batch_op.add_column(sa.Column("c", sa.Integer()))')
    assert compile_ops(in_place, "sqlite", tmp_path=tmp_path / "2", setup=SETUP) == [
        "ALTER TABLE t ADD COLUMN c INTEGER"]
    assert compile_ops(body, "postgresql", tmp_path=tmp_path / "3", setup=SETUP) == [
        "ALTER TABLE t ALTER COLUMN a SET NOT NULL"]


def test_recreate_must_be_one_of_alembics_values(tmp_path: Path) -> None:
    body = 'with op.batch_alter_table("t", recreate="sometimes"):\n    pass'
    with pytest.raises(ScriptError, match="recreate is one of 'auto', 'always', 'never'"):
        compile_ops(body, "postgresql", tmp_path=tmp_path)


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "mariadb", "mssql", "oracle"])
def test_in_place_dialects_state_the_arguments_they_do_not_use(dialect: str,
                                                               tmp_path: Path) -> None:
    body = CASES["naming_convention, table_args, table_kwargs, insert_before"]
    compiled = compile_body_of(body.replace('batch_op.drop_constraint("uq_t_a", '
                                            'type_="unique")', "pass"),
                               dialect, tmp_path=tmp_path, setup=SETUP)
    comments = [c for seg in compiled.segments for s in seg.statements for c in s.comments]
    note = next(c for c in comments if c.startswith("batch_alter_table t ("))
    for name in ("table_args", "table_kwargs", "naming_convention",
                 "insert_before/insert_after of c"):
        assert name in note
    assert any("ADD" in s and " c " in f"{s} " for s in statements_of(compiled))


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"])
def test_recreate_always_with_new_constraints_is_refused_in_place(dialect: str,
                                                                  tmp_path: Path) -> None:
    """Alembic would recreate the table with them; altering it in place would not."""
    body = """
        with op.batch_alter_table("t", recreate="always",
                                  table_args=(sa.CheckConstraint("a > 0"),)) as batch_op:
            batch_op.add_column(sa.Column("c", sa.Integer()))
    """
    with pytest.raises(CompileError, match="recreate='always' with table_args"):
        compile_ops(body, dialect, tmp_path=tmp_path, setup=SETUP)


def test_a_block_without_arguments_records_nothing_more(tmp_path: Path) -> None:
    """Alembic's defaults add no op (files of existing histories do not change)."""
    body = """
        with op.batch_alter_table("t", schema=None, recreate="auto", table_args=(),
                                  table_kwargs={}, reflect_args=(), reflect_kwargs={},
                                  naming_convention=None, partial_reordering=None,
                                  copy_from=None) as batch_op:
            batch_op.add_column(sa.Column("c", sa.Integer()))
    """
    compiled = compile_body_of(body, "postgresql", tmp_path=tmp_path, setup=SETUP)
    comments = [c for seg in compiled.segments for s in seg.statements for c in s.comments]
    assert comments == ["add_column t.c"]


KEYWORD_CALLS = """
    with op.batch_alter_table("m") as batch_op:
        batch_op.drop_constraint(constraint_name="m_pk", type_="primary")
        batch_op.create_primary_key(constraint_name="m_pk2", columns=["k", "v"])
        batch_op.create_index(index_name="ix_v", columns=["v"], unique=False)
        batch_op.drop_index(index_name="ix_v")
"""
KEYWORD_SETUP = """
    op.create_table("m", sa.Column("k", sa.String(10)), sa.Column("v", sa.Integer),
                    sa.PrimaryKeyConstraint("k", name="m_pk"))
"""


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"])
def test_batch_ops_take_their_arguments_by_keyword(dialect: str, tmp_path: Path) -> None:
    """`batch_op.drop_constraint(constraint_name=...)`, as real scripts write it: the block's
    table goes into the table's parameter, not in front of the keywords."""
    sql = compile_ops(KEYWORD_CALLS, dialect, tmp_path=tmp_path, setup=KEYWORD_SETUP)
    assert sql[0] in ("ALTER TABLE m DROP CONSTRAINT m_pk", "ALTER TABLE m DROP PRIMARY KEY")
    assert sql[1:] == ["ALTER TABLE m ADD CONSTRAINT m_pk2 PRIMARY KEY (k, v)",
                       "CREATE INDEX ix_v ON m (v)", *sql[3:]]
    assert len(sql) == 4 and sql[3].startswith("DROP INDEX ix_v")


def test_batch_keyword_calls_rebuild_on_sqlite(tmp_path: Path) -> None:
    sql = compile_ops(KEYWORD_CALLS, "sqlite", tmp_path=tmp_path, setup=KEYWORD_SETUP)
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE m (k VARCHAR(10) NOT NULL, v INTEGER, "
               "CONSTRAINT m_pk PRIMARY KEY (k))")
    db.execute("INSERT INTO m VALUES ('a', 1)")
    for statement in sql:
        db.execute(statement)
    created = db.execute("SELECT sql FROM sqlite_master WHERE name = 'm'").fetchone()[0]
    assert "CONSTRAINT m_pk2 PRIMARY KEY (k, v)" in created
    assert db.execute("SELECT k, v FROM m").fetchall() == [("a", 1)]


AUTOINCREMENT_HISTORY = {
    "r1.py": """from alembic import op
import sqlalchemy as sa

revision = "r1"
down_revision = None


def upgrade():
    op.create_table("t", sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("a", sa.String(10)))
    op.execute("INSERT INTO t (id, a) VALUES (1, 'x'), (2, 'y')")


def downgrade():
    op.drop_table("t")
""",
    "r2.py": """from alembic import op
import sqlalchemy as sa

revision = "r2"
down_revision = "r1"


def upgrade():
    with op.batch_alter_table("t", recreate="always",
                              table_kwargs={"sqlite_autoincrement": True}):
        pass


def downgrade():
    pass
""",
}


def test_recreate_always_for_sqlite_autoincrement_on_sqlite(tmp_path: Path,
                                                            sqlite_db: dbs.SQLiteDB) -> None:
    """A block with no ops that only switches SQLite to AUTOINCREMENT (as a real history
    does): applied with the sqlite3 CLI, the table is rebuilt with AUTOINCREMENT and keeps its
    rows, and a new row's id comes after the highest one."""
    sp.write_history(tmp_path, AUTOINCREMENT_HISTORY)
    sp.apply_ok(sqlite_db, sp.render_stream(tmp_path, "sqlite"))
    created = sqlite_db.query("SELECT sql FROM sqlite_master WHERE name = 't'")[0][0]
    assert "id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT" in created
    assert sqlite_db.query("SELECT id, a FROM t ORDER BY id") == [(1, "x"), (2, "y")]
    sqlite_db.query("DELETE FROM t WHERE id = 2")
    sqlite_db.query("INSERT INTO t (a) VALUES ('z')")
    assert sqlite_db.query("SELECT id FROM t WHERE a = 'z'") == [(3,)]  # not 2 again
    sp.apply_ok(sqlite_db, sp.render_stream(tmp_path, "sqlite", "--downgrade"))
    assert sqlite_db.tables() == [sp.VERSION_TABLE]


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "mariadb", "mssql", "oracle"])
def test_recreate_always_with_another_dialects_options_alters_nothing(dialect: str,
                                                                      tmp_path: Path) -> None:
    """Options for another dialect (sqlite_autoincrement) would not change a table of this
    one, recreated or not: the block is no statement, and the note names what went unused."""
    body = CASES["recreate always for sqlite_autoincrement"]
    compiled = compile_body_of(body, dialect, tmp_path=tmp_path, setup=SETUP)
    assert statements_of(compiled) == []
    comments = [c for seg in compiled.segments for s in seg.statements for c in s.comments]
    assert any(c.startswith("batch_alter_table t (recreate='always', table_kwargs): these "
                            "arguments say how a table is recreated") for c in comments)


def test_recreate_always_with_this_dialects_options_is_still_refused(tmp_path: Path) -> None:
    """mysql_engine= concerns MySQL: a recreated MySQL table would have it, an altered one
    not; on PostgreSQL it is another dialect's option."""
    body = """
        with op.batch_alter_table("t", recreate="always",
                                  table_kwargs={"mysql_engine": "MyISAM"}):
            pass
    """
    with pytest.raises(CompileError, match="recreate='always' with table_kwargs"):
        compile_ops(body, "mysql", tmp_path=tmp_path, setup=SETUP)
    assert compile_ops(body, "postgresql", tmp_path=tmp_path / "2", setup=SETUP) == []
