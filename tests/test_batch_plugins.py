"""Op plugins registered on Alembic's BatchOperations run as `batch_op.<name>()`.

A plugin of our own (written into the test's folder) registers `add_flag` on both
`Operations` and `BatchOperations`, the way Alembic's own operations are registered, and
`only_op` on `Operations` alone.
"""

from __future__ import annotations

import sys
from pathlib import Path

import dbs
import pytest
from histories import line_of, run, script, write
from sqlc_project import apply_ok, render

pytest.importorskip("alembic")

FLAG_PLUGIN = '''\
"""A plugin with a batch variant (a fixture of tests/test_batch_plugins.py)."""
import sqlalchemy as sa
from alembic.operations import BatchOperations, MigrateOperation, Operations, ops


@Operations.register_operation("add_flag")
@BatchOperations.register_operation("add_flag", "batch_add_flag")
class AddFlagOp(MigrateOperation):
    """Add a NOT NULL boolean column, false for the rows there are."""

    def __init__(self, table_name, flag, schema=None):
        self.table_name = table_name
        self.flag = flag
        self.schema = schema

    @classmethod
    def add_flag(cls, operations, table_name, flag, *, schema=None):
        return operations.invoke(cls(table_name, flag, schema=schema))

    @classmethod
    def batch_add_flag(cls, operations, flag):
        return operations.invoke(cls(operations.impl.table_name, flag,
                                     schema=operations.impl.schema))


@Operations.implementation_for(AddFlagOp)
def add_flag(operations, operation):
    column = sa.Column(operation.flag, sa.Boolean(), nullable=False,
                       server_default=sa.false())
    operations.invoke(ops.AddColumnOp(operation.table_name, column, schema=operation.schema))
    operations.execute(f"UPDATE {operation.table_name} SET n = n + 1")


@Operations.register_operation("only_op")
class OnlyOp(MigrateOperation):
    @classmethod
    def only_op(cls, operations, table_name):
        return operations.invoke(cls())


@Operations.implementation_for(OnlyOp)
def only_op(operations, operation):
    operations.execute("SELECT 1")
'''

UPGRADE = """
op.create_table("t", sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("n", sa.Integer, nullable=False, server_default="0"))
op.execute("INSERT INTO t (id) VALUES (1)")
with op.batch_alter_table("t", recreate="always") as batch_op:
    batch_op.add_flag("active")
    batch_op.alter_column("n", server_default="5")
    batch_op.invoke(flag_plugin.AddFlagOp("t", "seen"))
op.add_flag("t", "plain")
"""


@pytest.fixture
def flag_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "lib"
    folder.mkdir()
    (folder / "flag_plugin.py").write_text(FLAG_PLUGIN, encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delitem(sys.modules, "flag_plugin", raising=False)


def _project(root: Path, upgrade: str, dialects: list[str]) -> str:
    text = script("a1", None, upgrade, 'op.drop_table("t")', top="import flag_plugin")
    write(root, {"a1_flags.py": text}, dialects)
    return text


@pytest.mark.usefixtures("flag_plugin")
@pytest.mark.parametrize(("dialect", "db_fixture"), [("postgresql", "pg_db"),
                                                      ("sqlite", "sqlite_db")])
def test_a_batch_plugin_op_joins_the_block(dialect: str, db_fixture: str, tmp_path: Path,
                                           request: pytest.FixtureRequest) -> None:
    db: dbs.ScratchDB = request.getfixturevalue(db_fixture)
    root = tmp_path / "p"
    _project(root, UPGRADE, ["postgresql", "sqlite"])
    files = render(root, dialect)
    upgrade = files.upgrade[0].read_text(encoding="utf-8")
    # Each flag's UPDATE runs where the plugin executes it, after its column is there.
    assert upgrade.count("UPDATE t SET n = n + 1;") == 3
    apply_ok(db, files.upgrade[0])
    assert db.query("SELECT id, n FROM t") == [(1, 3)]
    flags = db.query("SELECT active, seen, plain FROM t")
    assert [tuple(bool(v) for v in row) for row in flags] == [(False, False, False)]
    db.query("INSERT INTO t (id) VALUES (2)")
    assert db.query("SELECT n FROM t WHERE id = 2") == [(5,)]
    apply_ok(db, files.downgrade[0])


@pytest.mark.usefixtures("flag_plugin")
def test_the_batch_op_names_the_blocks_schema(tmp_path: Path) -> None:
    _project(tmp_path, """
        op.create_table("t", sa.Column("n", sa.Integer), schema="shop")
        with op.batch_alter_table("t", schema="shop") as batch_op:
            batch_op.add_flag("active")
    """, ["postgresql"])
    done = run(tmp_path, "render", "--stdout")
    assert done.code == 0, done.stderr
    assert "ALTER TABLE shop.t ADD COLUMN active BOOLEAN DEFAULT false NOT NULL;" in \
        done.stdout.decode()


@pytest.mark.usefixtures("flag_plugin")
def test_a_plugin_op_registered_on_operations_only_is_not_on_batch_op(tmp_path: Path) -> None:
    text = _project(tmp_path, """
        op.create_table("t", sa.Column("n", sa.Integer))
        with op.batch_alter_table("t") as batch_op:
            assert not hasattr(batch_op, "no_such_op")
            batch_op.only_op()
    """, ["postgresql"])
    done = run(tmp_path, "render")
    assert done.code == 2, done.stderr
    assert done.errors()[0].startswith(
        f"error: migrations/versions/a1_flags.py:{line_of(text, 'batch_op.only_op')}: "
        "batch_op.only_op(): the op plugin registers only_op on Alembic's Operations only, "
        "not on BatchOperations"), done.stderr
    assert "hint: call op.only_op(...) with the table name" in done.stderr
