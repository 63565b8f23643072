"""The mysql and mariadb targets on the real MariaDB server: MODIFY from the schema model, the
guard, the numbered steps of a file that fails half-way, and what needs the model to compile."""

from __future__ import annotations

import re
from pathlib import Path

import dbs
import pytest
import sqlc_project as sp
from helpers import compile_ops

from sqlcompile.errors import CompileError

TARGETS = ("mysql", "mariadb")

HEADER = '''"""{message}"""
from alembic import op
import sqlalchemy as sa

revision = "{revision}"
down_revision = {down!r}
branch_labels = None
depends_on = None

'''

CREATE = '''
def upgrade():
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(100), nullable=False, server_default="nobody@example.org",
                  comment="login, it's unique"),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("accounts.id", name="fk_owner")),
        sa.Column("code", sa.String(10), nullable=True),
        sa.UniqueConstraint("code", name="uq_accounts_code"),
        sa.CheckConstraint("code <> ''", name="ck_accounts_id"),
    )
    op.create_index("ix_accounts_owner", "accounts", ["owner_id", "code"])
    op.execute("INSERT INTO accounts (id, email) VALUES (1, 'a@example.org')")


def downgrade():
    op.drop_table("accounts")
'''

# Nothing but the change: the model supplies NOT NULL, the default and the comment.
ALTER = '''
def upgrade():
    op.alter_column("accounts", "email", type_=sa.String(200))
    op.alter_column("accounts", "code", new_column_name="ref", type_=sa.String(20))


def downgrade():
    op.alter_column("accounts", "ref", new_column_name="code", type_=sa.String(10))
    op.alter_column("accounts", "email", type_=sa.String(100))
'''

# Types taken from the model: none of these names its constraint's kind.
DROPS = '''
def upgrade():
    op.drop_constraint("uq_accounts_code", "accounts")
    op.drop_constraint("ck_accounts_id", "accounts")
    op.drop_constraint("fk_owner", "accounts")
    op.drop_index("ix_accounts_owner")


def downgrade():
    op.create_index("ix_accounts_owner", "accounts", ["owner_id", "ref"])
    op.create_foreign_key("fk_owner", "accounts", "accounts", ["owner_id"], ["id"])
    op.create_check_constraint("ck_accounts_id", "accounts", "ref <> ''")
    op.create_unique_constraint("uq_accounts_code", "accounts", ["ref"])
'''

# The third statement fails on the server (the row with id 1 exists).
FAILING = '''
def upgrade():
    op.add_column("accounts", sa.Column("a1", sa.Integer()))
    op.add_column("accounts", sa.Column("a2", sa.Integer()))
    op.execute("INSERT INTO accounts (id, email) VALUES (1, 'again@example.org')")
    op.add_column("accounts", sa.Column("a3", sa.Integer()))


def downgrade():
    op.drop_column("accounts", "a3")
    op.drop_column("accounts", "a2")
    op.drop_column("accounts", "a1")
'''

REVISIONS = ["m0001", "m0002", "m0003", "m0004"]


def write(root: Path) -> Path:
    bodies = [CREATE, ALTER, DROPS, FAILING]
    scripts = {}
    for i, (rev, body) in enumerate(zip(REVISIONS, bodies, strict=True)):
        head = HEADER.format(message=f"step {i + 1}", revision=rev,
                             down=REVISIONS[i - 1] if i else None)
        scripts[f"{rev}_m.py"] = head + body
    return sp.write_history(root, scripts)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(tmp_path_factory.mktemp("mysql"))


def show_create(db: dbs.MariaDB, table: str = "accounts") -> str:
    return str(db.query(f"SHOW CREATE TABLE `{table}`")[0][1])


def column_line(db: dbs.MariaDB, column: str) -> str:
    (line,) = [s.strip() for s in show_create(db).splitlines()
               if s.strip().startswith(f"`{column}`")]
    return line


def state(db: dbs.MariaDB) -> tuple[list[str], list[str], list[str], str]:
    return db.tables(), sp.version_rows(db), [show_create(db, t) for t in db.tables()], ""


@pytest.mark.parametrize("dialect", TARGETS)
def test_alter_column_keeps_not_null_default_and_comment(
    project: Path, dialect: str, mariadb_db: dbs.MariaDB
) -> None:
    files = sp.render(project, dialect)
    sp.apply_ok(mariadb_db, files.upgrade[0])
    before = column_line(mariadb_db, "email")
    assert "NOT NULL" in before and "COMMENT 'login, it''s unique'" in before
    sp.apply_ok(mariadb_db, files.upgrade[1])
    assert column_line(mariadb_db, "email") == before.replace("varchar(100)", "varchar(200)")
    assert column_line(mariadb_db, "ref").startswith("`ref` varchar(20) DEFAULT NULL")
    text = sp.sql_text(files.upgrade[1])
    assert "ALTER TABLE accounts MODIFY email VARCHAR(200) NOT NULL" in text
    assert "ALTER TABLE accounts CHANGE code ref VARCHAR(20);" in text
    sp.apply_ok(mariadb_db, files.downgrade[1])
    assert column_line(mariadb_db, "email") == before


@pytest.mark.parametrize("dialect", TARGETS)
def test_drops_take_the_kind_from_the_model(
    project: Path, dialect: str, mariadb_db: dbs.MariaDB
) -> None:
    files = sp.render(project, dialect)
    text = sp.sql_text(files.upgrade[2])
    check = "DROP CHECK" if dialect == "mysql" else "DROP CONSTRAINT"
    for sql in ("ALTER TABLE accounts DROP INDEX uq_accounts_code",
                f"ALTER TABLE accounts {check} ck_accounts_id",
                "ALTER TABLE accounts DROP FOREIGN KEY fk_owner",
                "DROP INDEX ix_accounts_owner ON accounts"):
        assert sql in text
    if dialect == "mysql":
        return  # MySQL's DROP CHECK: no MySQL 8 server here
    for path in files.upgrade[:3]:
        sp.apply_ok(mariadb_db, path)
    created = show_create(mariadb_db)
    for name in ("uq_accounts_code", "ck_accounts_id", "fk_owner", "ix_accounts_owner"):
        assert f"`{name}`" not in created
    for path in reversed(files.downgrade[:3]):
        sp.apply_ok(mariadb_db, path)
    assert mariadb_db.tables() == [sp.VERSION_TABLE]


@pytest.mark.parametrize("dialect", TARGETS)
def test_guard_refusals_change_nothing(
    project: Path, dialect: str, mariadb_db: dbs.MariaDB
) -> None:
    files = sp.render(project, dialect)
    sp.apply_ok(mariadb_db, files.upgrade[0])
    snapshot = state(mariadb_db)
    refusals = [
        (files.upgrade[0], "expects the version table to hold [no revision (empty)] but found "
                           "[m0001]"),  # applied twice
        (files.upgrade[2], "expects the version table to hold [m0002] but found [m0001]"),
        (files.downgrade[1], "expects the version table to hold [m0002] but found [m0001]"),
    ]
    for path, message in refusals:
        result = sp.apply(mariadb_db, path)
        assert result.returncode != 0, path.name
        assert "Incorrect integer value: 'sqlcompile guard: " in result.stderr
        assert message in result.stderr and "nothing was changed" in result.stderr
        assert state(mariadb_db) == snapshot, path.name


@pytest.mark.parametrize("dialect", TARGETS)
def test_failing_step_leaves_the_version_row_and_names_the_step(
    project: Path, dialect: str, mariadb_db: dbs.MariaDB
) -> None:
    files = sp.render(project, dialect)
    # MariaDB rejects MySQL's DROP CHECK of revision 3: that one comes from the mariadb files.
    ready = [*files.upgrade[:2], sp.render(project, "mariadb").upgrade[2]]
    for path in ready:
        sp.apply_ok(mariadb_db, path)
    text = sp.sql_text(files.upgrade[3])
    assert "DDL commits implicitly on" in text
    result = sp.apply(mariadb_db, files.upgrade[3])
    assert result.returncode != 0
    match = re.search(r"ERROR \d+ \(\w+\) at line (\d+): Duplicate entry '1' for key 'PRIMARY'",
                      result.stderr)
    assert match, result.stderr
    lines = text.splitlines()[: int(match.group(1)) - 1]
    marker = next(line for line in reversed(lines) if line.startswith("-- step "))
    assert marker == "-- step 3 of 5 (upgrade 0004 m0004)"
    assert sp.version_rows(mariadb_db) == ["m0003"]
    columns = mariadb_db.query(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = %s"
        " AND table_name = 'accounts' ORDER BY ordinal_position", [mariadb_db.name])
    assert [c[0] for c in columns][-2:] == ["a1", "a2"]  # steps 1 and 2 ran, 4 did not


@pytest.mark.parametrize("dialect", TARGETS)
def test_model_gaps_fail_with_the_argument_to_pass(dialect: str, tmp_path: Path) -> None:
    cases = {
        'op.alter_column("t", "c", nullable=False)': "existing_type=",
        'op.drop_constraint("c1", "t")': "type_=",
        'op.drop_index("ix_t")': "table_name=",
        'op.add_column("t", sa.Column("c", sa.Text(), comment="smile \U0001f642"))': "utf8mb3",
    }
    for source, wanted in cases.items():
        with pytest.raises(CompileError) as caught:
            compile_ops(source, dialect, tmp_path=tmp_path / str(len(wanted)))
        assert wanted in f"{caught.value.message} {caught.value.hint}", source


@pytest.mark.parametrize("dialect", TARGETS)
def test_existing_arguments_stand_in_for_the_model(dialect: str, tmp_path: Path) -> None:
    source = ('op.alter_column("t", "c", nullable=False, existing_type=sa.String(5), '
              'existing_server_default="x", existing_comment="c\'s")')
    assert compile_ops(source, dialect, tmp_path=tmp_path) == [
        "ALTER TABLE t MODIFY c VARCHAR(5) NOT NULL COMMENT 'c''s' DEFAULT 'x'"
    ]


def test_a_composite_key_column_is_not_made_auto_increment(mariadb_db: dbs.MariaDB,
                                                           tmp_path: Path) -> None:
    """MODIFY restates a column of a two-column primary key without AUTO_INCREMENT (MariaDB
    refuses it on a column that is not a key of its own); a one-column key keeps it."""
    setup = """
        op.create_table("m", sa.Column("k", sa.String(10), primary_key=True),
                        sa.Column("v", sa.Integer, primary_key=True))
        op.create_table("s", sa.Column("id", sa.Integer, primary_key=True))
    """
    body = """
        op.alter_column("m", "v", type_=sa.BigInteger, existing_type=sa.Integer)
        op.alter_column("s", "id", type_=sa.BigInteger, existing_type=sa.Integer)
    """
    created = compile_ops(setup, "mariadb", tmp_path=tmp_path / "a")
    altered = compile_ops(body, "mariadb", tmp_path=tmp_path / "b", setup=setup)
    assert altered == ["ALTER TABLE m MODIFY v BIGINT NOT NULL",
                       "ALTER TABLE s MODIFY id BIGINT NOT NULL AUTO_INCREMENT"]
    dbs.apply_ok(mariadb_db, ";\n".join([*created, *altered]) + ";\n")
    extra = mariadb_db.query("SELECT column_name, extra FROM information_schema.columns "
                             "WHERE table_schema = DATABASE() AND column_name IN ('v', 'id')")
    assert sorted(extra) == [("id", "auto_increment"), ("v", "")]
