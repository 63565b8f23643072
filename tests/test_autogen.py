"""`sqlcompile revision --autogenerate` with no database: what it finds, the script it writes
(order, renames, data loss, enum types), what `check` says, and its errors."""

from __future__ import annotations

import ast
import itertools
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import dbs
import pytest
import sqlc_project as sp
from click.testing import CliRunner, Result

from sqlcompile.cli import cli

REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden" / "autogenerate"
REGEN = os.environ.get("SQLCOMPILE_REGEN_GOLDEN") == "1"
EXAMPLE_MODELS = (REPO / "migrations" / "models.py").read_text(encoding="utf-8")
_modules = itertools.count(1)

HEADER = "import sqlalchemy as sa\n\nmetadata = sa.MetaData()\n"


def make_project(root: Path, models: str, dialects: tuple[str, ...] = ("postgresql",),
                 example: bool = False) -> Path:
    """A project in ``root`` whose models are ``models`` (module source), with the example
    history (``example``) or none."""
    root.mkdir(parents=True, exist_ok=True)
    if example:
        sp.copy_example(root)
        (root / "migrations" / "models.py").unlink()
    else:
        (root / "migrations" / "versions").mkdir(parents=True, exist_ok=True)
    set_models(root, models, dialects)
    return root


def set_models(root: Path, models: str, dialects: tuple[str, ...] = ("postgresql",)) -> None:
    """Point the project at a new models module (a new name: imported modules are cached)."""
    name = f"ag_models_{os.getpid()}_{next(_modules)}"
    (root / f"{name}.py").write_text(textwrap.dedent(models), encoding="utf-8")
    listed = ", ".join(f'"{d}"' for d in dialects)
    (root / sp.CONFIG_NAME).write_text(
        f'script_location = "migrations"\noutput_dir = "{sp.OUTPUT_DIR}"\n'
        f'dialects = [{listed}]\ntarget_metadata = "{name}:metadata"\n', encoding="utf-8")


def run(root: Path, *args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, ["--config", str(root / sp.CONFIG_NAME), *args],
                                catch_exceptions=False)
    assert result.exit_code == code, f"exit {result.exit_code}:\n{result.stderr}"
    return result


def autogen(root: Path, rev: str, *args: str, code: int = 0) -> Result:
    return run(root, "revision", "--autogenerate", "-m", f"step {rev}", "--rev-id", rev, *args,
               code=code)


def script(root: Path, rev: str) -> str:
    (path,) = (root / "migrations" / "versions").glob(f"{rev}_*.py")
    return path.read_text(encoding="utf-8")


def body(text: str, function: str) -> str:
    """The body of `upgrade()` or `downgrade()` in a script."""
    start = text.index(f"def {function}() -> None:\n") + len(f"def {function}() -> None:\n")
    end = text.find("\n\n\ndef ", start)
    return textwrap.dedent(text[start:] if end < 0 else text[start:end])


def calls(text: str) -> list[str]:
    """The op.* calls of a body in order, as `name first-argument` (`if` blocks included)."""
    out: list[str] = []

    def visit(statements: list[ast.stmt]) -> None:
        for statement in statements:
            if isinstance(statement, ast.If):
                visit(statement.body)
                visit(statement.orelse)
            elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
                func = statement.value.func
                if isinstance(func, ast.Attribute) and ast.unparse(func.value) == "op":
                    args = statement.value.args
                    first = ast.unparse(args[0]).replace("'", '"') if args else ""
                    out.append(f"{func.attr} {first}".strip())

    visit(ast.parse(text).body)
    return out


# -- the example ---------------------------------------------------------------------------


def test_example_models_match_the_history_for_every_dialect(tmp_path: Path) -> None:
    dialects = ("postgresql", "sqlite", "mysql", "mariadb", "mssql", "oracle")
    root = make_project(tmp_path / "p", EXAMPLE_MODELS, dialects, example=True)
    for dialect in dialects:
        result = autogen(root, "x", "--dialect", dialect)
        assert "no differences: no script written" in result.stderr
    assert not list((root / "migrations" / "versions").glob("x_*.py"))
    run(root, "render")
    assert "models match" in run(root, "check").stderr


def test_allow_empty_writes_an_empty_revision(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", EXAMPLE_MODELS, example=True)
    result = autogen(root, "e1", "--allow-empty")
    assert "no differences" not in result.stderr
    text = script(root, "e1")
    assert body(text, "upgrade").strip() == "pass"
    assert body(text, "downgrade").strip() == "pass"
    assert "down_revision = '6e1d2f4a8c30'" in text
    run(root, "check", code=1)  # its SQL files are not rendered yet
    run(root, "render")
    run(root, "check")


def golden_check(name: str, text: str) -> None:
    path = GOLDEN / name
    if REGEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.is_file(), f"{path} is missing: run `make golden`"
    assert text == path.read_text(encoding="utf-8"), f"{path} differs: run `make golden`"


#: The example models with changes of every kind autogenerate reports.
CHANGED_MODELS = (
    EXAMPLE_MODELS
    # a new table referencing two existing ones
    .replace('__all__ = [', textwrap.dedent('''\
        wishlist_items = sa.Table(
            "wishlist_items",
            metadata,
            sa.Column("user_id", sa.Integer, nullable=False),
            sa.Column("book_id", sa.Integer, nullable=False),
            sa.Column("added_at", sa.DateTime(timezone=True), nullable=False,
                      server_default=sa.text("CURRENT_TIMESTAMP")),
            sa.PrimaryKeyConstraint("user_id", "book_id", name="pk_wishlist_items"),
            sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
            sa.ForeignKeyConstraint(["book_id"], ["books.id"], ondelete="CASCADE"),
            comment="Books a user wants to buy later",
        )


        __all__ = [''').replace("\n\n\n__all__", "\n\n__all__"))
    # a new column with a default; a narrowed type; a dropped column
    .replace('mapped_column(sa.Date, nullable=True)\n\n    author:',
             'mapped_column(sa.Date, nullable=True)\n'
             '    subtitle: Mapped[str] = mapped_column(\n'
             '        sa.String(200), nullable=False, server_default=""\n    )\n\n    author:')
    .replace('name: Mapped[str] = mapped_column(sa.String(100), nullable=False)\n    slug',
             'name: Mapped[str] = mapped_column(sa.String(60), nullable=False)\n    slug')
    .replace('''    internal_note: Mapped[str | None] = mapped_column(
        sa.Text, nullable=True, comment="Staff-only note, never shown to the customer"
    )
''', "")
    # nullability, comment and default changes
    .replace('bio: Mapped[str | None] = mapped_column(sa.Text, nullable=True)',
             'bio: Mapped[str] = mapped_column(sa.Text, nullable=False, comment="Short biography")')
    .replace('quantity: Mapped[int] = mapped_column(sa.Integer, nullable=False, '
             'server_default=sa.text("1"))',
             'quantity: Mapped[int] = mapped_column(sa.Integer, nullable=False, '
             'server_default=sa.text("2"))')
    # keys and indexes: an index dropped and one added, a check dropped, a unique added,
    # a foreign key's ON DELETE changed
    .replace('        sa.Index("ix_books_title", "title"),\n', "")
    .replace('        sa.CheckConstraint("stock >= 0", '
             'name=conv("ck_books_stock_non_negative")),\n', "")
    .replace('        sa.Index("ix_reviews_user_id", "user_id"),\n',
             '        sa.Index("ix_reviews_user_id", "user_id"),\n'
             '        sa.Index("ix_reviews_created_at", "created_at"),\n')
    .replace('sa.UniqueConstraint("email", name="uq_users_email"),',
             'sa.UniqueConstraint("email", name="uq_users_email"),\n'
             '        sa.UniqueConstraint("phone", name="uq_users_phone"),')
    .replace('["order_id"], ["orders.id"], name="fk_order_items_order_id_orders", '
             'ondelete="CASCADE"',
             '["order_id"], ["orders.id"], name="fk_order_items_order_id_orders", '
             'ondelete="RESTRICT"')
)


def test_changed_models_are_all_edited() -> None:
    assert CHANGED_MODELS.count("\n") > EXAMPLE_MODELS.count("\n")
    for marker in ("wishlist_items", "subtitle", "String(60)", "Short biography",
                   'text("2")', "ix_reviews_created_at", "uq_users_phone", 'ondelete="RESTRICT"'):
        assert marker in CHANGED_MODELS
    for gone in ("internal_note", '"ix_books_title"', "ck_books_stock_non_negative"):
        assert gone not in CHANGED_MODELS


def test_golden_script_for_the_example_models_from_nothing(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", EXAMPLE_MODELS)
    autogen(root, "0001")
    golden_check("initial.py", script(root, "0001"))


def test_golden_script_for_changed_example_models(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", CHANGED_MODELS, example=True)
    result = autogen(root, "0013")
    text = script(root, "0013")
    golden_check("changes.py", text)
    # what the report says, and where the script says it
    stderr = result.stderr
    assert "warning: data loss: drops column orders.internal_note and its values" in stderr
    assert "warning: data loss: tags.name: narrows VARCHAR(100) to VARCHAR(60)" in stderr
    upgrade = body(text, "upgrade")
    assert "# DATA LOSS: drops column orders.internal_note and its values\n" \
           "op.drop_column(\"orders\", \"internal_note\")" in upgrade
    assert "# DATA LOSS: drops table wishlist_items" in body(text, "downgrade")


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite", "mysql", "mariadb", "mssql",
                                     "oracle"])
def test_changed_example_renders_and_matches_for_every_dialect(dialect: str,
                                                               tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", CHANGED_MODELS, (dialect,), example=True)
    autogen(root, "0013")
    run(root, "render")
    assert "no differences" in autogen(root, "0014").stderr
    run(root, "check")


# -- order -----------------------------------------------------------------------------------

CHAIN = HEADER + '''
sa.Table("a_leaf", metadata, sa.Column("id", sa.Integer, primary_key=True),
         sa.Column("mid_id", sa.Integer, sa.ForeignKey("b_mid.id", name="fk_leaf_mid")))
sa.Table("b_mid", metadata, sa.Column("id", sa.Integer, primary_key=True),
         sa.Column("root_id", sa.Integer, sa.ForeignKey("c_root.id", name="fk_mid_root")),
         sa.Column("note", sa.String(20)), sa.Index("ix_mid_note", "note"))
sa.Table("c_root", metadata, sa.Column("id", sa.Integer, primary_key=True))
sa.Table("d_cycle", metadata, sa.Column("id", sa.Integer, primary_key=True),
         sa.Column("e_id", sa.Integer, sa.ForeignKey("e_cycle.id", name="fk_d_e")))
sa.Table("e_cycle", metadata, sa.Column("id", sa.Integer, primary_key=True),
         sa.Column("d_id", sa.Integer, sa.ForeignKey("d_cycle.id", name="fk_e_d")))
'''

#: Then: the root and the cycle go, b_mid loses its key to the root and its indexed column.
AFTER = HEADER + '''
sa.Table("a_leaf", metadata, sa.Column("id", sa.Integer, primary_key=True),
         sa.Column("mid_id", sa.Integer, sa.ForeignKey("b_mid.id", name="fk_leaf_mid")))
sa.Table("b_mid", metadata, sa.Column("id", sa.Integer, primary_key=True),
         sa.Column("root_id", sa.Integer))
'''


def test_new_tables_follow_the_tables_they_reference(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", CHAIN)
    autogen(root, "0001")
    text = script(root, "0001")
    up = calls(body(text, "upgrade"))
    assert up == [
        'create_table "c_root"', 'create_table "b_mid"', 'create_index op.f("ix_mid_note")',
        'create_table "a_leaf"',
        # d and e reference each other: one is created first without its key to the other,
        # which is added once both exist
        'create_table "e_cycle"', 'create_table "d_cycle"', 'create_foreign_key op.f("fk_e_d")',
    ]
    down = calls(body(text, "downgrade"))
    assert down.index('drop_table "a_leaf"') < down.index('drop_table "b_mid"') \
        < down.index('drop_table "c_root"')
    assert down[0] == 'drop_constraint op.f("fk_e_d")'


def test_drops_come_before_what_they_depend_on(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", CHAIN)
    autogen(root, "0001")
    set_models(root, AFTER)
    autogen(root, "0002")
    up = calls(body(script(root, "0002"), "upgrade"))
    # the key from b_mid to c_root is dropped before c_root; the index before its column;
    # one key of the d/e cycle before both tables
    assert up.index('drop_constraint op.f("fk_mid_root")') < up.index('drop_table "c_root"')
    assert up.index('drop_index op.f("ix_mid_note")') < up.index('drop_column "b_mid"')
    first_cycle_drop = min(up.index('drop_table "d_cycle"'), up.index('drop_table "e_cycle"'))
    assert any(c.startswith("drop_constraint op.f(\"fk_") and up.index(c) < first_cycle_drop
               and c in ('drop_constraint op.f("fk_d_e")', 'drop_constraint op.f("fk_e_d")')
               for c in up)


@pytest.mark.parametrize("db_fixture", ["pg_db", "sqlite_db", "mariadb_db"])
def test_ordered_scripts_apply_up_and_down(db_fixture: str, tmp_path: Path,
                                           request: pytest.FixtureRequest) -> None:
    db: dbs.ScratchDB = request.getfixturevalue(db_fixture)
    dialect = {"pg_db": "postgresql", "sqlite_db": "sqlite", "mariadb_db": "mariadb"}[db_fixture]
    root = make_project(tmp_path / "p", CHAIN, (dialect,))
    autogen(root, "0001")
    set_models(root, AFTER, (dialect,))
    autogen(root, "0002")
    rendered = sp.render(root, dialect)
    for path in rendered.upgrade:
        sp.apply_ok(db, path)
    assert sorted(t for t in db.tables() if t != sp.VERSION_TABLE) == ["a_leaf", "b_mid"]
    for path in reversed(rendered.downgrade):
        sp.apply_ok(db, path)
    assert [t for t in db.tables() if t != sp.VERSION_TABLE] == []


# -- renames ---------------------------------------------------------------------------------

BEFORE_RENAME = HEADER + '''
sa.Table("customer", metadata, sa.Column("id", sa.Integer, primary_key=True),
         sa.Column("name", sa.String(80), nullable=False),
         sa.Column("born", sa.Date))
'''

AFTER_RENAME = HEADER + '''
sa.Table("customers", metadata, sa.Column("id", sa.Integer, primary_key=True),
         sa.Column("full_name", sa.String(80), nullable=False),
         sa.Column("born", sa.Date))
'''


def test_drop_and_add_that_look_like_renames_are_suggested(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", BEFORE_RENAME)
    autogen(root, "0001")
    set_models(root, AFTER_RENAME.replace('"customers"', '"customer"'))
    result = autogen(root, "0002")
    assert ("suggestion: column customer.name is dropped and full_name added with the same "
            "type; if it was renamed, run again with --rename customer.name=full_name"
            ) in result.stderr
    set_models(root, AFTER_RENAME.replace('"full_name"', '"name"'))
    (root / "migrations" / "versions" / next(
        p.name for p in (root / "migrations" / "versions").glob("0002_*.py"))).unlink()
    result = autogen(root, "0002")
    assert ("suggestion: table customer is dropped and customers added with the same columns; "
            "if it was renamed, run again with --rename customer=customers") in result.stderr


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_rename_option_renames_instead(dialect: str, tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", BEFORE_RENAME, (dialect,))
    autogen(root, "0001")
    set_models(root, AFTER_RENAME, (dialect,))
    result = autogen(root, "0002", "--rename", "customer=customers",
                     "--rename", "customer.name=full_name")
    assert "data loss" not in result.stderr
    text = script(root, "0002")
    assert calls(body(text, "upgrade")) == ['rename_table "customer"',
                                            'alter_column "customers"']
    assert 'new_column_name="full_name"' in body(text, "upgrade")
    assert calls(body(text, "downgrade")) == ['alter_column "customers"',
                                              'rename_table "customers"']
    run(root, "render")
    assert "no differences" in autogen(root, "0003").stderr


@pytest.mark.parametrize("spec, message", [
    ("nosuch=customers", "the history's schema has no table nosuch"),
    ("customer=other", "the models have no table other"),
    ("customer.nosuch=full_name", "has no column nosuch"),
    ("customer.name", "expected TABLE.OLD=NEW"),
])
def test_bad_renames_are_usage_errors(spec: str, message: str, tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", BEFORE_RENAME)
    autogen(root, "0001")
    set_models(root, AFTER_RENAME.replace('"customers"', '"customer"'))
    result = autogen(root, "0002", "--rename", spec, code=2)
    assert message in result.stderr
    assert not list((root / "migrations" / "versions").glob("0002_*.py"))


# -- data loss -------------------------------------------------------------------------------

def test_widening_is_not_data_loss_narrowing_is(tmp_path: Path) -> None:
    models = HEADER + '''
sa.Table("t", metadata, sa.Column("id", sa.Integer, primary_key=True),
         sa.Column("code", sa.String(10)), sa.Column("amount", sa.Numeric(10, 2)),
         sa.Column("n", sa.BigInteger))
'''
    root = make_project(tmp_path / "p", models)
    autogen(root, "0001")
    set_models(root, models.replace("String(10)", "String(20)")
               .replace("Numeric(10, 2)", "Numeric(12, 2)"))
    result = autogen(root, "0002")
    assert "data loss" not in result.stderr
    assert "DATA LOSS" not in body(script(root, "0002"), "upgrade")
    assert "# DATA LOSS: t.code: narrows VARCHAR(20) to VARCHAR(10)" in \
        body(script(root, "0002"), "downgrade")
    run(root, "render")
    set_models(root, models.replace("sa.BigInteger", "sa.Integer"))
    result = autogen(root, "0003")
    assert "warning: data loss: t.n: narrows BIGINT to INTEGER" in result.stderr
    assert "warning: data loss: t.code: narrows VARCHAR(20) to VARCHAR(10)" in result.stderr


# -- PostgreSQL enum types -------------------------------------------------------------------

ENUMS = HEADER + '''
sa.Table("tickets", metadata, sa.Column("id", sa.Integer, primary_key=True),
         sa.Column("state", sa.Enum("open", "closed", name="ticket_state"), nullable=False))
'''


def test_enum_types_are_created_extended_and_dropped(pg_db: dbs.ScratchDB,
                                                     tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", ENUMS, ("postgresql", "sqlite"))
    autogen(root, "0001")
    # a value added between the others, and a new enum type on a new column
    set_models(root, ENUMS.replace('"open", "closed"', '"open", "waiting", "closed"').replace(
        'nullable=False))', 'nullable=False),\n         sa.Column("prio", sa.Enum("low", "high", '
        'name="ticket_prio")))'), ("postgresql", "sqlite"))
    result = autogen(root, "0002")
    text = script(root, "0002")
    upgrade = body(text, "upgrade")
    assert 'sa.Enum("low", "high", name="ticket_prio").create(op.get_bind())' in upgrade
    assert ("if op.get_context().dialect.name == \"postgresql\":\n"
            "    op.execute(\"ALTER TYPE ticket_state ADD VALUE 'waiting' AFTER 'open'\")"
            ) in upgrade
    assert upgrade.index("ticket_prio\").create") < upgrade.index("op.add_column")
    assert "PostgreSQL cannot remove enum values: ticket_state keeps waiting" in result.stderr
    downgrade = body(text, "downgrade")
    assert downgrade.index("op.drop_column") < downgrade.index(".drop(op.get_bind())")
    # the model follows ALTER TYPE ... ADD VALUE: nothing is left to do
    run(root, "render")
    assert "no differences" in autogen(root, "0003").stderr
    assert "no differences" in autogen(root, "0003", "--dialect", "sqlite").stderr
    rendered = sp.render(root, "postgresql")
    for path in rendered.upgrade:
        sp.apply_ok(pg_db, path)
    labels = pg_db.query("SELECT e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = "
                         "e.enumtypid WHERE t.typname = 'ticket_state' ORDER BY e.enumsortorder")
    assert [r[0] for r in labels] == ["open", "waiting", "closed"]
    sp.apply_ok(pg_db, rendered.downgrade[-1])
    types = pg_db.query("SELECT typname FROM pg_type WHERE typname LIKE 'ticket_%' "
                        "AND typtype = 'e' ORDER BY 1")
    assert [r[0] for r in types] == ["ticket_state"]


# -- check -----------------------------------------------------------------------------------

def test_check_fails_when_the_models_and_the_history_disagree(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", EXAMPLE_MODELS, ("postgresql", "sqlite"), example=True)
    run(root, "render")
    run(root, "check")
    set_models(root, EXAMPLE_MODELS.replace("sa.String(40)", "sa.String(50)"),
               ("postgresql", "sqlite"))
    result = run(root, "check", code=1)
    assert "models differ from the history (postgresql):" in result.stderr
    assert "models differ from the history (sqlite):" in result.stderr
    assert "~ changed column users.phone: type VARCHAR(40) -> VARCHAR(50)" in result.stderr
    assert "sqlcompile revision --autogenerate" in result.stderr


# -- errors ----------------------------------------------------------------------------------

def test_no_target_metadata_is_a_usage_error(tmp_path: Path) -> None:
    root = tmp_path / "p"
    sp.copy_example(root)
    result = autogen(root, "x", code=2)
    assert "`target_metadata` is not set" in result.stderr
    assert 'target_metadata = "package.models:metadata"' in result.stderr


def test_models_that_fail_to_import_name_their_line(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", HEADER + "\nraise RuntimeError('boom')\n")
    result = autogen(root, "x", code=2)
    assert "ag_models_" in result.stderr and ".py:5: importing the models" in result.stderr
    assert "RuntimeError: boom" in result.stderr


def test_missing_models_module_is_a_config_error(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", HEADER)
    config = root / sp.CONFIG_NAME
    config.write_text(config.read_text().replace(':metadata"', '_gone:metadata"'))
    result = autogen(root, "x", code=2)
    assert "cannot import module" in result.stderr


def test_autogenerate_only_options_need_autogenerate(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", HEADER)
    result = run(root, "revision", "-m", "x", "--allow-empty", code=2)
    assert "only apply with --autogenerate" in result.stderr


# -- byte-stable output ----------------------------------------------------------------------

def test_script_is_the_same_whatever_the_hash_seed(tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "2", "3"):
        root = make_project(tmp_path / f"p{seed}", CHANGED_MODELS, example=True)
        env = {**os.environ, "PYTHONHASHSEED": seed, "TZ": "Pacific/Auckland"}
        subprocess.run([sys.executable, "-m", "sqlcompile", "--config",
                        str(root / sp.CONFIG_NAME), "revision", "--autogenerate", "-m",
                        "changes", "--rev-id", "0013"], check=True, env=env,
                       capture_output=True, cwd=root)
        outputs.append(script(root, "0013"))
    assert outputs[0] == outputs[1] == outputs[2]


# -- comparison details ----------------------------------------------------------------------

def test_enum_values_differing_only_in_case_are_a_type_change() -> None:
    import sqlalchemy as sa

    from sqlcompile.dialects import get_dialect

    mysql = get_dialect("mysql")
    assert mysql.type_key(sa.Enum("a", "b")) != mysql.type_key(sa.Enum("A", "B"))
    assert mysql.type_key(sa.String(5)) == mysql.type_key(sa.VARCHAR(5))


def test_removals_are_listed_by_name_whatever_the_history_order(tmp_path: Path) -> None:
    models = HEADER + '''
t = sa.Table("t", metadata, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("x", sa.Integer), sa.Column("y", sa.Integer))
'''
    root = make_project(tmp_path / "p", models)
    autogen(root, "0001")
    # a hand-written revision creates them out of name order
    (root / "migrations" / "versions" / "0002_keys.py").write_text(textwrap.dedent('''\
        from alembic import op

        revision = "0002"
        down_revision = "0001"


        def upgrade():
            op.create_check_constraint("ck_b", "t", "y > 0")
            op.create_check_constraint("ck_a", "t", "x > 0")
            op.create_index("ix_b", "t", ["y"])
            op.create_index("ix_a", "t", ["x"])


        def downgrade():
            pass
        '''), encoding="utf-8")
    autogen(root, "0003")
    assert calls(body(script(root, "0003"), "upgrade")) == [
        'drop_constraint op.f("ck_a")', 'drop_constraint op.f("ck_b")',
        'drop_index op.f("ix_a")', 'drop_index op.f("ix_b")']


def test_self_check_reports_what_a_script_leaves_undone(tmp_path: Path) -> None:
    from sqlcompile.autogen.generate import autogenerate, self_check
    from sqlcompile.commands import script_text
    from sqlcompile.config import load_config
    from sqlcompile.dialects import get_dialect
    from sqlcompile.pipeline.render import load_project

    root = make_project(tmp_path / "p", CHANGED_MODELS, example=True)
    project = load_project(load_config(root / sp.CONFIG_NAME))
    result = autogenerate(project, get_dialect("postgresql"))
    upgrade, downgrade = result.upgrade_body(), result.downgrade_body()
    path, text = script_text(project.config, "x", "6e1d2f4a8c30", rev_id="x",
                             upgrade_body=upgrade, downgrade_body=downgrade)
    assert self_check(text, path.name, project, result) == []
    # without the new index, and with a downgrade that forgets to drop the new column
    broken = text.replace('    op.create_index(op.f("ix_reviews_created_at"), "reviews", '
                          '["created_at"], unique=False)\n', "")
    broken = broken.replace('    op.drop_column("books", "subtitle")\n', "")
    assert broken.count("\n") == text.count("\n") - 2
    assert self_check(broken, path.name, project, result) == [
        "after upgrade(): added index ix_reviews_created_at on reviews",
        "after downgrade(): removed column books.subtitle",
    ]


@pytest.mark.parametrize("db_fixture", ["pg_db", "sqlite_db", "mariadb_db"])
def test_a_type_of_another_kind_converts_rows_and_default(db_fixture: str, tmp_path: Path,
                                                          request: pytest.FixtureRequest) -> None:
    db: dbs.ScratchDB = request.getfixturevalue(db_fixture)
    dialect = {"pg_db": "postgresql", "sqlite_db": "sqlite", "mariadb_db": "mariadb"}[db_fixture]
    models = HEADER + '''
sa.Table("flags", metadata, sa.Column("id", sa.Integer, primary_key=True),
         sa.Column("on", sa.String(10), nullable=False, server_default="0"))
'''
    root = make_project(tmp_path / "p", models, (dialect,))
    autogen(root, "0001")
    set_models(root, models.replace('sa.String(10), nullable=False, server_default="0"',
                                    'sa.Boolean, nullable=False, server_default=sa.false()'),
               (dialect,))
    result = autogen(root, "0002")
    assert "warning: data loss: flags.on: changes the type from" in result.stderr
    text = script(root, "0002")
    assert "postgresql_using='\"on\"::BOOLEAN'" in body(text, "upgrade")
    assert "postgresql_using='\"on\"::VARCHAR(10)'" in body(text, "downgrade")
    rendered = sp.render(root, dialect)
    sp.apply_ok(db, rendered.upgrade[0])
    # a row to convert (with the old default, which every engine reads as false), and a
    # default PostgreSQL cannot cast by itself ('0'::varchar to boolean)
    sp.apply_ok(db, "INSERT INTO flags (id) VALUES (1)")
    sp.apply_ok(db, rendered.upgrade[1])
    assert [tuple(map(int, r)) for r in db.query("SELECT id, " + ('"on"' if dialect !=
            "mariadb" else "`on`") + " FROM flags")] == [(1, 0)]
    assert "no differences" in autogen(root, "0003").stderr
    sp.apply_ok(db, rendered.downgrade[1])
    sp.apply_ok(db, rendered.downgrade[0])
