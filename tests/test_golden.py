"""Golden SQL: every op (and its notable variants) compiled for every dialect.

Each case in `CASES` is the body of an upgrade(). For each dialect the expected SQL is in
`tests/golden/<dialect>/<case>.sql`: the statements joined with ";\\n\\n" (ending in ";\\n"),
`-- no statements` when the op compiles to comments only, or the single line
`ERROR: <first line of the CompileError message>` for ops the dialect cannot express.

`SQLCOMPILE_REGEN_GOLDEN=1` (`make golden`) rewrites the files instead of comparing them;
review the diff like code.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import compile_body_of, compile_ops

from sqlcompile.errors import CompileError

GOLDEN = Path(__file__).parent / "golden"
DIALECTS = ("postgresql", "sqlite", "mysql", "mariadb", "mssql", "oracle")
REGEN = os.environ.get("SQLCOMPILE_REGEN_GOLDEN") == "1"

HOSTILE = "it's \\ \\' \t tab\nnew line % %s %(name)s :name :'name' $$ $q$ ? -- /* é✓🙂"

#: The schema every case starts from (replayed into the model, not rendered): what the cases'
#: ops find, so dialects that restate a definition (MySQL's MODIFY, SQL Server's named defaults,
#: SQLite's rebuilds) show it. A case may still name tables outside it (e.g. `docs`).
SETUP = """
    op.create_table("users", sa.Column("id", sa.Integer(), primary_key=True))
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer()),
        sa.Column("email", sa.String(255), nullable=False, comment="login, unique"),
        sa.Column("balance", sa.Numeric(12, 2), nullable=False, server_default="0"),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("note", sa.Text(), server_default="it's", comment="old"),
        sa.Column("code", sa.String(10)),
        sa.Column("legacy", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name="fk_accounts_owner"),
        sa.UniqueConstraint("email", name="uq_accounts_email"),
        sa.CheckConstraint("balance >= 0", name="ck_accounts_balance"),
        comment="customer's accounts",
    )
    op.create_index("ix_accounts_email", "accounts", ["email"], unique=True)
"""

CASES: dict[str, str] = {
    # -- tables ---------------------------------------------------------------------------
    "create_table": """
        op.create_table(
            "accounts",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                      nullable=False),
            sa.Column("email", sa.String(255), nullable=False, comment="login, unique"),
            sa.Column("balance", sa.Numeric(12, 2), nullable=False, server_default="0"),
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                      server_default=sa.func.now()),
            sa.Column("note", sa.Text(), server_default="it's"),
            sa.UniqueConstraint("email", name="uq_accounts_email"),
            sa.CheckConstraint("balance >= 0", name="ck_accounts_balance"),
            comment="customer accounts",
        )
    """,
    "create_table_composite_keys": """
        op.create_table(
            "book_tags",
            sa.Column("book_id", sa.Integer(), nullable=False),
            sa.Column("tag_id", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("book_id", "tag_id", name="pk_book_tags"),
            sa.ForeignKeyConstraint(["book_id"], ["books.id"], name="fk_book_tags_book"),
            sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], name="fk_book_tags_tag",
                                    ondelete="CASCADE"),
        )
    """,
    "create_table_enum": """
        op.create_table(
            "moods",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("mood", sa.Enum("happy", "sad", "it's ok", name="mood"), nullable=False),
        )
    """,
    "create_table_index": """
        op.create_table(
            "events",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("kind", sa.String(20), nullable=False, index=True),
            sa.Column("key", sa.String(40), unique=True),
        )
    """,
    "drop_table": """
        op.drop_table("accounts")
    """,
    "drop_table_if_exists": """
        op.drop_table("accounts", if_exists=True)
    """,
    "rename_table": """
        op.rename_table("accounts", "customer_accounts")
    """,
    "create_table_comment": """
        op.create_table_comment("accounts", "customer's accounts")
    """,
    "drop_table_comment": """
        op.drop_table_comment("accounts", existing_comment="customer's accounts")
    """,
    # -- columns --------------------------------------------------------------------------
    "add_column": """
        op.add_column("accounts", sa.Column("nickname", sa.String(50), nullable=True))
    """,
    "add_column_not_null_default": """
        op.add_column("accounts", sa.Column("points", sa.Integer(), nullable=False,
                                            server_default="0"))
    """,
    "add_column_not_null_no_default": """
        op.add_column("accounts", sa.Column("points", sa.Integer(), nullable=False))
    """,
    "add_column_fk": """
        op.add_column("accounts", sa.Column("manager_id", sa.Integer(),
                                            sa.ForeignKey("users.id", name="fk_accounts_manager"),
                                            nullable=True))
    """,
    "add_column_comment": """
        op.add_column("accounts", sa.Column("nickname", sa.String(50), nullable=True,
                                            comment="what friends call them"))
    """,
    "add_column_unique": """
        op.add_column("accounts", sa.Column("badge", sa.String(20), unique=True))
    """,
    "add_column_index": """
        op.add_column("accounts", sa.Column("region", sa.String(20), index=True))
    """,
    "add_column_if_not_exists": """
        op.add_column("accounts", sa.Column("nickname", sa.String(50)), if_not_exists=True)
    """,
    "drop_column": """
        op.drop_column("accounts", "legacy")
    """,
    "drop_column_if_exists": """
        op.drop_column("accounts", "legacy", if_exists=True)
    """,
    "alter_column_type": """
        op.alter_column("accounts", "balance", type_=sa.Numeric(14, 4),
                        existing_type=sa.Numeric(12, 2))
    """,
    "alter_column_type_using": """
        op.alter_column("accounts", "code", type_=sa.Integer(), existing_type=sa.String(10),
                        postgresql_using="code::integer")
    """,
    "alter_column_nullable": """
        op.alter_column("accounts", "email", nullable=True, existing_type=sa.String(255))
    """,
    "alter_column_not_nullable": """
        op.alter_column("accounts", "email", nullable=False, existing_type=sa.String(255))
    """,
    "alter_column_server_default_set": """
        op.alter_column("accounts", "note", server_default="n/a", existing_type=sa.Text())
    """,
    "alter_column_server_default_drop": """
        op.alter_column("accounts", "note", server_default=None, existing_type=sa.Text())
    """,
    "alter_column_rename": """
        op.alter_column("accounts", "note", new_column_name="remark")
    """,
    "alter_column_comment": """
        op.alter_column("accounts", "note", comment="free text, it's optional",
                        existing_type=sa.Text())
    """,
    "alter_column_comment_drop": """
        op.alter_column("accounts", "note", comment=None, existing_comment="old",
                        existing_type=sa.Text())
    """,
    # -- indexes --------------------------------------------------------------------------
    "create_index": """
        op.create_index("ix_accounts_owner_id", "accounts", ["owner_id"])
    """,
    "create_index_unique": """
        op.create_index("ix_accounts_email", "accounts", ["email"], unique=True)
    """,
    "create_index_expression": """
        op.create_index("ix_accounts_lower_email", "accounts", [sa.text("lower(email)")])
    """,
    "create_index_partial": """
        op.create_index("ix_accounts_active_email", "accounts", ["email"],
                        postgresql_where=sa.text("active"), sqlite_where=sa.text("active"))
    """,
    "create_index_partial_postgresql_only": """
        op.create_index("ix_accounts_active_email", "accounts", ["email"],
                        postgresql_where=sa.text("active"))
    """,
    "create_index_if_not_exists": """
        op.create_index("ix_accounts_owner_id", "accounts", ["owner_id"], if_not_exists=True)
    """,
    "create_index_gin": """
        op.create_index("ix_docs_body", "docs", ["body"], postgresql_using="gin")
    """,
    "create_index_concurrently": """
        with op.get_context().autocommit_block():
            op.create_index("ix_accounts_owner_id", "accounts", ["owner_id"],
                            postgresql_concurrently=True)
    """,
    "drop_index": """
        op.drop_index("ix_accounts_email", table_name="accounts")
    """,
    "drop_index_concurrently": """
        with op.get_context().autocommit_block():
            op.drop_index("ix_accounts_email", table_name="accounts",
                          postgresql_concurrently=True)
    """,
    # -- constraints ----------------------------------------------------------------------
    "create_primary_key": """
        op.create_primary_key("pk_accounts", "accounts", ["id"])
    """,
    "create_foreign_key": """
        op.create_foreign_key("fk_accounts_owner", "accounts", "users", ["owner_id"], ["id"],
                              ondelete="CASCADE", onupdate="SET NULL", deferrable=True,
                              initially="DEFERRED")
    """,
    "create_foreign_key_self": """
        op.create_foreign_key("fk_accounts_parent", "accounts", "accounts", ["parent_id"],
                              ["id"])
    """,
    "create_unique_constraint": """
        op.create_unique_constraint("uq_accounts_owner_email", "accounts", ["owner_id", "email"])
    """,
    "create_check_constraint": """
        op.create_check_constraint("ck_accounts_email", "accounts", "email <> ''")
    """,
    "create_exclude_constraint": """
        op.create_exclude_constraint("ex_accounts_owner", "accounts", ("owner_id", "="),
                                     (sa.column("email"), "="), using="btree",
                                     where="active")
    """,
    "drop_constraint_foreignkey": """
        op.drop_constraint("fk_accounts_owner", "accounts", type_="foreignkey")
    """,
    "drop_constraint_primary": """
        op.drop_constraint("pk_accounts", "accounts", type_="primary")
    """,
    "drop_constraint_unique": """
        op.drop_constraint("uq_accounts_email", "accounts", type_="unique")
    """,
    "drop_constraint_check": """
        op.drop_constraint("ck_accounts_balance", "accounts", type_="check")
    """,
    # -- SQL and data ---------------------------------------------------------------------
    "execute_string": """
        op.execute("UPDATE accounts SET note = 'a:b' WHERE note IS NULL;")
    """,
    "execute_text_bindparams": """
        op.execute(
            sa.text("UPDATE accounts SET note = :note WHERE id = :id").bindparams(
                note="it's 50%\\t:x", id=7
            )
        )
    """,
    "execute_core_update": """
        accounts = sa.table("accounts", sa.column("active"), sa.column("note"))
        op.execute(
            accounts.update()
            .where(accounts.c.note == op.inline_literal("it's"))
            .values(active=False, note="done")
        )
    """,
    "execute_ddl_element": """
        op.execute(sa.schema.DDL("CREATE VIEW active_accounts AS SELECT * FROM accounts"))
    """,
    "bulk_insert_hostile": f"""
        accounts = sa.table(
            "accounts",
            sa.column("id", sa.Integer),
            sa.column("note", sa.Text),
            sa.column("active", sa.Boolean),
            sa.column("balance", sa.Numeric(12, 2)),
        )
        op.bulk_insert(accounts, [
            {{"id": 1, "note": {HOSTILE!r}, "active": True, "balance": 1.5}},
            {{"id": 2, "note": None, "active": False, "balance": 0}},
            {{"id": 3, "note": "'; DROP TABLE accounts; --", "active": True, "balance": 10}},
        ])
    """,
    # -- batch mode -----------------------------------------------------------------------
    "batch_alter_table": """
        with op.batch_alter_table("accounts") as batch_op:
            batch_op.add_column(sa.Column("nickname", sa.String(50), nullable=True))
            batch_op.alter_column("note", new_column_name="remark")
            batch_op.create_index("ix_accounts_nickname", ["nickname"])
            batch_op.drop_index("ix_accounts_email")
            batch_op.drop_column("legacy")
    """,
    "batch_alter_table_constraints": """
        with op.batch_alter_table("accounts", schema="billing") as batch_op:
            batch_op.create_foreign_key("fk_accounts_owner", "users", ["owner_id"], ["id"],
                                        referent_schema="auth", ondelete="RESTRICT")
            batch_op.create_unique_constraint("uq_accounts_code", ["code"])
            batch_op.create_check_constraint("ck_accounts_code", "code <> ''")
            batch_op.drop_constraint("uq_accounts_email", type_="unique")
            batch_op.alter_column("code", nullable=False, existing_type=sa.String(20))
    """,
    # -- ops that restate the table from the schema model (SQLite rebuilds it) ----------------
    "rebuild_alter_column": """
        op.create_table(
            "wallets",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id", name="fk_owner")),
            sa.Column("balance", sa.Integer(), nullable=True),
            sa.Column("kind", sa.Enum("cash", "it's card", name="wallet_kind")),
        )
        op.create_index("ix_wallets_owner", "wallets", ["owner_id"])
        op.alter_column("wallets", "balance", type_=sa.Numeric(12, 2), nullable=False,
                        server_default="0")
    """,
    "rebuild_batch": """
        op.create_table(
            "wallets",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("note", sa.Text()),
            sa.Column("legacy", sa.Text()),
        )
        op.create_index("ix_wallets_legacy", "wallets", ["legacy"])
        with op.batch_alter_table("wallets") as batch_op:
            batch_op.alter_column("note", new_column_name="remark", nullable=False,
                                  server_default="-")
            batch_op.drop_column("legacy")
            batch_op.add_column(sa.Column("code", sa.String(8), nullable=False,
                                          server_default=sa.text("(hex(randomblob(4)))")))
            batch_op.create_unique_constraint("uq_wallets_code", ["code"])
    """,
}


def render(body_src: str, dialect: str, tmp_path: Path) -> str:
    """The golden text for one case and dialect."""
    try:
        statements = compile_ops(body_src, dialect, tmp_path=tmp_path, setup=SETUP)
    except CompileError as exc:
        return f"ERROR: {exc.message.splitlines()[0]}\n"
    if not statements:
        return "-- no statements\n"
    return ";\n\n".join(statements) + ";\n"


def case_params() -> list[object]:
    """Every (case, dialect) pair, with a readable test id."""
    return [pytest.param(case, dialect, id=f"{dialect}-{case}")
            for case in sorted(CASES) for dialect in DIALECTS]


@pytest.mark.parametrize(("case", "dialect"), case_params())
def test_golden(case: str, dialect: str, tmp_path: Path) -> None:
    actual = render(CASES[case], dialect, tmp_path)
    path = GOLDEN / dialect / f"{case}.sql"
    if REGEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.is_file(), f"{path} is missing; run `make golden` and review it"
    assert actual == path.read_text(encoding="utf-8")


def test_no_stale_golden_files() -> None:
    """Every golden file belongs to a case (a renamed case leaves no orphan behind)."""
    expected = {
        f"{dialect}/{case}.sql"
        for dialect in DIALECTS
        for case in CASES
    }
    found = {p.relative_to(GOLDEN).as_posix() for p in GOLDEN.glob("*/*.sql")}
    if REGEN:
        for orphan in found - expected:
            (GOLDEN / orphan).unlink()
        return
    assert found == expected


# -- what the golden files cannot show ----------------------------------------------------------


def test_concurrent_index_is_in_an_autocommit_segment(tmp_path: Path) -> None:
    body = compile_body_of(CASES["create_index_concurrently"], "postgresql", tmp_path=tmp_path,
                           setup=SETUP)
    assert [s.kind for s in body.segments] == ["autocommit"]


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("create_table", ["table accounts: customer accounts", "column accounts.email: login"]),
        ("create_table_comment", ["table accounts: customer's accounts"]),
        ("add_column_comment", ["column accounts.nickname: what friends call them"]),
        ("alter_column_comment", ["column accounts.note: free text, it's optional"]),
        ("drop_table_comment", ["comment removal has nothing to do"]),
    ],
)
def test_sqlite_states_comments_it_cannot_store(
    case: str, expected: list[str], tmp_path: Path
) -> None:
    """SQLite has no comments: each one is stated as a comment line, never silently lost."""
    body = compile_body_of(CASES[case], "sqlite", tmp_path=tmp_path, setup=SETUP)
    comments = [c for seg in body.segments for s in seg.statements for c in s.comments]
    for text in expected:
        assert any("SQLite has no comments" in c and text in c for c in comments), comments


def test_every_op_has_a_golden_case() -> None:
    from sqlcompile.ops import OPS

    public = {name for name, cls in OPS.items() if cls.public}
    used = {name for name in public if any(f"op.{name}(" in src or f"batch_op.{name}(" in src
                                           for src in CASES.values())}
    assert used == public


@pytest.mark.parametrize(("case", "dialect"), case_params())
def test_golden_sql_passes_validation(case: str, dialect: str, tmp_path: Path) -> None:
    """What the golden cases compile to is not rejected by sqlcompile's own validator."""
    from sqlcompile.dialects import get_dialect
    from sqlcompile.pipeline.validate import Validator

    try:
        statements = compile_ops(CASES[case], dialect, tmp_path=tmp_path, setup=SETUP)
    except CompileError:
        return
    validator = Validator(get_dialect(dialect))
    failed = [(sql, validator.check(sql)) for sql in statements]
    assert [f for f in failed if f[1][0] == "error"] == []


# -- bugs found reviewing the golden files ------------------------------------------------------


def test_sqlite_comment_removal_emits_no_comment_on(tmp_path: Path) -> None:
    try:
        statements = compile_ops(CASES["alter_column_comment_drop"], "sqlite", tmp_path=tmp_path,
                                 setup=SETUP)
    except CompileError:
        return  # refusing is acceptable too
    assert not [s for s in statements if s.startswith("COMMENT")]


@pytest.mark.parametrize("case", ["add_column_if_not_exists", "drop_column_if_exists"])
def test_sqlite_column_if_exists_is_not_emitted(case: str, tmp_path: Path) -> None:
    try:
        statements = compile_ops(CASES[case], "sqlite", tmp_path=tmp_path, setup=SETUP)
    except CompileError:
        return  # refusing is the expected fix
    assert not [s for s in statements if " IF NOT EXISTS " in s or " IF EXISTS " in s]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_add_column_keeps_its_column_check(dialect: str, tmp_path: Path) -> None:
    src = """
        op.add_column("accounts", sa.Column("points", sa.Integer(),
                                            sa.CheckConstraint("points >= 0", name="ck_points")))
    """
    try:
        statements = compile_ops(src, dialect, tmp_path=tmp_path, setup=SETUP)
    except CompileError:
        return  # refusing is acceptable; dropping the CHECK is not
    assert "CHECK (points >= 0)" in "\n".join(statements)


def test_add_column_primary_key_is_not_dropped(tmp_path: Path) -> None:
    src = 'op.add_column("accounts", sa.Column("id", sa.Integer(), primary_key=True))'
    try:
        statements = compile_ops(src, "postgresql", tmp_path=tmp_path, setup=SETUP)
    except CompileError:
        return  # refusing is acceptable; a column that silently is no key is not
    assert "PRIMARY KEY" in "\n".join(statements)


def test_create_index_postgresql_include(tmp_path: Path) -> None:
    src = 'op.create_index("ix_accounts_owner", "accounts", ["owner_id"], ' \
          'postgresql_include=["email"])'
    assert compile_ops(src, "postgresql", tmp_path=tmp_path, setup=SETUP) == [
        "CREATE INDEX ix_accounts_owner ON accounts (owner_id) INCLUDE (email)"
    ]
