"""A history of our own that uses Alembic's op API beyond the everyday calls: constraints and
flags inside `sa.Column(...)`, `batch_alter_table` arguments, `create_exclude_constraint`,
`invoke` with Alembic's own operation objects, `inline_literal`, `f`, table comments.

It compiles (and validates) for all six dialects, and applies up and down on real PostgreSQL,
MariaDB and SQLite, where the constraints it declares are checked in the catalog and by rows
they refuse.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import alembic.operations.ops  # noqa: F401  (what the scripts' `invoke` calls build)
import dbs
import pytest
import sqlc_project as sp

ALL_DIALECTS = ("postgresql", "sqlite", "mysql", "mariadb", "mssql", "oracle")
REVISIONS = ["a1000000000a", "a2000000000b", "a3000000000c", "a4000000000d", "a5000000000e"]


def script(revision: str, parent: str | None, upgrade: str, downgrade: str,
           imports: str = "") -> str:
    body = {name: textwrap.indent(textwrap.dedent(src).strip(), "    ")
            for name, src in (("upgrade", upgrade), ("downgrade", downgrade))}
    return (f'"""{revision}"""\nfrom alembic import op\nimport sqlalchemy as sa\n{imports}\n'
            f"revision = {revision!r}\ndown_revision = {parent!r}\n"
            "branch_labels = None\ndepends_on = None\n\n\n"
            f"def upgrade():\n{body['upgrade']}\n\n\ndef downgrade():\n{body['downgrade']}\n")


ROOMS = """
    op.create_table(
        "rooms",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(40), nullable=False, unique=True),
        sa.Column("capacity", sa.Integer(), sa.CheckConstraint("capacity > 0",
                  name="ck_rooms_capacity"), nullable=False),
        sa.Column("floor", sa.Integer(), sa.CheckConstraint("floor >= 0"), index=True),
    )
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("room_id", sa.Integer(),
                  sa.ForeignKey("rooms.id", name="fk_bookings_room", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("starts", sa.Integer(), nullable=False),
        sa.Column("ends", sa.Integer(), nullable=False),
    )
"""

# Constraints and flags inside sa.Column(...) in add_column.
ADD_COLUMNS = """
    op.add_column("rooms", sa.Column("code", sa.String(8),
                  sa.CheckConstraint("code <> ''", name="ck_rooms_code"), index=True,
                  unique=True))
    op.add_column("bookings", sa.Column("guest_room_id", sa.Integer(),
                  sa.ForeignKey("rooms.id", name="fk_bookings_guest_room")))
    op.add_column("bookings", sa.Column("seats", sa.Integer(),
                  sa.CheckConstraint("seats > 0", name="ck_bookings_seats")))
"""
DROP_ADDED = """
    op.drop_constraint("ck_bookings_seats", "bookings", type_="check")
    op.drop_column("bookings", "seats")
    op.drop_constraint("fk_bookings_guest_room", "bookings", type_="foreignkey")
    op.drop_column("bookings", "guest_room_id")
    op.drop_index("ix_rooms_code", "rooms")
    op.drop_constraint("ck_rooms_code", "rooms", type_="check")
    op.drop_column("rooms", "code")
"""

# batch_alter_table with Alembic's arguments: SQLite rebuilds (the check needs it) with the
# column placed and the convention's name for the unnamed primary key (named constraints keep
# theirs, as in Alembic); the others alter in place and say so.
BATCH = """
    with op.batch_alter_table(
        "bookings", naming_convention={"pk": "pk_%(table_name)s",
                                       "ck": "ck_%(table_name)s_%(constraint_name)s"},
        reflect_args=[sa.Column("starts", sa.Integer())], reflect_kwargs={},
    ) as batch_op:
        batch_op.add_column(sa.Column("note", sa.String(80)), insert_after="room_id")
        batch_op.create_check_constraint("span", "ends > starts")
        batch_op.create_index(batch_op.f("ix_bookings_room_starts"), ["room_id", "starts"])
"""
UNBATCH = """
    with op.batch_alter_table("bookings") as batch_op:
        batch_op.drop_index("ix_bookings_room_starts")
        batch_op.drop_constraint("span", type_="check")
        batch_op.drop_column("note")
"""

EXCLUDE = """
    if op.get_context().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")  # gist for room_id =
        op.create_exclude_constraint(
            "ex_bookings_no_overlap", "bookings", ("room_id", "="),
            (sa.text("int4range(starts, ends)"), "&&"), using="gist", where="starts >= 0")
"""
UNEXCLUDE = """
    if op.get_context().dialect.name == "postgresql":
        op.drop_constraint("ex_bookings_no_overlap", "bookings")
        op.execute("DROP EXTENSION IF EXISTS btree_gist")
"""

# Alembic's operation objects through op.invoke, helpers and comments.
INVOKE = """
    op.invoke(alembic_ops.AddColumnOp("rooms", sa.Column("wing", sa.String(10),
                                                         server_default="north")))
    op.invoke(alembic_ops.CreateIndexOp("ix_rooms_wing", "rooms", ["wing"]))
    op.create_unique_constraint(op.f("uq_rooms_wing_floor"), "rooms", ["wing", "floor"])
    op.create_table_comment("rooms", "bookable rooms")
    rooms = sa.table("rooms", sa.column("id", sa.Integer), sa.column("name", sa.String),
                     sa.column("capacity", sa.Integer), sa.column("floor", sa.Integer),
                     sa.column("code", sa.String), sa.column("wing", sa.String))
    op.bulk_insert(rooms, [{"id": 1, "name": "Ada", "capacity": 4, "floor": 1, "code": "A1"},
                           {"id": 2, "name": "Grace", "capacity": 8, "floor": 2,
                            "code": "G2"}])
    op.execute(rooms.update().where(rooms.c.name == op.inline_literal("Grace"))
               .values(wing=op.inline_literal("south")))
"""
UNINVOKE = """
    op.execute(sa.text("DELETE FROM rooms"))
    op.drop_table_comment("rooms", existing_comment="bookable rooms")
    op.drop_constraint("uq_rooms_wing_floor", "rooms", type_="unique")
    op.invoke(alembic_ops.DropIndexOp("ix_rooms_wing", "rooms"))
    op.invoke(alembic_ops.DropColumnOp("rooms", "wing"))
"""

HISTORY = {
    f"{REVISIONS[0]}_rooms.py": script(REVISIONS[0], None, ROOMS,
                                       'op.drop_table("bookings")\nop.drop_table("rooms")'),
    f"{REVISIONS[1]}_columns.py": script(REVISIONS[1], REVISIONS[0], ADD_COLUMNS, DROP_ADDED),
    f"{REVISIONS[2]}_batch.py": script(REVISIONS[2], REVISIONS[1], BATCH, UNBATCH),
    f"{REVISIONS[3]}_exclude.py": script(REVISIONS[3], REVISIONS[2], EXCLUDE, UNEXCLUDE),
    f"{REVISIONS[4]}_invoke.py": script(REVISIONS[4], REVISIONS[3], INVOKE, UNINVOKE,
                                        imports="from alembic.operations import ops as "
                                                "alembic_ops\n"),
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = sp.write_history(tmp_path / "tour", HISTORY)
    sp.write_config(root, ALL_DIALECTS)
    return root


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_the_tour_compiles_and_validates(project: Path, dialect: str) -> None:
    files = sp.render(project, dialect)  # exit 0: compiled, and no statement failed validation
    assert [sp.revision_of(p) for p in files.upgrade] == REVISIONS
    text = "".join(sp.sql_text(p) for p in files.upgrade)
    assert "ck_rooms_code" in text and "ck_bookings_seats" in text
    if dialect == "postgresql":
        assert "EXCLUDE USING gist (room_id WITH =, int4range(starts, ends) WITH &&)" in text
    if dialect == "sqlite":
        # the check needs a rebuild; the block's arguments shape the rebuilt table
        assert "CONSTRAINT pk_bookings PRIMARY KEY (id)" in text
        assert "CONSTRAINT span CHECK (ends > starts)" in text
        assert "\tid INTEGER NOT NULL, \n\troom_id INTEGER NOT NULL, \n\tnote VARCHAR(80)" in text
    else:
        assert "these arguments say how a table is recreated" in text


def _constraints(db: dbs.ScratchDB) -> set[str]:
    """Names of the check, unique, foreign-key and exclusion constraints in the database."""
    if isinstance(db, dbs.PostgresDB):
        return {r[0] for r in db.query(
            "SELECT conname FROM pg_constraint WHERE connamespace = 'public'::regnamespace")}
    if isinstance(db, dbs.MariaDB):
        rows = db.query("SELECT constraint_name FROM information_schema.table_constraints"
                        " WHERE constraint_schema = %s", [db.name])
        return {r[0] for r in rows}
    text = " ".join(r[0] or "" for r in db.query("SELECT sql FROM sqlite_master"))
    return {word for word in text.replace("(", " ").split() if word.startswith(("ck_", "fk_",
                                                                                 "uq_"))}


def _refused(db: dbs.ScratchDB, sql: str) -> bool:
    try:
        db.query(sql)
    except Exception:  # the driver's IntegrityError / OperationalError
        return True
    return False


@pytest.mark.parametrize(("db_fixture", "dialect"),
                         [("pg_db", "postgresql"), ("mariadb_db", "mariadb"),
                          ("sqlite_db", "sqlite")])
def test_the_tour_applies_up_and_down(project: Path, db_fixture: str, dialect: str,
                                      request: pytest.FixtureRequest) -> None:
    db: dbs.ScratchDB = request.getfixturevalue(db_fixture)
    files = sp.render(project, dialect)
    for path in files.upgrade:
        sp.apply_ok(db, path)
    assert sp.version_rows(db) == [REVISIONS[-1]]
    names = _constraints(db)
    expected = {"ck_rooms_capacity", "ck_rooms_code", "ck_bookings_seats", "fk_bookings_room",
                "fk_bookings_guest_room", "uq_rooms_wing_floor"}
    expected |= {"span"} if dialect != "sqlite" else set()  # (SQLite: seen in its text)
    if dialect == "postgresql":
        expected.add("ex_bookings_no_overlap")
    assert expected <= names, sorted(expected - names)
    assert sorted(db.query("SELECT name, wing FROM rooms ORDER BY id")) == [
        ("Ada", "north"), ("Grace", "south")]
    # The column constraints hold: each of these rows is refused.
    assert _refused(db, "INSERT INTO rooms (id, name, capacity, floor, code) "
                        "VALUES (3, 'X', 0, 1, 'X3')")
    assert _refused(db, "INSERT INTO rooms (id, name, capacity, floor, code) "
                        "VALUES (4, 'Y', 2, 1, '')")
    assert _refused(db, "INSERT INTO rooms (id, name, capacity, floor, code) "
                        "VALUES (5, 'Z', 2, 1, 'A1')")  # unique index from unique+index
    assert _refused(db, "INSERT INTO bookings (id, room_id, starts, ends) VALUES (1, 1, 5, 5)")
    if dialect == "postgresql":
        db.query("INSERT INTO bookings (id, room_id, starts, ends) VALUES (1, 1, 1, 5)")
        assert _refused(db, "INSERT INTO bookings (id, room_id, starts, ends) "
                            "VALUES (2, 1, 3, 7)")  # overlaps: the exclusion refuses it
        db.query("DELETE FROM bookings")
    for path in reversed(files.downgrade):
        sp.apply_ok(db, path)
    assert db.tables() == [sp.VERSION_TABLE]


# -- invoke, helpers and the calls Alembic refuses too -------------------------------------------

#: Alembic's operation classes that stand for no single `op.*` call, and why.
NOT_INVOKABLE = {
    "MigrateOperation": "the base class",
    "AddConstraintOp": "a base class (its subclasses are each invokable)",
    "AlterTableOp": "a base class (its subclasses are each invokable)",
    "OpContainer": "a container of operations (autogenerate's), with no implementation",
    "ModifyTableOps": "a container of operations (autogenerate's), with no implementation",
    "UpgradeOps": "a container of operations (autogenerate's), with no implementation",
    "DowngradeOps": "a container of operations (autogenerate's), with no implementation",
    "MigrationScript": "a whole revision (autogenerate's), with no implementation",
}


def test_every_alembic_operation_class_is_invokable() -> None:
    import inspect

    import alembic.ddl.postgresql
    import alembic.operations.ops as alembic_ops

    from sqlcompile.sources.alembic_ops import OPERATIONS

    classes = {name for module in (alembic_ops, alembic.ddl.postgresql)
               for name, cls in vars(module).items()
               if inspect.isclass(cls) and issubclass(cls, alembic_ops.MigrateOperation)
               and cls.__module__ == module.__name__}
    assert classes - set(NOT_INVOKABLE) == set(OPERATIONS)


def test_invoke_records_alembics_operations(tmp_path: Path) -> None:
    from helpers import compile_ops

    body = """
        table = op.invoke(alembic_ops.CreateTableOp(
            "u", [sa.Column("id", sa.Integer(), primary_key=True)], comment="users"))
        assert isinstance(table, sa.Table)
        op.invoke(alembic_ops.AlterColumnOp("t", "a", modify_nullable=False,
                                            existing_type=sa.Integer()))
        op.invoke(alembic_ops.CreateForeignKeyOp("fk_t_u", "t", "u", ["a"], ["id"],
                                                 ondelete="CASCADE"))
        with op.batch_alter_table("t") as batch_op:
            batch_op.invoke(alembic_ops.CreateCheckConstraintOp("ck_t_a", "t", "a > 0"))
        op.invoke(CreateExcludeConstraintOp("ex_t_a", "t", [("a", "=")], using="btree"))
    """
    imports = ("from alembic.operations import ops as alembic_ops\n"
               "from alembic.ddl.postgresql import CreateExcludeConstraintOp")
    setup = 'op.create_table("t", sa.Column("id", sa.Integer(), primary_key=True), ' \
            'sa.Column("a", sa.Integer()))'
    assert compile_ops(body, "postgresql", tmp_path=tmp_path, imports=imports,
                       setup=setup) == [
        "CREATE TABLE u (\n\tid SERIAL NOT NULL, \n\tPRIMARY KEY (id)\n)",
        "COMMENT ON TABLE u IS 'users'",
        "ALTER TABLE t ALTER COLUMN a SET NOT NULL",
        "ALTER TABLE t ADD CONSTRAINT fk_t_u FOREIGN KEY(a) REFERENCES u (id) ON DELETE CASCADE",
        "ALTER TABLE t ADD CONSTRAINT ck_t_a CHECK (a > 0)",
        "ALTER TABLE t ADD CONSTRAINT ex_t_a EXCLUDE USING btree (a WITH =)",
    ]


def test_invoke_of_another_operation_names_it(tmp_path: Path) -> None:
    """(An op plugin's operation runs its implementation: tests of plugins cover that.)"""
    from helpers import compile_ops

    from sqlcompile.errors import ScriptError

    body = """
        class Grant(alembic_ops.MigrateOperation):
            pass

        op.invoke(Grant())
    """
    with pytest.raises(ScriptError, match=r"op.invoke\(.*Grant") as caught:
        compile_ops(body, "postgresql", tmp_path=tmp_path,
                    imports="from alembic.operations import ops as alembic_ops")
    assert caught.value.line == 16


def test_run_async_needs_a_connection(tmp_path: Path) -> None:
    from helpers import compile_ops

    from sqlcompile.errors import LiveDatabaseRequired

    with pytest.raises(LiveDatabaseRequired, match=r"op.run_async\(\) runs a coroutine"):
        compile_ops("op.run_async(lambda connection: None)", "sqlite", tmp_path=tmp_path)


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_inline_literal_and_f(dialect: str, tmp_path: Path) -> None:
    from helpers import compile_ops

    body = """
        t = sa.table("t", sa.column("a", sa.String), sa.column("b"))
        value = op.inline_literal("it's")
        assert isinstance(value, sa.sql.elements.BindParameter)
        op.execute(t.update().where(t.c.a == value).values(b=op.inline_literal(None)))
        op.create_check_constraint(op.f("ck_t_b"), "t", "b > 0")
    """
    setup = 'op.create_table("t", sa.Column("a", sa.String(5)), sa.Column("b", sa.Integer()))'
    statements = compile_ops(body, dialect, tmp_path=tmp_path, setup=setup)
    assert statements[0] == "UPDATE t SET b=NULL WHERE t.a = 'it''s'"
    assert any("CONSTRAINT ck_t_b CHECK (b > 0)" in s for s in statements)


SCRIPT_ERRORS = {
    "a column listed twice": (
        'op.create_table("t", sa.Column("a", sa.Integer()), sa.Column("a", sa.Integer()))',
        "op.create_table(): SQLAlchemy refuses it: DuplicateColumnError: A column with name "
        "'a' is already present in table 't'"),
    "an argument op.add_column does not take": (
        'op.add_column("t", sa.Column("a", sa.Integer()), after="id")',
        "op.add_column(table_name, column, *, schema=None, if_not_exists=None, "
        "inline_references=None, inline_primary_key=None, insert_before=None, "
        "insert_after=None): got an unexpected keyword argument 'after'"),
    "a type spelled as a string": (
        'op.alter_column("t", "a", type_="BIGINT")',
        "alter_column(type_=...) must be an SQLAlchemy type"),
    "a foreign key without its table": (
        'op.add_column("t", sa.Column("a", sa.Integer(), sa.ForeignKey("id")))',
        "sa.ForeignKey('id') on column 'a' names no table"),
}


@pytest.mark.parametrize("case", sorted(SCRIPT_ERRORS))
def test_a_script_error_alembic_meets_too_is_the_revisions_failure(case: str,
                                                                   tmp_path: Path) -> None:
    """Reported as that revision's error at its line (exit 2), never as a crash of ours."""
    from click.testing import CliRunner

    from sqlcompile.cli import cli

    body, message = SCRIPT_ERRORS[case]
    text = script(REVISIONS[0], None, body, "pass")
    root = sp.write_history(tmp_path / "p", {f"{REVISIONS[0]}_broken.py": text})
    result = CliRunner().invoke(cli, ["--config", str(root / sp.CONFIG_NAME), "render"])
    assert result.exit_code == 2, result.output
    line = text.splitlines().index(f"    {body}") + 1
    assert f"migrations/versions/{REVISIONS[0]}_broken.py:{line}: " in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
