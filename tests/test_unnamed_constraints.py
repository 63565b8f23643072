"""`op.drop_constraint(None, "t", type_=...)`: dropping a constraint created without a name.

PostgreSQL, MySQL and MariaDB name such a constraint by a rule (the model keeps that name and
the drop uses it); SQL Server and Oracle name it at random, so the file looks the name up in
the catalog when it runs. Histories apply up and down on real PostgreSQL and MariaDB, and the
catalog must no longer hold what was dropped.
"""

from __future__ import annotations

from pathlib import Path

import dbs
import histories as h
import pytest
import sqlc_project as sp
from helpers import compile_ops

from sqlcompile.dialects import get_dialect
from sqlcompile.errors import CompileError, ScriptError
from sqlcompile.pipeline.validate import Validator
from sqlcompile.schema.model import Schema

#: Three tables: t1 with a foreign key, a unique key and a CHECK given on columns, t2 with the
#: same given among the table's arguments, p the referenced one.
CREATE = '''
op.create_table("p", sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("k", sa.Integer))
op.create_table("t1", sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("pid", sa.Integer, sa.ForeignKey("p.id")),
                sa.Column("a", sa.Integer, sa.CheckConstraint("a > 0"), nullable=False,
                          server_default="5"),
                sa.Column("c", sa.Integer, unique=True))
op.create_table("t2", sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("b", sa.Integer), sa.Column("e", sa.Integer),
                sa.ForeignKeyConstraint(["b"], ["p.id"]),
                sa.UniqueConstraint("e", "b"),
                sa.CheckConstraint("b > e"))
'''
DROP_TABLES = 'op.drop_table("t2")\nop.drop_table("t1")\nop.drop_table("p")'
KINDS = ("foreignkey", "unique", "check")
DROPS = "\n".join(f'op.drop_constraint(None, "{t}", type_="{k}")'
                  for t in ("t1", "t2") for k in KINDS)
#: What the downgrade of DROPS writes, as autogenerate would: the constraints, unnamed again.
RECREATE = '''
op.create_foreign_key(None, "t1", "p", ["pid"], ["id"])
op.create_unique_constraint(None, "t1", ["c"])
op.create_check_constraint(None, "t1", "a > 0")
op.create_foreign_key(None, "t2", "p", ["b"], ["id"])
op.create_unique_constraint(None, "t2", ["e", "b"])
op.create_check_constraint(None, "t2", "b > e")
'''


def _drops(dialect: str, table: str, kind: str) -> list[str]:
    return compile_ops(f'op.drop_constraint(None, "{table}", type_="{kind}")', dialect,
                       setup=CREATE)


@pytest.mark.parametrize("dialect, table, kind, expected", [
    ("postgresql", "t1", "foreignkey", ["ALTER TABLE t1 DROP CONSTRAINT t1_pid_fkey"]),
    ("postgresql", "t1", "unique", ["ALTER TABLE t1 DROP CONSTRAINT t1_c_key"]),
    ("postgresql", "t1", "check", ["ALTER TABLE t1 DROP CONSTRAINT t1_a_check"]),
    ("postgresql", "t1", "primary", ["ALTER TABLE t1 DROP CONSTRAINT t1_pkey"]),
    ("postgresql", "t2", "unique", ["ALTER TABLE t2 DROP CONSTRAINT t2_e_b_key"]),
    # a condition on two columns is named after the table alone
    ("postgresql", "t2", "check", ["ALTER TABLE t2 DROP CONSTRAINT t2_check"]),
    ("mysql", "t1", "foreignkey", ["ALTER TABLE t1 DROP FOREIGN KEY t1_ibfk_1",
                                   "DROP INDEX pid ON t1"]),
    ("mysql", "t1", "unique", ["ALTER TABLE t1 DROP INDEX c"]),
    ("mysql", "t1", "check", ["ALTER TABLE t1 DROP CHECK t1_chk_1"]),
    ("mysql", "t1", "primary", ["ALTER TABLE t1 DROP PRIMARY KEY"]),
    # the unique key (e, b) does not serve the key on b: InnoDB made index b for it
    ("mysql", "t2", "foreignkey", ["ALTER TABLE t2 DROP FOREIGN KEY t2_ibfk_1",
                                   "DROP INDEX b ON t2"]),
    ("mariadb", "t1", "check", ["ALTER TABLE t1 MODIFY a INTEGER NOT NULL DEFAULT '5'"]),
    ("mariadb", "t2", "check", ["ALTER TABLE t2 DROP CONSTRAINT `CONSTRAINT_1`"]),
    ("mariadb", "t2", "unique", ["ALTER TABLE t2 DROP INDEX e"]),
])
def test_the_name_the_server_gave(dialect: str, table: str, kind: str,
                                  expected: list[str]) -> None:
    assert _drops(dialect, table, kind) == expected


def test_postgresql_names_cut_and_numbered() -> None:
    """63 bytes, both parts shortened in turn; a name taken anywhere in the schema (here by the
    renamed table's check) gets the next number, as the server's own choice does."""
    long_table = "a" * 60
    setup = f'''
op.create_table("{long_table}", sa.Column("{'b' * 50}", sa.Integer,
                sa.CheckConstraint("{'b' * 50} > 0")))
op.create_table("t3", sa.Column("a", sa.Integer, sa.CheckConstraint("a > 0")))
op.rename_table("t3", "t4")
op.create_table("t3", sa.Column("a", sa.Integer, sa.CheckConstraint("a > 0")))
'''
    long_drop = f'op.drop_constraint(None, "{long_table}", type_="check")'
    assert compile_ops(long_drop, "postgresql", setup=setup) == [
        f"ALTER TABLE {long_table} DROP CONSTRAINT {'a' * 28}_{'b' * 28}_check"]
    renamed = 'op.drop_constraint(None, "t3", type_="check")'
    assert compile_ops(renamed, "postgresql", setup=setup) == [
        "ALTER TABLE t3 DROP CONSTRAINT t3_a_check1"]


def test_mysql_numbers_follow_the_highest_and_rename_table() -> None:
    setup = CREATE + '''
op.create_foreign_key(None, "t1", "p", ["c"], ["id"])
op.rename_table("t1", "t9")
'''
    # two unnamed keys now: the drop cannot tell which
    with pytest.raises(CompileError, match=r"2 unnamed foreignkey constraints \(FOREIGN KEY "
                       r"\(pid\) REFERENCES p \(id\); FOREIGN KEY \(c\) REFERENCES p \(id\)\)"):
        compile_ops('op.drop_constraint(None, "t9", type_="foreignkey")', "mysql",
                    setup=setup)
    by_name = 'op.drop_constraint("t9_ibfk_1", "t9", type_="foreignkey")\n' \
              'op.drop_constraint(None, "t9", type_="foreignkey")'
    assert compile_ops(by_name, "mysql", setup=setup) == [
        "ALTER TABLE t9 DROP FOREIGN KEY t9_ibfk_1", "DROP INDEX pid ON t9",
        "ALTER TABLE t9 DROP FOREIGN KEY t9_ibfk_2"]


def test_sql_server_looks_the_name_up() -> None:
    [sql] = _drops("mssql", "t1", "foreignkey")
    assert sql == (
        "DECLARE @sqlcompile_drop NVARCHAR(MAX) = (\n"
        "  SELECT CASE WHEN COUNT(*) = 1 THEN 'ALTER TABLE t1 DROP CONSTRAINT ' + "
        "QUOTENAME(MAX(c.name))\n"
        "    ELSE CAST(CAST('sqlcompile: drop_constraint (unnamed foreignkey) on t1: expected "
        "exactly one system-named foreign key of t1 on (pid), found ' + CAST(COUNT(*) AS "
        "NVARCHAR(10)) + '; nothing was changed' AS INT) AS NVARCHAR(MAX)) END\n"
        "  FROM sys.foreign_keys AS c\n"
        "  WHERE c.parent_object_id = OBJECT_ID('t1')\n"
        "    AND c.is_system_named = 1\n"
        "    AND (SELECT COUNT(*) FROM sys.foreign_key_columns AS k JOIN sys.columns AS col "
        "ON col.object_id = k.parent_object_id AND col.column_id = k.parent_column_id WHERE "
        "k.constraint_object_id = c.object_id) = 1\n"
        "    AND NOT EXISTS (SELECT 1 FROM sys.foreign_key_columns AS k JOIN sys.columns AS "
        "col ON col.object_id = k.parent_object_id AND col.column_id = k.parent_column_id "
        "WHERE k.constraint_object_id = c.object_id AND col.name NOT IN ('pid')));\n"
        "EXEC (@sqlcompile_drop)")
    [unique] = _drops("mssql", "t2", "unique")
    assert "FROM sys.key_constraints AS c" in unique and "c.type = 'UQ'" in unique
    assert "= 2\n" in unique and "col.name NOT IN ('e', 'b')" in unique
    [check] = _drops("mssql", "t2", "check")
    assert "FROM sys.check_constraints AS c" in check and "col.name" not in check
    # sqlglot reads the batch as its two statements; validation lists it as one block
    import sqlglot

    assert [type(e).__name__ for e in sqlglot.parse(sql, read="tsql")] == [
        "Declare", "Execute"]
    assert Validator(get_dialect("mssql")).check(sql)[0] == "unvalidated"


def test_oracle_looks_the_name_up() -> None:
    [sql] = _drops("oracle", "t2", "unique")
    assert sql == (
        "DECLARE\n"
        "  found_count NUMBER;\n"
        "  found_name VARCHAR2(128);\n"
        "BEGIN\n"
        "  SELECT COUNT(*), MAX(c.constraint_name) INTO found_count, found_name\n"
        "    FROM user_constraints c\n"
        "    WHERE c.table_name = 'T2'\n"
        "      AND c.constraint_type = 'U'\n"
        "      AND c.generated = 'GENERATED NAME'\n"
        "      AND (SELECT COUNT(*) FROM user_cons_columns k WHERE k.constraint_name = "
        "c.constraint_name) = 2\n"
        "      AND NOT EXISTS (SELECT 1 FROM user_cons_columns k WHERE k.constraint_name = "
        "c.constraint_name AND k.column_name NOT IN ('E', 'B'));\n"
        "  IF found_count <> 1 THEN\n"
        "    RAISE_APPLICATION_ERROR(-20003, 'sqlcompile: drop_constraint (unnamed unique) on "
        "t2: expected exactly one system-named unique constraint of t2 on (e, b), found ' || "
        "found_count || '; nothing was changed');\n"
        "  END IF;\n"
        "  EXECUTE IMMEDIATE 'ALTER TABLE t2 DROP CONSTRAINT \"' || found_name || '\"';\n"
        "END;")
    [check] = _drops("oracle", "t1", "check")
    assert "c.constraint_type = 'C'" in check
    assert "NOT REGEXP_LIKE(c.search_condition_vc, '^\"[^\"]+\" IS NOT NULL$')" in check
    assert Validator(get_dialect("oracle")).check(sql)[0] == "unvalidated"


def test_none_without_type_is_refused() -> None:
    with pytest.raises(ScriptError, match="no type_ was given"):
        compile_ops('op.drop_constraint(None, "t1")', "postgresql", setup=CREATE)


def test_no_unnamed_constraint_of_that_kind() -> None:
    setup = CREATE + 'op.drop_constraint(None, "t1", type_="unique")'
    with pytest.raises(CompileError, match="the schema model has no unnamed unique "
                                           "constraint on table t1"):
        compile_ops('op.drop_constraint(None, "t1", type_="unique")', "postgresql",
                    setup=setup)


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "mariadb", "mssql", "oracle"])
def test_several_candidates_are_the_scripts_error(tmp_path: Path, dialect: str) -> None:
    """Two unnamed checks: exit 2, the drop's file and line, both conditions, and how to say
    which (MySQL and MariaDB crashed here with a TypeError, exit 70)."""
    up = CREATE + 'op.create_check_constraint(None, "t1", "c < 10")\n' \
        + 'op.drop_constraint(None, "t1", type_="check")  # the drop'
    text = h.script("r1", None, up, DROP_TABLES)
    h.write(tmp_path, {"r1.py": text}, [dialect])
    result = h.run(tmp_path, "render")
    assert result.code == 2, result.stderr
    line = h.line_of(text, "# the drop")
    [error] = result.errors()
    assert error.startswith(f"error: migrations/versions/r1.py:{line}: drop_constraint "
                            "(unnamed check) on t1: table t1 has 2 unnamed check constraints "
                            "(CHECK (")
    assert "c < 10" in error and "a > 0" in error
    assert "hint: name the constraint when it is created" in result.stderr


def _history(root: Path, dialect: str) -> None:
    h.write(root, {
        "r1.py": h.script("r1", None, CREATE, DROP_TABLES),
        "r2.py": h.script("r2", "r1", DROPS, RECREATE),
        # created and dropped again: the names the model gives the recreated ones hold too
        "r3.py": h.script("r3", "r2", RECREATE, DROPS),
        "r4.py": h.script("r4", "r3", DROPS, RECREATE),
    }, [dialect])


def _up_and_down(root: Path, db: dbs.ScratchDB, dialect: str, query: str,
                 dropped: list[tuple[str, str]], present: list[tuple[str, str]]) -> None:
    """Every revision up, then down one at a time: the catalog holds ``present`` where the
    constraints exist (after r1 and r3) and ``dropped`` where they do not."""
    sp.apply_ok(db, sp.render_stream(root, dialect, "--to", "r2"))
    assert sorted(db.query(query)) == dropped
    sp.apply_ok(db, sp.render_stream(root, dialect, "--from", "r2", "--to", "r3"))
    assert sorted(db.query(query)) == present
    sp.apply_ok(db, sp.render_stream(root, dialect, "--from", "r3"))
    assert sorted(db.query(query)) == dropped
    for start, down, state in (("r4", "r3", present), ("r3", "r2", dropped),
                               ("r2", "r1", present)):
        sp.apply_ok(db, sp.render_stream(root, dialect, "--downgrade", "--from", start,
                                         "--to", down))
        assert sorted(db.query(query)) == state, down
    sp.apply_ok(db, sp.render_stream(root, dialect, "--downgrade", "--from", "r1"))
    assert db.tables() == [sp.VERSION_TABLE]


def test_postgresql_applies_up_and_down(tmp_path: Path, pg_db: dbs.PostgresDB) -> None:
    _history(tmp_path, "postgresql")
    query = ("SELECT conrelid::regclass::text, conname FROM pg_constraint "
             "WHERE conrelid::regclass::text IN ('t1', 't2')")
    _up_and_down(tmp_path, pg_db, "postgresql", query, [("t1", "t1_pkey"), ("t2", "t2_pkey")], [
        ("t1", "t1_a_check"), ("t1", "t1_c_key"), ("t1", "t1_pid_fkey"), ("t1", "t1_pkey"),
        ("t2", "t2_b_fkey"), ("t2", "t2_check"), ("t2", "t2_e_b_key"), ("t2", "t2_pkey")])


def test_mariadb_applies_up_and_down(tmp_path: Path, mariadb_db: dbs.MariaDB) -> None:
    """The constraints and the indexes: InnoDB's own index for a foreign key goes with it."""
    _history(tmp_path, "mariadb")
    query = ("SELECT TABLE_NAME, CONSTRAINT_NAME FROM information_schema.TABLE_CONSTRAINTS "
             "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('t1', 't2') UNION "
             "SELECT DISTINCT TABLE_NAME, CONCAT('index ', INDEX_NAME) FROM "
             "information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() "
             "AND TABLE_NAME IN ('t1', 't2')")
    keys = [("t1", "PRIMARY"), ("t1", "index PRIMARY"), ("t2", "PRIMARY"),
            ("t2", "index PRIMARY")]
    created = [("t1", "CONSTRAINT_1"), ("t1", "c"), ("t1", "index c"), ("t1", "index pid"),
               ("t1", "t1_ibfk_1"), ("t2", "CONSTRAINT_1"), ("t2", "e"), ("t2", "index b"),
               ("t2", "index e"), ("t2", "t2_ibfk_1")]
    _up_and_down(tmp_path, mariadb_db, "mariadb", query, keys, sorted(keys + created))


def test_mariadb_column_check_dropped(tmp_path: Path, mariadb_db: dbs.MariaDB) -> None:
    """A CHECK in a column's definition (named after the column by MariaDB) goes by MODIFY,
    which keeps the column's type, nullability and default."""
    h.write(tmp_path, {"r1.py": h.script("r1", None, CREATE, DROP_TABLES),
                       "r2.py": h.script("r2", "r1",
                                         'op.drop_constraint(None, "t1", type_="check")',
                                         'op.create_check_constraint(None, "t1", "a > 0")')},
            ["mariadb"])
    query = ("SELECT CONSTRAINT_NAME, LEVEL FROM information_schema.CHECK_CONSTRAINTS WHERE "
             "CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = 't1'")
    sp.apply_ok(mariadb_db, sp.render_stream(tmp_path, "mariadb", "--to", "r1"))
    assert mariadb_db.query(query) == [("a", "Column")]
    sp.apply_ok(mariadb_db, sp.render_stream(tmp_path, "mariadb", "--from", "r1"))
    assert mariadb_db.query(query) == []
    assert mariadb_db.query(
        "SELECT IS_NULLABLE, COLUMN_DEFAULT FROM information_schema.COLUMNS WHERE "
        "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't1' AND COLUMN_NAME = 'a'") == [
            ("NO", "5")]
    sp.apply_ok(mariadb_db, sp.render_stream(tmp_path, "mariadb", "--downgrade"))
    assert mariadb_db.tables() == [sp.VERSION_TABLE]


def test_batch_drop_without_a_name() -> None:
    body = '''
with op.batch_alter_table("t1") as batch_op:
    batch_op.drop_constraint(None, type_="foreignkey")
    batch_op.drop_constraint(None, type_="unique")
'''
    assert compile_ops(body, "postgresql", setup=CREATE) == [
        "ALTER TABLE t1 DROP CONSTRAINT t1_pid_fkey", "ALTER TABLE t1 DROP CONSTRAINT t1_c_key"]
    assert compile_ops(body, "mariadb", setup=CREATE) == [
        "ALTER TABLE t1 DROP FOREIGN KEY t1_ibfk_1", "DROP INDEX pid ON t1",
        "ALTER TABLE t1 DROP INDEX c"]


def test_the_model_loses_it_and_reverse_recreates_it() -> None:
    import sqlalchemy as sa

    from sqlcompile.ops.constraint_ops import CreateForeignKey, DropConstraint
    from sqlcompile.ops.table_ops import CreateTable

    schema = Schema(get_dialect("postgresql"))
    metadata = sa.MetaData()
    CreateTable(sa.Table("p", metadata, sa.Column("id", sa.Integer, primary_key=True))
                ).apply(schema)
    CreateTable(sa.Table("t", metadata, sa.Column("pid", sa.Integer, sa.ForeignKey("p.id")))
                ).apply(schema)
    [fk] = schema.table("t").foreign_keys  # type: ignore[union-attr]
    assert (fk.name, fk.server_name) == (None, "t_pid_fkey")
    drop = DropConstraint(None, "t", "foreignkey").completed(schema)
    assert drop.found is fk
    assert drop.reverse() == CreateForeignKey(None, "t", "p", ["pid"], ["id"])
    drop.apply(schema)
    assert schema.table("t").foreign_keys == ()  # type: ignore[union-attr]
    assert schema.incomplete == []


# A downgrade that drops, without a name, the foreign key its upgrade added without one, on a
# table that has another unnamed foreign key already (the shape autogenerate writes).
TEAMS = '''op.create_table("teams", sa.Column("id", sa.Integer, primary_key=True))
op.create_table("users", sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id")))'''
BRACKETS_UP = '''op.create_table("brackets", sa.Column("id", sa.Integer, primary_key=True))
op.add_column("users", sa.Column("bracket_id", sa.Integer, nullable=True))
op.create_foreign_key(None, "users", "brackets", ["bracket_id"], ["id"], ondelete="SET NULL")'''
BRACKETS_DOWN = '''op.drop_constraint(None, "users", type_="foreignkey")
op.drop_column("users", "bracket_id")
op.drop_table("brackets")'''


@pytest.mark.parametrize("fixture", ["pg_db", "mariadb_db", "sqlite_db"])
def test_a_downgrade_drops_the_key_its_upgrade_made(tmp_path: Path, fixture: str,
                                                    request: pytest.FixtureRequest) -> None:
    db: dbs.ScratchDB = request.getfixturevalue(fixture)
    dialect = {"pg_db": "postgresql", "mariadb_db": "mariadb", "sqlite_db": "sqlite"}[fixture]
    h.write(tmp_path, {"r1.py": h.script("r1", None, TEAMS,
                                         'op.drop_table("users")\nop.drop_table("teams")'),
                       "r2.py": h.script("r2", "r1", BRACKETS_UP, BRACKETS_DOWN)}, [dialect])
    files = sp.render(tmp_path, dialect)
    down = sp.sql_text(files.downgrade[1])
    if dialect == "postgresql":
        assert "ALTER TABLE users DROP CONSTRAINT users_bracket_id_fkey;" in down
    elif dialect == "mariadb":
        assert "ALTER TABLE users DROP FOREIGN KEY users_ibfk_2;" in down
    for path in [*files.upgrade, files.downgrade[1]]:
        sp.apply_ok(db, path)
    assert sorted(db.tables()) == sorted([sp.VERSION_TABLE, "teams", "users"])
    # The older key is still there: a user of a team that does not exist is refused.
    db.query("INSERT INTO teams (id) VALUES (1)")
    db.query("INSERT INTO users (id, team_id) VALUES (1, 1)")
    if dialect != "sqlite":  # (the sqlite3 CLI checks keys only with PRAGMA foreign_keys)
        with pytest.raises(Exception, match="(?i)foreign key"):
            db.query("INSERT INTO users (id, team_id) VALUES (2, 99)")


@pytest.mark.parametrize(("dialect", "names"), [
    ("postgresql", ("c_pkey", "c_pn_fkey", "c_code_key")),
    ("mariadb", (None, "c_ibfk_1", "code")),
])
def test_offline_inspect_answers_the_names_the_server_gave(dialect: str,
                                                           names: tuple[str | None, ...]) -> None:
    """As the server's own reflection answers (checked on PostgreSQL 15 and MariaDB 10.11):
    scripts look a constraint's name up before dropping it."""
    setup = '''
op.create_table("p", sa.Column("n", sa.Integer, primary_key=True))
op.create_table("c", sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("pn", sa.Integer), sa.Column("code", sa.String(5), unique=True))
op.create_foreign_key(None, "c", "p", ["pn"], ["n"])
'''
    body = '''
insp = sa.inspect(op.get_bind())
pk = insp.get_pk_constraint("c")["name"]
[fk] = insp.get_foreign_keys("c")
[uq] = insp.get_unique_constraints("c")
op.execute(f"-- {pk} {fk['name']} {uq['name']}")
'''
    sql = compile_ops(body, dialect, setup=setup)
    assert sql == [f"-- {names[0]} {names[1]} {names[2]}"]
