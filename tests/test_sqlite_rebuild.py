"""SQLite table rebuilds, applied to real SQLite files with foreign keys ON.

A history creates a parent and a child table (ON DELETE CASCADE) with hostile values, then runs
every op SQLite cannot do in place; each file is applied on its own connection with
`PRAGMA foreign_keys = ON` first, as a careful DBA would. Rows and values must survive every
rebuild, children must never be cascade-deleted, a foreign key violation must abort the whole
file, and the downgrades must bring the database back to empty.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import dbs
import pytest
import sqlc_project as sp
from helpers import compile_body_of

from sqlcompile.errors import CompileError

VALUES = ["it's", "back\\slash", "tab\there", "new\nline", "%(x)s :name $$ -- /* ?", "é✓🙂", ""]

HEADER = '''"""{message}

Revision ID: {revision}
"""
from alembic import op
import sqlalchemy as sa

revision = "{revision}"
down_revision = {down!r}
VALUES = {values!r}
'''

CREATE = '''
def upgrade():
    op.create_table(
        "parent",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(50), nullable=True),
        sa.Column("mood", sa.Enum("calm", "it's fine", name="mood"), nullable=True),
    )
    op.create_index("ix_parent_name", "parent", ["name"])
    op.create_table(
        "child",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("parent_id", sa.Integer(),
                  sa.ForeignKey("parent.id", name="fk_child_parent", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
    )
    parent = sa.table("parent", sa.column("id"), sa.column("name"), sa.column("mood"))
    op.bulk_insert(parent, [{"id": i, "name": v, "mood": "it's fine"}
                            for i, v in enumerate(VALUES, 1)])
    child = sa.table("child", sa.column("id"), sa.column("parent_id"), sa.column("note"))
    op.bulk_insert(child, [{"id": 10 + i, "parent_id": i, "note": v}
                           for i, v in enumerate(VALUES, 1)])


def downgrade():
    op.drop_table("child")
    op.drop_index("ix_parent_name", table_name="parent")
    op.drop_table("parent")
'''

# Every op that SQLite used to refuse, on the parent table (which children reference).
ALTER = '''
def upgrade():
    op.alter_column("parent", "name", type_=sa.Text(), nullable=False, server_default="none")
    op.add_column("parent", sa.Column("rank", sa.Integer(), nullable=False, server_default="7"))
    op.add_column("parent", sa.Column("stamp", sa.String(30), nullable=True,
                                      server_default=sa.text("(datetime('now'))")))
    op.add_column("parent", sa.Column("code", sa.String(10), unique=True))
    op.create_check_constraint("ck_parent_rank", "parent", "rank > 0")
    op.create_unique_constraint("uq_parent_name", "parent", ["name"])
    op.add_column("child", sa.Column("other_id", sa.Integer(),
                                     sa.ForeignKey("parent.id", name="fk_child_other")))
    op.drop_column("parent", "code")


def downgrade():
    op.drop_constraint("fk_child_other", "child", type_="foreignkey")
    op.drop_column("child", "other_id")
    op.add_column("parent", sa.Column("code", sa.String(10), unique=True))
    op.drop_constraint("uq_parent_name", "parent", type_="unique")
    op.drop_constraint("ck_parent_rank", "parent", type_="check")
    op.drop_column("parent", "stamp")
    op.drop_column("parent", "rank")
    op.alter_column("parent", "name", type_=sa.String(50), nullable=True, server_default=None)
'''

BATCH = '''
def upgrade():
    with op.batch_alter_table("child") as batch_op:
        batch_op.alter_column("note", new_column_name="body", nullable=False,
                              server_default="-")
        batch_op.add_column(sa.Column("weight", sa.Numeric(8, 2), nullable=False,
                                      server_default="1.5"))
        batch_op.create_index("ix_child_body", ["body"])


def downgrade():
    with op.batch_alter_table("child") as batch_op:
        batch_op.drop_index("ix_child_body")
        batch_op.drop_column("weight")
        batch_op.alter_column("body", new_column_name="note", nullable=True,
                              server_default=None)
'''

REVISIONS = ["r1create", "r2alter", "r3batch"]
BODIES = [CREATE, ALTER, BATCH]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scripts = {}
    for i, (rev, body) in enumerate(zip(REVISIONS, BODIES, strict=True)):
        head = HEADER.format(message=f"step {i + 1}", revision=rev,
                             down=REVISIONS[i - 1] if i else None, values=VALUES)
        scripts[f"{rev}.py"] = head + body
    return sp.write_history(tmp_path_factory.mktemp("rebuild"), scripts)


def apply_fk_on(db: dbs.SQLiteDB, path: Path | str) -> dbs.ApplyResult:
    """Apply a file on a fresh connection whose foreign keys are ON, as a DBA might."""
    text = sp.sql_text(path) if isinstance(path, Path) else path
    return db.apply("PRAGMA foreign_keys = ON;\n" + text)


def apply_ok(db: dbs.SQLiteDB, path: Path | str) -> None:
    result = apply_fk_on(db, path)
    assert result.returncode == 0, result.stderr


def parents(db: dbs.SQLiteDB, columns: str = "id, name") -> list[tuple[Any, ...]]:
    return db.query(f"SELECT {columns} FROM parent ORDER BY id")


def children(db: dbs.SQLiteDB, columns: str = "id, parent_id, note") -> list[tuple[Any, ...]]:
    return db.query(f"SELECT {columns} FROM child ORDER BY id")


def child_fk_targets(db: dbs.SQLiteDB) -> list[str]:
    return sorted({row[2] for row in db.query("SELECT * FROM pragma_foreign_key_list('child')")})


def test_rebuilds_keep_rows_and_children(project: Path, sqlite_db: dbs.SQLiteDB) -> None:
    files = sp.render(project, "sqlite")
    up1, up2, up3 = files.upgrade
    apply_ok(sqlite_db, up1)
    want_parents = [(i, v) for i, v in enumerate(VALUES, 1)]
    want_children = [(10 + i, i, v) for i, v in enumerate(VALUES, 1)]
    assert parents(sqlite_db) == want_parents
    assert children(sqlite_db) == want_children

    text = sp.sql_text(up2)
    assert text.index("PRAGMA foreign_keys = OFF") < text.index("BEGIN EXCLUSIVE;")
    assert text.rindex("pragma_foreign_key_check") < text.rindex("COMMIT;")
    assert text.rindex("PRAGMA foreign_keys = ON") > text.rindex("COMMIT;")
    apply_ok(sqlite_db, up2)
    # Every value and every child row survived the parent's rebuilds; new columns have their
    # defaults (constant and expression) on the existing rows.
    assert parents(sqlite_db, "id, name, rank, mood") == [
        (i, v, 7, "it's fine") for i, v in enumerate(VALUES, 1)]
    assert all(stamp for (stamp,) in sqlite_db.query("SELECT stamp FROM parent"))
    assert children(sqlite_db) == want_children
    assert child_fk_targets(sqlite_db) == ["parent"]  # the rename kept the children's FKs
    assert sqlite_db.query("SELECT name FROM sqlite_master WHERE name LIKE '_sqlcompile%'") == []
    indexes = sqlite_db.query("SELECT name FROM sqlite_master WHERE type = 'index' "
                              "AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name")
    assert indexes == [("ix_parent_name",)]
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        sqlite_db.query("UPDATE parent SET rank = 0 WHERE id = 1")
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        sqlite_db.query("UPDATE parent SET mood = 'angry' WHERE id = 1")  # the Enum's CHECK
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        sqlite_db.query("UPDATE parent SET name = 'it''s' WHERE id = 2")

    apply_ok(sqlite_db, up3)
    assert children(sqlite_db, "id, parent_id, body, weight") == [
        (10 + i, i, v, 1.5) for i, v in enumerate(VALUES, 1)]

    for path in reversed(files.downgrade):
        apply_ok(sqlite_db, path)
        if path == files.downgrade[1]:
            assert parents(sqlite_db) == want_parents
            assert children(sqlite_db) == want_children
    assert sqlite_db.tables() == [sp.VERSION_TABLE]
    assert sp.version_rows(sqlite_db) == []


def test_foreign_key_violation_aborts_the_file(project: Path, sqlite_db: dbs.SQLiteDB) -> None:
    files = sp.render(project, "sqlite")
    apply_ok(sqlite_db, files.upgrade[0])
    # An orphan child, inserted while foreign keys were off: the check must catch it.
    sqlite_db.query("INSERT INTO child (id, parent_id, note) VALUES (99, 12345, 'orphan')")
    before = sqlite_db.query("SELECT sql FROM sqlite_master ORDER BY name")
    result = apply_fk_on(sqlite_db, files.upgrade[1])
    assert result.returncode != 0
    assert "foreign key check failed" in result.stderr and "child" in result.stderr
    assert sqlite_db.query("SELECT sql FROM sqlite_master ORDER BY name") == before
    assert sp.version_rows(sqlite_db) == [REVISIONS[0]]
    assert len(children(sqlite_db)) == len(VALUES) + 1


def test_trigger_on_the_table_aborts_the_rebuild(project: Path,
                                                  sqlite_db: dbs.SQLiteDB) -> None:
    files = sp.render(project, "sqlite")
    apply_ok(sqlite_db, files.upgrade[0])
    sqlite_db.query("CREATE TRIGGER tr_parent AFTER UPDATE ON parent BEGIN SELECT 1; END")
    result = apply_fk_on(sqlite_db, files.upgrade[1])
    assert result.returncode != 0
    assert "would drop its trigger tr_parent" in result.stderr
    assert sp.version_rows(sqlite_db) == [REVISIONS[0]]


def test_stream_in_one_transaction(project: Path, sqlite_db: dbs.SQLiteDB) -> None:
    """With transaction_per_migration = false the pragma still precedes the only BEGIN."""
    config = project / sp.CONFIG_NAME
    original = config.read_text(encoding="utf-8")
    config.write_text(original + "transaction_per_migration = false\n", encoding="utf-8")
    try:
        stream = sp.render_stream(project, "sqlite")
    finally:
        config.write_text(original, encoding="utf-8")
    assert stream.count("BEGIN EXCLUSIVE;") == 1
    assert stream.index("PRAGMA foreign_keys = OFF") < stream.index("BEGIN EXCLUSIVE;")
    apply_ok(sqlite_db, stream)
    assert children(sqlite_db, "id, parent_id, body") == [
        (10 + i, i, v) for i, v in enumerate(VALUES, 1)]


def test_batch_is_one_rebuild(project: Path) -> None:
    files = sp.render(project, "sqlite")
    text = sp.sql_text(files.upgrade[2])
    assert text.count("CREATE TABLE _sqlcompile_new_child") == 1
    assert text.count("DROP TABLE child") == 1


def test_in_place_ops_stay_in_place(tmp_path: Path) -> None:
    src = """
        op.create_table("t", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("a", sa.Text))
        with op.batch_alter_table("t") as batch_op:
            batch_op.add_column(sa.Column("b", sa.Text, nullable=True))
            batch_op.alter_column("a", new_column_name="c")
            batch_op.drop_column("b")
        op.rename_table("t", "u")
    """
    body = compile_body_of(src, "sqlite", tmp_path=tmp_path)
    sql = [s.sql for seg in body.segments for s in seg.statements if s.sql]
    assert body.framing == ()
    assert sql[1:] == [
        "ALTER TABLE t ADD COLUMN b TEXT",
        "ALTER TABLE t RENAME COLUMN a TO c",
        "ALTER TABLE t DROP COLUMN b",
        "ALTER TABLE t RENAME TO u",
    ]


def test_rebuild_of_an_unknown_table_fails_clearly(tmp_path: Path) -> None:
    src = 'op.alter_column("made_by_raw_sql", "x", type_=sa.Text)'
    with pytest.raises(CompileError) as caught:
        compile_body_of(src, "sqlite", tmp_path=tmp_path)
    assert "needs a rebuild of table made_by_raw_sql" in caught.value.message
    assert "op.create_table()" in (caught.value.hint or "")


TRIGGER_HISTORY = {
    "t1.py": HEADER.format(message="accounts with a trigger", revision="t1", down=None,
                           values=VALUES) + '''
def upgrade():
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("balance", sa.Integer(), nullable=True),
        sa.Column("changes", sa.Integer(), nullable=False, server_default="0"),
    )
    op.execute("""
        CREATE TRIGGER tr_account_changes AFTER UPDATE OF balance ON account
        BEGIN
            UPDATE account SET changes = changes + 1 WHERE id = NEW.id;
        END;
    """)
    op.execute("INSERT INTO account (id, balance) VALUES (1, 10)")


def downgrade():
    op.drop_table("account")
''',
    "t2.py": HEADER.format(message="balance not null", revision="t2", down="t1",
                           values=VALUES) + '''
def upgrade():
    op.alter_column("account", "balance", nullable=False, server_default="0")


def downgrade():
    op.alter_column("account", "balance", nullable=True, server_default=None)
''',
}


def test_triggers_from_the_history_are_created_again(tmp_path: Path,
                                                     sqlite_db: dbs.SQLiteDB) -> None:
    """A trigger created by raw SQL is in the schema model, so a rebuild of its table creates
    it again (verbatim) instead of refusing; it keeps firing afterwards, both ways."""
    root = sp.write_history(tmp_path, TRIGGER_HISTORY)
    files = sp.render(root, "sqlite")
    up2 = sp.sql_text(files.upgrade[1])
    assert "CREATE TABLE _sqlcompile_new_account" in up2
    assert "AND name NOT IN ('tr_account_changes')" in up2
    assert up2.count("CREATE TRIGGER tr_account_changes") == 1
    for path in files.upgrade:
        apply_ok(sqlite_db, path)

    def fired() -> list[tuple[Any, ...]]:
        sqlite_db.query("UPDATE account SET balance = balance + 1 WHERE id = 1")
        return sqlite_db.query("SELECT balance, changes FROM account")

    assert fired() == [(11, 1)]
    apply_ok(sqlite_db, files.downgrade[1])
    assert fired() == [(12, 2)]  # rebuilt again on the way down, trigger and row intact
    apply_ok(sqlite_db, files.downgrade[0])
    assert sqlite_db.tables() == [sp.VERSION_TABLE]
    schema_sql = (root / sp.OUTPUT_DIR / "sqlite" / "schema.sql").read_text("utf-8")
    assert "CREATE TRIGGER tr_account_changes AFTER UPDATE OF balance ON account" in schema_sql


def test_batch_ops_sqlite_cannot_express_are_refused_in_place_too(tmp_path: Path) -> None:
    body = '''
op.create_table("t", sa.Column("id", sa.Integer(), primary_key=True))
with op.batch_alter_table("t") as batch_op:
    batch_op.add_column(sa.Column("note", sa.Text()), if_not_exists=True)
'''
    with pytest.raises(CompileError, match="SQLite has no ADD COLUMN IF NOT EXISTS"):
        compile_body_of(body, "sqlite", tmp_path=tmp_path)
