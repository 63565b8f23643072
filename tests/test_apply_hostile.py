"""A history full of hostile identifiers and literals, applied up and down on real databases.

Tables `user`, `order`, `select` and "MixedCase" (column "CamelCol"), columns `from`, `group`,
`desc`; values with quotes, backslashes, control characters, paramstyle and psql look-alikes,
dollar quotes, comment markers and 4-byte characters, inserted by op.bulk_insert and by
op.execute(text().bindparams()), and a raw op.execute string that must come out verbatim.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import dbs
import pytest
import sqlc_project as sp

HOSTILE = [
    "it's",
    "'",
    "''",
    "back\\slash",
    "ends with a backslash \\",
    "\\'",
    "\\\\server\\share \\n \\t \\x41",
    "tab\there",
    "new\nline",
    "crlf\r\nline",
    "bare\rcr",
    "50%",
    "%s",
    "%%",
    "%(x)s",
    "%(name)s and %s and %%s",
    ":name",
    ":'name'",
    ':"name"',
    "x::text",
    "$$",
    "$$ dollar body $$",
    "$tag$ tagged $tag$",
    "$1",
    "-- not a comment",
    "/* not a comment",
    "*/",
    "?",
    "??",
    ";",
    '"double"',
    "é✓🙂",
    "\U0001f642\U0001d11e four-byte only",
    "",
    "  leading and trailing  ",
    "\x01\x1b\x7f controls \x0b\x0c",
    "\u2028 line separator \x85",
    "psql meta-commands inside a literal:\n\\q\n\\! echo oops\n\\.\n;\n",
    "mix: it's 50% \\ :name $$ -- /* ? \r\n é✓🙂",
]
COMMENT = "note: it's 50% :name $$ -- /* ? \\ é✓🙂\nsecond line */ DROP TABLE x;"
# MySQL and MariaDB store comments in utf8mb3: no 4-byte characters (sqlcompile refuses them).
COMMENT_MYSQL = "".join(ch for ch in COMMENT if ord(ch) <= 0xFFFF)
DEFAULT = "it's a \\ default: %s %(x)s :name $$ -- /* ?"
RAW_SQL = (
    "INSERT INTO \"select\" (id, \"from\", \"group\", \"desc\") "
    "VALUES (1000, ':name', '50%', '%s %(x)s ? :x::y $$ \\n -- /* not a comment')"
)
# MySQL and MariaDB quote names with backticks, and a backslash in a literal is an escape there.
RAW_SQL_MYSQL = RAW_SQL.replace('"', "`").replace("\\", "\\\\")
RAW_ROW = (1000, ":name", "50%", "%s %(x)s ? :x::y $$ \\n -- /* not a comment")
# In text() a backslash-escaped colon is a plain colon; percent signs are plain text.
TEXT_SQL = (
    "INSERT INTO \"select\" (id, \"from\", \"group\", \"desc\") "
    "VALUES (1001, '100% %s %% %(x)s', '\\:escaped x\\:y', :v)"
)
TEXT_ROW = (1001, "100% %s %% %(x)s", ":escaped x:y", "it's :v")

HEADER = '''"""{message}

Revision ID: {revision}
"""
from alembic import op
import sqlalchemy as sa

revision = "{revision}"
down_revision = {down!r}
branch_labels = None
depends_on = None
HOSTILE = {hostile!r}


def q(sql):
    """Names quoted as the target dialect quotes them (the SQL below writes "name")."""
    if op.get_context().dialect.name in ("mysql", "mariadb"):
        return sql.replace('"', "`")
    return sql
'''

SCRIPT_1 = '''
def upgrade() -> None:
    op.create_table(
        "user",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("from", sa.Text(), nullable=True),
        sa.Column("group", sa.Text(), nullable=True),
        sa.Column("desc", sa.Text(), nullable=True),
    )
    op.create_table(
        "order",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user.id", name="fk_order_user"),
                  nullable=True),
        sa.Column("select", sa.Text(), nullable=True),
    )
    op.create_index("ix_order_select", "order", ["select"])
    op.create_table(
        "select",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("from", sa.Text(), nullable=True),
        sa.Column("group", sa.Text(), nullable=True),
        sa.Column("desc", sa.Text(), nullable=True),
    )
    op.create_table(
        "MixedCase",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("CamelCol", sa.Text(), nullable=True),
    )
    op.create_index("IxMixedCamel", "MixedCase", ["CamelCol"])


def downgrade() -> None:
    op.drop_index("IxMixedCamel", table_name="MixedCase")
    op.drop_table("MixedCase")
    op.drop_table("select")
    op.drop_index("ix_order_select", table_name="order")
    op.drop_table("order")
    op.drop_table("user")
'''

SCRIPT_2 = '''
def upgrade() -> None:
    user = sa.table(
        "user", sa.column("id", sa.Integer), sa.column("from", sa.Text),
        sa.column("group", sa.Text), sa.column("desc", sa.Text),
    )
    op.bulk_insert(user, [
        {"id": i, "from": v, "group": "g" + v, "desc": v + "d"}
        for i, v in enumerate(HOSTILE, 1)
    ])
    mixed = sa.table("MixedCase", sa.column("id"), sa.column("CamelCol"))
    op.bulk_insert(mixed, [{"id": i, "CamelCol": v} for i, v in enumerate(HOSTILE, 1)])


def downgrade() -> None:
    op.execute(q('DELETE FROM "MixedCase"'))
    op.execute(q('DELETE FROM "user"'))
'''

SCRIPT_3 = '''
RAW_SQL = {raw!r}
RAW_SQL_MYSQL = {raw_mysql!r}
TEXT_SQL = {text!r}


def upgrade() -> None:
    for i, v in enumerate(HOSTILE, 1):
        op.execute(
            sa.text(q(
                'INSERT INTO "select" (id, "from", "group", "desc") '
                "VALUES (:id, :from, :group, :desc)"
            )).bindparams(**{{"id": i, "from": v, "group": "g" + v, "desc": v + "d"}})
        )
        op.execute(
            sa.text(q('INSERT INTO "order" (id, user_id, "select") VALUES (:id, :uid, :sel)'))
            .bindparams(id=i, uid=i, sel=v)
        )
    mysql = op.get_context().dialect.name in ("mysql", "mariadb")
    op.execute(RAW_SQL_MYSQL if mysql else RAW_SQL)
    op.execute(sa.text(q(TEXT_SQL)).bindparams(v="it's :v"))


def downgrade() -> None:
    op.execute(q('DELETE FROM "select" WHERE id IN (1000, 1001)'))
    for v in HOSTILE:
        op.execute(sa.text(q('DELETE FROM "select" WHERE "from" = :v')).bindparams(v=v))
        op.execute(sa.text(q('DELETE FROM "order" WHERE "select" = :v')).bindparams(v=v))
'''

SCRIPT_4 = '''
COMMENT = {comment!r}
COMMENT_MYSQL = {comment_mysql!r}
DEFAULT = {default!r}


def upgrade() -> None:
    mysql = op.get_context().dialect.name in ("mysql", "mariadb")
    op.add_column(
        "MixedCase",
        sa.Column("desc", sa.Text(), nullable=True, server_default=DEFAULT,
                  comment=COMMENT_MYSQL if mysql else COMMENT),
    )
    op.alter_column("user", "desc", new_column_name="order")


def downgrade() -> None:
    op.alter_column("user", "order", new_column_name="desc")
    op.drop_column("MixedCase", "desc")
'''

MESSAGES = [
    "create `user`, `order`, `select` and MixedCase: it's 50% :name $$ -- /* ?",
    "seed user and MixedCase with bulk_insert",
    "seed select and order with text().bindparams() and raw SQL",
    'add "MixedCase"."desc" with a hostile default and comment; rename user.desc',
]
REVISIONS = ["h0001aa", "h0002bb", "h0003cc", "h0004dd"]
HOSTILE_TABLES = ["MixedCase", "order", "select", "user"]


def write_hostile_history(root: Path) -> Path:
    bodies = [
        SCRIPT_1,
        SCRIPT_2,
        SCRIPT_3.format(raw=RAW_SQL, raw_mysql=RAW_SQL_MYSQL, text=TEXT_SQL),
        SCRIPT_4.format(comment=COMMENT, comment_mysql=COMMENT_MYSQL, default=DEFAULT),
    ]
    scripts = {}
    for i, (rev, message, body) in enumerate(zip(REVISIONS, MESSAGES, bodies, strict=True)):
        down = REVISIONS[i - 1] if i else None
        head = HEADER.format(message=message, revision=rev, down=down, hostile=HOSTILE)
        scripts[f"{rev}_hostile.py"] = head + body
    return sp.write_history(root, scripts)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_hostile_history(tmp_path_factory.mktemp("hostile"))


def assert_exact(found: list[tuple[Any, ...]], expected: list[tuple[Any, ...]]) -> None:
    """Equal rows, and every string equal byte for byte in UTF-8."""
    assert found == expected
    for got_row, want_row in zip(found, expected, strict=True):
        for got, want in zip(got_row, want_row, strict=True):
            if isinstance(want, str):
                assert isinstance(got, str) and got.encode("utf-8") == want.encode("utf-8")


def expected_people() -> list[tuple[Any, ...]]:
    return [(i, v, "g" + v, v + "d") for i, v in enumerate(HOSTILE, 1)]


def column_comment(db: dbs.ScratchDB) -> str | None:
    if isinstance(db, dbs.MariaDB):
        return str(db.query(
            "SELECT column_comment FROM information_schema.columns WHERE table_schema = %s"
            " AND table_name = 'MixedCase' AND column_name = 'desc'", [db.name])[0][0])
    found = db.query(
        "SELECT col_description('\"MixedCase\"'::regclass, attnum) FROM pg_attribute"
        " WHERE attrelid = '\"MixedCase\"'::regclass AND attname = 'desc'"
    )
    assert len(found) == 1
    value: str | None = found[0][0]
    return value


def query(db: dbs.ScratchDB, sql: str) -> list[tuple[Any, ...]]:
    """Run a query written with "quoted" names, backtick-quoted on MariaDB."""
    return db.query(sql.replace('"', "`") if isinstance(db, dbs.MariaDB) else sql)


def check_upgraded(db: dbs.ScratchDB) -> None:
    assert db.tables() == sorted([*HOSTILE_TABLES, sp.VERSION_TABLE])
    assert sp.version_rows(db) == [REVISIONS[-1]]
    people = query(db, 'SELECT id, "from", "group", "order" FROM "user" ORDER BY id')
    assert_exact(people, expected_people())
    mixed = query(db, 'SELECT id, "CamelCol", "desc" FROM "MixedCase" ORDER BY id')
    assert_exact(mixed, [(i, v, DEFAULT) for i, v in enumerate(HOSTILE, 1)])
    selected = query(db, 'SELECT id, "from", "group", "desc" FROM "select" ORDER BY id')
    assert_exact(selected, [*expected_people(), RAW_ROW, TEXT_ROW])
    orders = query(db, 'SELECT id, user_id, "select" FROM "order" ORDER BY id')
    assert_exact(orders, [(i, i, v) for i, v in enumerate(HOSTILE, 1)])
    if isinstance(db, dbs.PostgresDB):
        assert column_comment(db) == COMMENT
    if isinstance(db, dbs.MariaDB):
        assert column_comment(db) == COMMENT_MYSQL


def check_empty(db: dbs.ScratchDB) -> None:
    assert db.tables() == [sp.VERSION_TABLE]
    assert sp.version_rows(db) == []


DBS = [("pg_db", "postgresql"), ("sqlite_db", "sqlite"), ("mariadb_db", "mariadb"),
       ("mariadb_db", "mysql")]


@pytest.mark.parametrize("dialect", [*sp.DIALECTS, "mysql", "mariadb"])
def test_raw_sql_is_verbatim(project: Path, dialect: str) -> None:
    files = sp.render(project, dialect)
    text = sp.sql_text(files.upgrade[2])
    raw = RAW_SQL_MYSQL if dialect in ("mysql", "mariadb") else RAW_SQL
    statement = re.compile("^" + re.escape(raw) + "\n?;$", re.MULTILINE)
    assert statement.search(text)
    assert statement.search(sp.render_stream(project, dialect))


@pytest.mark.parametrize("db_fixture, dialect", DBS)
def test_files_up_then_down(project: Path, db_fixture: str, dialect: str,
                            request: pytest.FixtureRequest) -> None:
    db: dbs.ScratchDB = request.getfixturevalue(db_fixture)
    files = sp.render(project, dialect)
    assert [sp.revision_of(p) for p in files.upgrade] == REVISIONS
    for path in files.upgrade:
        sp.apply_ok(db, path)
    check_upgraded(db)

    down4, down3, down2, down1 = reversed(files.downgrade)
    sp.apply_ok(db, down4)
    assert sp.version_rows(db) == [REVISIONS[2]]
    people = query(db, 'SELECT id, "from", "group", "desc" FROM "user" ORDER BY id')
    assert_exact(people, expected_people())
    mixed = query(db, 'SELECT * FROM "MixedCase" ORDER BY id')
    assert_exact(mixed, [(i, v) for i, v in enumerate(HOSTILE, 1)])

    sp.apply_ok(db, down3)  # deletes each row by its hostile value, bound in a WHERE
    assert sp.version_rows(db) == [REVISIONS[1]]
    assert query(db, 'SELECT * FROM "select"') == []
    assert query(db, 'SELECT * FROM "order"') == []
    assert len(query(db, 'SELECT * FROM "user"')) == len(HOSTILE)

    sp.apply_ok(db, down2)
    assert sp.version_rows(db) == [REVISIONS[0]]
    assert query(db, 'SELECT * FROM "user"') == []
    assert query(db, 'SELECT * FROM "MixedCase"') == []

    sp.apply_ok(db, down1)
    check_empty(db)


@pytest.mark.parametrize("db_fixture, dialect", DBS)
def test_stream_up_then_down(project: Path, db_fixture: str, dialect: str,
                             request: pytest.FixtureRequest) -> None:
    db: dbs.ScratchDB = request.getfixturevalue(db_fixture)
    sp.apply_ok(db, sp.render_stream(project, dialect))
    check_upgraded(db)
    sp.apply_ok(db, sp.render_stream(project, dialect, "--downgrade"))
    check_empty(db)


@pytest.mark.parametrize("dialect", ["mssql", "oracle"])
def test_compiles_for_targets_without_a_server(project: Path, dialect: str) -> None:
    """No SQL Server or Oracle here: the hostile history compiles and validates (run_cli
    asserts exit 0), and every hostile value is in the files as the dialect's own literal
    renderer writes it, once per row it inserts."""
    from sqlcompile.dialects import get_dialect

    files = sp.render(project, dialect)
    text = "".join(sp.sql_text(path) for path in files.upgrade)
    support = get_dialect(dialect)
    for value in HOSTILE:
        if value:
            assert support.render_string(value) in text, value
    assert len(files.upgrade) == len(files.downgrade) >= 3
