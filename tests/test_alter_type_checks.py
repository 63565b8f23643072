"""alter_column changing a type that carries a CHECK (Enum / Boolean with create_constraint=True).

As Alembic does, the CHECK the old type made is dropped before the type changes and the new
type's is added after, where the dialect makes them (a native enum or boolean makes none). The
schema model follows: it holds the new type's CHECK and no longer the old one, so SQLite's
rebuild and later drops are right. Histories apply up and down on real PostgreSQL, MariaDB and
SQLite, and the servers must then accept the new values and refuse the others.
"""

from __future__ import annotations

from pathlib import Path

import dbs
import histories as h
import pytest
import sqlc_project as sp
from helpers import compile_ops
from test_vs_alembic import alembic_stream, make_project

from sqlcompile.dialects import get_dialect
from sqlcompile.errors import CompileError
from sqlcompile.schema.convert import table_from_sa

OLD_ENUM = 'sa.Enum("A", "B", name="status", create_constraint=True, native_enum=False)'
NEW_ENUM = 'sa.Enum("A", "B", "C", name="status", create_constraint=True, native_enum=False)'
BOOLEAN = "sa.Boolean(create_constraint=True)"

CREATE = f'''
op.create_table("runs", sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("status", {OLD_ENUM}),
                sa.Column("b", sa.Integer))
'''
ALTER = f'''
op.alter_column("runs", "status", type_={NEW_ENUM}, existing_type={OLD_ENUM})
op.alter_column("runs", "b", type_={BOOLEAN}, nullable=False,
                postgresql_using="b::boolean")
'''
#: What the downgrade states, as autogenerate writes it.
ALTER_BACK = f'''
op.alter_column("runs", "status", type_={OLD_ENUM}, existing_type={NEW_ENUM})
op.alter_column("runs", "b", type_=sa.Integer(), existing_type={BOOLEAN}, nullable=True,
                postgresql_using="b::integer")
'''
BATCH = f'''
with op.batch_alter_table("runs") as batch_op:
    batch_op.alter_column("status", type_={NEW_ENUM}, existing_type={OLD_ENUM})
    batch_op.alter_column("b", type_={BOOLEAN}, nullable=False,
                          postgresql_using="b::boolean")
'''
BATCH_BACK = f'''
with op.batch_alter_table("runs") as batch_op:
    batch_op.alter_column("status", type_={OLD_ENUM}, existing_type={NEW_ENUM})
    batch_op.alter_column("b", type_=sa.Integer(), existing_type={BOOLEAN}, nullable=True,
                          postgresql_using="b::integer")
'''


def _history(root: Path, dialect: str, batch: bool) -> Path:
    return h.write(root, {
        "r1.py": h.script("r1", None, CREATE, 'op.drop_table("runs")'),
        "r2.py": h.script("r2", "r1", BATCH if batch else ALTER,
                          BATCH_BACK if batch else ALTER_BACK),
    }, [dialect])


def _accepts(db: dbs.ScratchDB, values: str) -> bool:
    """Whether the server takes a row of ``values`` (id, status, b) into runs."""
    return db.apply(f"INSERT INTO runs (id, status, b) VALUES ({values});\n").returncode == 0


def _round_trip(root: Path, db: dbs.ScratchDB, dialect: str, batch: bool) -> None:
    _history(root, dialect, batch)
    sp.apply_ok(db, sp.render_stream(root, dialect, "--to", "r1"))
    assert not _accepts(db, "1, 'C', 1")  # the old enum's CHECK
    sp.apply_ok(db, sp.render_stream(root, dialect, "--from", "r1"))
    true = "true" if dialect == "postgresql" else "1"
    assert _accepts(db, f"1, 'C', {true}")
    assert not _accepts(db, f"2, 'D', {true}")  # the new enum's CHECK
    assert not _accepts(db, "3, 'A', 2")  # the boolean's CHECK (PostgreSQL: its type)
    assert not _accepts(db, "4, 'A', NULL")  # nullable=False
    db.apply("DELETE FROM runs;\n")
    sp.apply_ok(db, sp.render_stream(root, dialect, "--downgrade", "--from", "r2", "--to",
                                     "r1"))
    assert not _accepts(db, "1, 'C', 1")  # the old enum's CHECK is back
    assert _accepts(db, "2, 'B', 2")  # an integer again, no CHECK
    assert _accepts(db, "3, 'A', NULL")
    db.apply("DELETE FROM runs;\n")
    sp.apply_ok(db, sp.render_stream(root, dialect, "--downgrade", "--from", "r1"))
    assert db.tables() == [sp.VERSION_TABLE]


@pytest.mark.parametrize("batch", [False, True], ids=["plain", "batch"])
def test_postgresql_applies(tmp_path: Path, pg_db: dbs.PostgresDB, batch: bool) -> None:
    _round_trip(tmp_path, pg_db, "postgresql", batch)


@pytest.mark.parametrize("batch", [False, True], ids=["plain", "batch"])
def test_mariadb_applies(tmp_path: Path, mariadb_db: dbs.MariaDB, batch: bool) -> None:
    _round_trip(tmp_path, mariadb_db, "mariadb", batch)


@pytest.mark.parametrize("batch", [False, True], ids=["plain", "batch"])
def test_sqlite_applies(tmp_path: Path, sqlite_db: dbs.SQLiteDB, batch: bool) -> None:
    _round_trip(tmp_path, sqlite_db, "sqlite", batch)


ENUM_SQL = [
    "ALTER TABLE runs DROP CONSTRAINT status",
    "ALTER TABLE runs ALTER COLUMN status TYPE VARCHAR(1)",
    "ALTER TABLE runs ADD CONSTRAINT status CHECK (status IN ('A', 'B', 'C'))",
]


@pytest.mark.parametrize("dialect, expected", [
    ("postgresql", ENUM_SQL),
    ("mysql", ["ALTER TABLE runs DROP CHECK status", "ALTER TABLE runs MODIFY status VARCHAR(1)",
               ENUM_SQL[2]]),
    ("mariadb", [ENUM_SQL[0], "ALTER TABLE runs MODIFY status VARCHAR(1)", ENUM_SQL[2]]),
    ("mssql", [ENUM_SQL[0], "ALTER TABLE runs ALTER COLUMN status VARCHAR(1) NULL",
               ENUM_SQL[2]]),
    ("oracle", [ENUM_SQL[0], "ALTER TABLE runs MODIFY (status VARCHAR(1 CHAR))",
                ENUM_SQL[2]]),
])
def test_enum_change_sql(dialect: str, expected: list[str]) -> None:
    body = f'op.alter_column("runs", "status", type_={NEW_ENUM}, existing_type={OLD_ENUM})'
    assert compile_ops(body, dialect, setup=CREATE) == expected


@pytest.mark.parametrize("dialect, expected", [
    # a native boolean: no CHECK
    ("postgresql", ["ALTER TABLE runs ALTER COLUMN b TYPE BOOLEAN"]),
    ("mysql", ["ALTER TABLE runs MODIFY b BOOL", "ALTER TABLE runs ADD CHECK (b IN (0, 1))"]),
    # SQLAlchemy makes no CHECK for SQL Server's BIT (it holds 0 and 1 only), nor Alembic
    ("mssql", ["ALTER TABLE runs ALTER COLUMN b BIT NULL"]),
    ("oracle", ["ALTER TABLE runs MODIFY (b SMALLINT)",
                "ALTER TABLE runs ADD CHECK (b IN (0, 1))"]),
])
def test_boolean_change_sql(dialect: str, expected: list[str]) -> None:
    body = f'op.alter_column("runs", "b", type_={BOOLEAN})'
    assert compile_ops(body, dialect, setup=CREATE) == expected


BOOLEAN_TABLE = f'''
op.create_table("runs", sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("b", {BOOLEAN}))
'''


def test_unnamed_check_dropped_by_its_server_name() -> None:
    """The boolean's CHECK has no name: the drop uses the one the server gave it."""
    body = f'op.alter_column("runs", "b", type_=sa.Integer(), existing_type={BOOLEAN})'
    assert compile_ops(body, "mysql", setup=BOOLEAN_TABLE) == [
        "ALTER TABLE runs DROP CHECK runs_chk_1", "ALTER TABLE runs MODIFY b INTEGER"]
    assert compile_ops(body, "mariadb", setup=BOOLEAN_TABLE) == [
        "ALTER TABLE runs DROP CONSTRAINT `CONSTRAINT_1`", "ALTER TABLE runs MODIFY b INTEGER"]


UNNAMED_ENUM = 'sa.Enum("A", "B", create_constraint=True, native_enum=False)'


@pytest.mark.parametrize("dialect, setup, old, lookup", [
    ("oracle", BOOLEAN_TABLE, BOOLEAN, "c.constraint_type = 'C'"),
    ("mssql", CREATE.replace(OLD_ENUM, UNNAMED_ENUM), UNNAMED_ENUM,
     "FROM sys.check_constraints AS c"),
])
def test_unnamed_check_looked_up_where_names_are_random(dialect: str, setup: str, old: str,
                                                        lookup: str) -> None:
    """SQL Server and Oracle name an unnamed CHECK at random: the file looks it up."""
    column = "b" if old == BOOLEAN else "status"
    body = f'op.alter_column("runs", "{column}", type_=sa.String(5), existing_type={old})'
    statements = compile_ops(body, dialect, setup=setup)
    assert lookup in statements[0]
    assert len(statements) == 2 and "runs" in statements[1]


def test_unnamed_check_of_an_unknown_table_is_refused() -> None:
    """Without the table's model, the name of an unnamed CHECK is unknown: refused."""
    body = f'op.alter_column("other", "b", type_=sa.Integer(), existing_type={BOOLEAN})'
    with pytest.raises(CompileError) as caught:
        compile_ops(body, "mariadb")
    assert "created without a name" in caught.value.message
    assert "op.drop_constraint()" in str(caught.value.hint)


def test_named_check_of_an_unknown_table_dropped_by_its_name() -> None:
    body = f'op.alter_column("other", "status", type_={NEW_ENUM}, existing_type={OLD_ENUM})'
    assert compile_ops(body, "postgresql") == [
        "ALTER TABLE other DROP CONSTRAINT status",
        "ALTER TABLE other ALTER COLUMN status TYPE VARCHAR(1)",
        "ALTER TABLE other ADD CONSTRAINT status CHECK (status IN ('A', 'B', 'C'))"]


def test_rename_in_the_same_call_checks_the_new_name() -> None:
    body = (f'op.alter_column("runs", "status", new_column_name="state", type_={NEW_ENUM}, '
            f'existing_type={OLD_ENUM})')
    assert compile_ops(body, "postgresql", setup=CREATE) == [
        "ALTER TABLE runs DROP CONSTRAINT status",
        "ALTER TABLE runs ALTER COLUMN status TYPE VARCHAR(1)",
        "ALTER TABLE runs RENAME COLUMN status TO state",
        "ALTER TABLE runs ADD CONSTRAINT status CHECK (state IN ('A', 'B', 'C'))"]


def test_model_keeps_only_checks_the_server_makes() -> None:
    """A native enum or boolean makes no CHECK: the model of PostgreSQL's table has none,
    SQLite's has both."""
    import sqlalchemy as sa

    table = sa.Table("t", sa.MetaData(),
                     sa.Column("e", sa.Enum("x", "y", name="e", create_constraint=True)),
                     sa.Column("b", sa.Boolean(create_constraint=True)))
    assert table_from_sa(table, get_dialect("postgresql")).checks == ()
    sqlite = table_from_sa(table, get_dialect("sqlite")).checks
    assert sorted(c.sqltext for c in sqlite) == ["b IN (0, 1)", "e IN ('x', 'y')"]


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_same_statements_as_alembic(tmp_path: Path, dialect: str) -> None:
    """PostgreSQL: the ALTER statements are Alembic's offline ones, in its order. SQLite:
    Alembic's offline SQL there is ALTER COLUMN statements SQLite does not have (it skips the
    CHECKs with a warning); sqlcompile's rebuilt table has the new CHECKs, not the old one."""
    body = (f'op.alter_column("runs", "status", type_={NEW_ENUM}, existing_type={OLD_ENUM})\n'
            f'op.alter_column("runs", "b", type_={BOOLEAN}, nullable=False)')
    root = make_project(tmp_path, {"a1": CREATE, "a2": body})
    ours = sp.render_stream(root, dialect)
    if dialect == "postgresql":
        theirs = alembic_stream(root, dialect)

        def alters(text: str) -> list[str]:
            return [line for line in text.splitlines() if line.startswith("ALTER TABLE runs")]

        assert alters(ours) == alters(theirs) == [
            *(f"{statement};" for statement in ENUM_SQL),
            "ALTER TABLE runs ALTER COLUMN b TYPE BOOLEAN;",
            "ALTER TABLE runs ALTER COLUMN b SET NOT NULL;"]
    else:
        rebuilt = ours.split("CREATE TABLE _sqlcompile_new_runs", 1)[1].split(";", 1)[0]
        assert "CONSTRAINT status CHECK (status IN ('A', 'B', 'C'))" in rebuilt
        assert "CHECK (b IN (0, 1))" in rebuilt
        assert "('A', 'B')" not in rebuilt


def test_unnamed_enum_check_on_postgresql_by_its_server_name() -> None:
    body = (f'op.alter_column("runs", "status", type_=sa.Enum("A", "B", "C", '
            f'create_constraint=True, native_enum=False), existing_type={UNNAMED_ENUM})')
    setup = CREATE.replace(OLD_ENUM, UNNAMED_ENUM)
    assert compile_ops(body, "postgresql", setup=setup) == [
        "ALTER TABLE runs DROP CONSTRAINT runs_status_check",
        "ALTER TABLE runs ALTER COLUMN status TYPE VARCHAR(1)",
        "ALTER TABLE runs ADD CHECK (status IN ('A', 'B', 'C'))"]


def test_unnamed_enum_checks_apply(tmp_path: Path, any_db: dbs.ScratchDB) -> None:
    """Unnamed enum CHECKs, changed twice: each drop finds the name the server gave the
    CHECK the step before added (on SQLite, each rebuild restates the model's)."""
    dialect = {"PostgresDB": "postgresql", "MariaDB": "mariadb",
               "SQLiteDB": "sqlite"}[type(any_db).__name__]
    three = 'sa.Enum("A", "B", "C", create_constraint=True, native_enum=False)'
    four = 'sa.Enum("A", "B", "C", "D", create_constraint=True, native_enum=False)'
    h.write(tmp_path, {
        "r1.py": h.script("r1", None, CREATE.replace(OLD_ENUM, UNNAMED_ENUM),
                          'op.drop_table("runs")'),
        "r2.py": h.script("r2", "r1",
                          f'op.alter_column("runs", "status", type_={three})',
                          f'op.alter_column("runs", "status", type_={UNNAMED_ENUM})'),
        "r3.py": h.script("r3", "r2",
                          f'op.alter_column("runs", "status", type_={four})',
                          f'op.alter_column("runs", "status", type_={three})'),
    }, [dialect])
    sp.apply_ok(any_db, sp.render_stream(tmp_path, dialect))
    assert _accepts(any_db, "1, 'D', 1")
    assert not _accepts(any_db, "2, 'E', 1")
    any_db.apply("DELETE FROM runs;\n")
    sp.apply_ok(any_db, sp.render_stream(tmp_path, dialect, "--downgrade", "--from", "r3",
                                         "--to", "r1"))
    assert _accepts(any_db, "1, 'B', 1")
    assert not _accepts(any_db, "2, 'C', 1")
