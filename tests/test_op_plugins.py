"""Op plugins written for Alembic compile offline, run by their own code, and apply.

The plugins are real ones, installed as dev dependencies: alembic-postgresql-enum
(`op.sync_enum_values`) and alembic-utils (`op.create_entity`, `op.drop_entity`,
`op.replace_entity`), plus a small plugin of our own that reaches for every part of Alembic's
`Operations` a plugin uses. The histories are ours, written the way projects use the plugins.
"""

from __future__ import annotations

import importlib.abc
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import dbs
import pytest
from click.testing import CliRunner, Result
from sqlc_project import apply_ok, render, render_stream, run_cli, write_history

from sqlcompile.cli import cli

pytest.importorskip("alembic_postgresql_enum")
pytest.importorskip("alembic_utils")

HEADER = '''\
"""{message}"""
from alembic import op
import sqlalchemy as sa
{imports}
revision = {revision!r}
down_revision = {down!r}
branch_labels = None
depends_on = None

'''


def script(message: str, revision: str, down: str | None, body: str, imports: str = "") -> str:
    """A migration script: the header, then ``body`` (module-level code and both functions)."""
    return HEADER.format(message=message, imports=imports, revision=revision,
                         down=down) + "\n" + textwrap.dedent(body).lstrip()


ENUM_IMPORTS = "from alembic_postgresql_enum import TableReference\n"
ENTITY_IMPORTS = ("from alembic_utils.pg_function import PGFunction\n"
                  "from alembic_utils.pg_view import PGView\n")

PRIORITY_COLUMN = '''TableReference(table_schema="public", table_name="tickets",
                               column_name="priority",
                               existing_server_default="'low'::ticket_priority")'''

#: A ticket tracker: an enum column with a server default whose values a plugin syncs, a view
#: and a function alembic-utils creates, then replaces, each undone by its downgrade.
HISTORY = {
    "a1_tickets.py": script("tickets with a priority enum", "a1", None, '''
        def upgrade():
            op.create_table(
                "tickets",
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("title", sa.String(80), nullable=False),
                sa.Column("priority", sa.Enum("low", "high", name="ticket_priority"),
                          nullable=False, server_default="low"),
            )


        def downgrade():
            op.drop_table("tickets")
            sa.Enum(name="ticket_priority").drop(op.get_bind())
        '''),
    "b2_medium.py": script("medium priority", "b2", "a1", f'''
        def upgrade():
            op.sync_enum_values(
                enum_schema="public",
                enum_name="ticket_priority",
                new_values=["low", "medium", "high"],
                affected_columns=[{PRIORITY_COLUMN}],
                enum_values_to_rename=[],
            )


        def downgrade():
            op.sync_enum_values(
                enum_schema="public",
                enum_name="ticket_priority",
                new_values=["low", "high"],
                affected_columns=[{PRIORITY_COLUMN}],
                enum_values_to_rename=[],
            )
        ''', ENUM_IMPORTS),
    "c3_entities.py": script("urgent tickets view and a label function", "c3", "b2", '''
        urgent_tickets = PGView(
            schema="public",
            signature="urgent_tickets",
            definition="SELECT id, title FROM tickets WHERE priority = 'high'",
        )
        ticket_label = PGFunction(
            schema="public",
            signature="ticket_label(title text)",
            definition="RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT upper(title) $$",
        )


        def upgrade():
            op.create_entity(urgent_tickets)
            op.create_entity(ticket_label)


        def downgrade():
            op.drop_entity(ticket_label)
            op.drop_entity(urgent_tickets)
        ''', ENTITY_IMPORTS),
    "d4_replace.py": script("urgent tickets show their priority", "d4", "c3", '''
        old_view = PGView(
            schema="public",
            signature="urgent_tickets",
            definition="SELECT id, title FROM tickets WHERE priority = 'high'",
        )
        new_view = PGView(
            schema="public",
            signature="urgent_tickets",
            definition="SELECT id, title, priority FROM tickets WHERE priority = 'high'",
        )
        old_label = PGFunction(
            schema="public",
            signature="ticket_label(title text)",
            definition="RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT upper(title) $$",
        )
        new_label = PGFunction(
            schema="public",
            signature="ticket_label(title text)",
            definition="RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT '#' || upper(title) $$",
        )


        def upgrade():
            op.replace_entity(new_view)
            op.replace_entity(new_label)


        def downgrade():
            op.replace_entity(old_label)
            op.replace_entity(old_view)
        ''', ENTITY_IMPORTS),
}


def project(root: Path, scripts: dict[str, str], dialects: tuple[str, ...] = ("postgresql",)
            ) -> Path:
    """A project with ``scripts`` that both sqlcompile and (through env.py) Alembic read."""
    write_history(root, scripts)
    listed = ", ".join(f'"{d}"' for d in dialects)
    (root / "sqlcompile.toml").write_text(
        f'script_location = "migrations"\noutput_dir = "out"\ndialects = [{listed}]\n',
        encoding="utf-8")
    (root / "migrations" / "env.py").write_text(ALEMBIC_ENV, encoding="utf-8")
    return root


def invoke(root: Path, *args: str) -> Result:
    """`sqlcompile --config ROOT/sqlcompile.toml ARGS` in-process, whatever its exit code."""
    return CliRunner().invoke(cli, ["--config", str(root / "sqlcompile.toml"), *args],
                              catch_exceptions=False)


# -- the real plugins, applied to PostgreSQL ------------------------------------------------------


def enum_values(db: dbs.PostgresDB) -> list[str]:
    rows = db.query("SELECT unnest(enum_range(NULL::ticket_priority))::text")
    return [row[0] for row in rows]


def entities(db: dbs.PostgresDB) -> tuple[list[str], list[str]]:
    views = db.query("SELECT viewname FROM pg_views WHERE schemaname = 'public'")
    functions = db.query("SELECT p.proname FROM pg_proc p JOIN pg_namespace n "
                         "ON n.oid = p.pronamespace WHERE n.nspname = 'public'")
    return sorted(r[0] for r in views), sorted(r[0] for r in functions)


def test_plugin_history_applies_and_reverts_on_postgresql(pg_db: dbs.PostgresDB,
                                                           tmp_path: Path) -> None:
    files = render(project(tmp_path, HISTORY), "postgresql")
    up = {path.name.split("_")[1]: path for path in files.upgrade}
    down = {path.name.split("_")[1]: path for path in files.downgrade}

    apply_ok(pg_db, up["a1"])
    pg_db.query("INSERT INTO tickets (title, priority) VALUES ('printer jam', 'high')")
    apply_ok(pg_db, up["b2"])
    assert enum_values(pg_db) == ["low", "medium", "high"]
    # The column kept its rows and its default, now of the new type.
    pg_db.query("INSERT INTO tickets (title) VALUES ('coffee')")
    assert pg_db.query("SELECT title, priority::text FROM tickets ORDER BY id") == [
        ("printer jam", "high"), ("coffee", "low")]
    assert pg_db.query("SELECT column_default FROM information_schema.columns WHERE "
                       "table_name = 'tickets' AND column_name = 'priority'") == [
        ("'low'::ticket_priority",)]

    apply_ok(pg_db, up["c3"])
    assert entities(pg_db) == (["urgent_tickets"], ["ticket_label"])
    assert pg_db.query("SELECT title FROM urgent_tickets") == [("printer jam",)]
    assert pg_db.query("SELECT ticket_label('abc')") == [("ABC",)]

    apply_ok(pg_db, up["d4"])
    assert pg_db.query("SELECT title, priority::text FROM urgent_tickets") == [
        ("printer jam", "high")]
    assert pg_db.query("SELECT ticket_label('abc')") == [("#ABC",)]

    apply_ok(pg_db, down["d4"])
    assert pg_db.query("SELECT * FROM urgent_tickets") == [(1, "printer jam")]
    assert pg_db.query("SELECT ticket_label('abc')") == [("ABC",)]
    apply_ok(pg_db, down["c3"])
    assert entities(pg_db) == ([], [])
    apply_ok(pg_db, down["b2"])
    assert enum_values(pg_db) == ["low", "high"]
    pg_db.query("INSERT INTO tickets (title) VALUES ('tea')")
    assert pg_db.query("SELECT priority::text FROM tickets WHERE title = 'tea'") == [("low",)]
    apply_ok(pg_db, down["a1"])
    assert pg_db.tables() == ["sqlcompile_version"]
    assert pg_db.query("SELECT 1 FROM pg_type WHERE typname LIKE 'ticket_priority%'") == []


# -- the same statements as Alembic's offline mode ------------------------------------------------

ALEMBIC_ENV = '''\
"""Alembic's offline environment for this project (written by tests/test_op_plugins.py)."""
from alembic import context

context.configure(url=context.config.get_main_option("sqlalchemy.url"), literal_binds=True,
                  dialect_opts={"paramstyle": "named"})
with context.begin_transaction():
    context.run_migrations()
'''

ALEMBIC_RUNNER = """\
import sys
from alembic import command
from alembic.config import Config

config = Config()
config.set_main_option("script_location", sys.argv[1])
config.set_main_option("sqlalchemy.url", "postgresql://")
if sys.argv[2] == "upgrade":
    command.upgrade(config, "head", sql=True)
else:
    command.downgrade(config, "head:base", sql=True)
"""


def run(argv: list[str], cwd: Path) -> str:
    """Run a fresh interpreter (so sqlcompile starts with no Alembic imported); its stdout."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, *argv], cwd=cwd, capture_output=True, timeout=120,
                          env=env, check=False)
    assert proc.returncode == 0, proc.stderr.decode("utf-8")
    return proc.stdout.decode("utf-8")


def alembic_statements(sql: str, revisions: tuple[str, ...]) -> list[str]:
    """The statements Alembic's offline output runs for ``revisions`` (not its version
    table), whitespace collapsed."""
    statements: list[str] = []
    for block in re.split(r"^-- Running (?:upgrade|downgrade) .*$", sql, flags=re.M)[1:]:
        for statement in block.split(";\n\n"):
            text = " ".join(statement.split())
            if text and "alembic_version" not in text and text not in ("COMMIT;", "COMMIT"):
                statements.append(text)
    return statements


def appear_in_order(statements: list[str], stream: str) -> list[str]:
    """Those of ``statements`` not found in ``stream`` after the one before (whitespace
    collapsed)."""
    flat = " ".join(stream.split())
    missing, position = [], 0
    for statement in statements:
        found = flat.find(statement, position)
        if found < 0:
            missing.append(statement)
        else:
            position = found + len(statement)
    return missing


@pytest.mark.parametrize("direction", ["upgrade", "downgrade"])
def test_plugin_statements_are_alembics_offline_statements(direction: str,
                                                            tmp_path: Path) -> None:
    root = project(tmp_path, HISTORY)
    theirs = run(["-c", ALEMBIC_RUNNER, str(root / "migrations"), direction], root)
    args = ["--downgrade"] if direction == "downgrade" else []
    ours = run(["-m", "sqlcompile", "--config", str(root / "sqlcompile.toml"), "render",
                "--stdout", "--dialect", "postgresql", *args], root)
    statements = alembic_statements(theirs, ("b2", "c3", "d4"))
    assert any("ticket_priority_old" in s for s in statements)  # the plugins' own statements
    assert any("urgent_tickets" in s for s in statements)
    assert appear_in_order(statements, ours) == []


# -- what needs a database ------------------------------------------------------------------------


def test_sync_enum_values_reading_a_default_needs_a_live_database(tmp_path: Path) -> None:
    """Given a plain (table, column) pair, the plugin asks the server for the column's
    default: offline, that is the "needs a live database" error at the script line."""
    scripts = {"a1_tickets.py": HISTORY["a1_tickets.py"], "b2_medium.py": script(
        "medium priority", "b2", "a1", '''
        def upgrade():
            op.sync_enum_values("public", "ticket_priority", ["low", "medium", "high"],
                                [("tickets", "priority")])


        def downgrade():
            pass
        ''')}
    result = invoke(project(tmp_path, scripts), "render", "--dialect", "postgresql")
    assert result.exit_code == 2
    assert "migrations/versions/b2_medium.py:12: the revision reads rows from the database " \
           "(scalar() of `SELECT column_default FROM" in result.stderr
    assert "), which needs a live database" in result.stderr
    assert "sql/postgresql/b2.upgrade.sql" in result.stderr


def test_replace_entity_needs_no_database(tmp_path: Path) -> None:
    stream = render_stream(project(tmp_path, HISTORY), "postgresql", "--from", "c3")
    assert 'CREATE OR REPLACE VIEW "public"."urgent_tickets" AS SELECT id, title, priority ' \
           "FROM tickets WHERE priority = 'high'" in stream
    assert "CREATE OR REPLACE FUNCTION" in stream


def test_op_invoke_runs_the_plugins_implementation(tmp_path: Path) -> None:
    body = '''
        view = PGView(schema="public", signature="v", definition="SELECT 1 AS one")


        def upgrade():
            {call}


        def downgrade():
            pass
        '''
    streams = []
    for n, call in enumerate(["op.create_entity(view)", "op.invoke(CreateOp(view))"]):
        imports = ENTITY_IMPORTS + "from alembic_utils.reversible_op import CreateOp\n"
        root = project(tmp_path / str(n), {"a1.py": script("view", "a1", None,
                                                           body.format(call=call), imports)})
        streams.append(render_stream(root, "postgresql"))
    assert 'CREATE VIEW "public"."v" AS SELECT 1 AS one;' in streams[0]
    assert streams[0] == streams[1]


# -- a plugin of our own: every part of Operations a plugin reaches for --------------------------

AUDIT_PLUGIN = '''\
"""An op plugin written against Alembic's plugin API (a fixture of tests/test_op_plugins.py)."""
import sqlalchemy as sa
from alembic.operations import MigrateOperation, Operations


@Operations.register_operation("add_audit_trail")
class AddAuditTrailOp(MigrateOperation):
    """Give a table a created_by column and start an audit log."""

    def __init__(self, table_name, user):
        self.table_name = table_name
        self.user = user

    @classmethod
    def add_audit_trail(cls, operations, table_name, *, user="system"):
        return operations.invoke(cls(table_name, user))


@Operations.implementation_for(AddAuditTrailOp)
def add_audit_trail(operations, operation):
    context = operations.get_context()
    if not context.as_sql:
        raise RuntimeError("the test expects offline mode")
    seen = " ".join(str(x) for x in (
        context.dialect.name, operations.impl.dialect.name,
        operations.migration_context.impl.__dialect__, operations.migration_context.as_sql))
    operations.add_column(operation.table_name, sa.Column("created_by", sa.String(40)))
    operations.execute(sa.text(f"UPDATE {operation.table_name} SET created_by = :who")
                       .bindparams(who=operation.user))
    operations.impl.execute("CREATE TABLE audit_log (id INTEGER PRIMARY KEY, note VARCHAR(100))")
    operations.migration_context.impl.execute(
        sa.text("INSERT INTO audit_log (id, note) VALUES (1, :note)").bindparams(note=seen))
    bind = operations.get_bind()
    with bind.begin():
        if bind.dialect.name == "sqlite":
            bind.execute(sa.text("INSERT INTO audit_log (id, note) VALUES (2, 'file')"))
        else:
            bind.execute(sa.text("INSERT INTO audit_log (id, note) VALUES (2, 'server')"))


@Operations.register_operation("print_banner")
class PrintBannerOp(MigrateOperation):
    """Write a banner into the offline SQL through Alembic's impl."""

    @classmethod
    def print_banner(cls, operations):
        return operations.invoke(cls())


@Operations.implementation_for(PrintBannerOp)
def print_banner(operations, operation):
    operations.impl.static_output("-- banner")
'''

AUDIT_HISTORY = {
    "a1_accounts.py": script("accounts", "a1", None, '''
        def upgrade():
            op.create_table("accounts", sa.Column("id", sa.Integer, primary_key=True),
                            sa.Column("name", sa.String(40)))


        def downgrade():
            op.drop_table("accounts")
        '''),
    "b2_audit.py": script("audit trail", "b2", "a1", '''
        def upgrade():
            op.add_audit_trail("accounts", user="migrator")


        def downgrade():
            op.drop_table("audit_log")
            op.drop_column("accounts", "created_by")
        ''', "import audit_plugin\n"),
}


@pytest.fixture
def audit_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Our plugin importable as `audit_plugin`, imported afresh by the scripts."""
    folder = tmp_path / "lib"
    folder.mkdir()
    (folder / "audit_plugin.py").write_text(AUDIT_PLUGIN, encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delitem(sys.modules, "audit_plugin", raising=False)


@pytest.mark.usefixtures("audit_plugin")
@pytest.mark.parametrize(("dialect", "db_fixture"), [("postgresql", "pg_db"),
                                                      ("sqlite", "sqlite_db")])
def test_own_plugin_sees_offline_mode_and_its_target(dialect: str, db_fixture: str,
                                                     tmp_path: Path,
                                                     request: pytest.FixtureRequest) -> None:
    db: dbs.ScratchDB = request.getfixturevalue(db_fixture)
    root = project(tmp_path / "p", AUDIT_HISTORY, ("postgresql", "sqlite"))
    files = render(root, dialect)
    apply_ok(db, files.upgrade[0])
    db.query("INSERT INTO accounts (id, name) VALUES (1, 'ada')")
    apply_ok(db, files.upgrade[1])
    assert db.query("SELECT name, created_by FROM accounts") == [("ada", "migrator")]
    where = "file" if dialect == "sqlite" else "server"
    assert db.query("SELECT id, note FROM audit_log ORDER BY id") == [
        (1, f"{dialect} {dialect} {dialect} True"), (2, where)]
    # The schema model followed what the plugin did (Alembic's op, and raw SQL).
    out, _ = run_cli(root, "schema", "--dialect", dialect)
    schema = out.decode("utf-8")
    assert "created_by VARCHAR(40)" in schema
    assert "CREATE TABLE audit_log" in schema
    apply_ok(db, files.downgrade[1])
    assert sorted(t for t in db.tables() if t != "sqlcompile_version") == ["accounts"]


@pytest.mark.usefixtures("audit_plugin")
def test_compiling_again_gives_the_same_sql_and_leaves_alembic_as_it_was(
        tmp_path: Path) -> None:
    import alembic
    import alembic.op

    proxy_before = vars(alembic.op).get("_proxy")
    root = project(tmp_path, AUDIT_HISTORY, ("postgresql", "sqlite"))
    first = render_stream(root, "postgresql")
    other = render_stream(root, "sqlite")
    again = render_stream(root, "postgresql")
    assert first == again
    assert "'postgresql postgresql postgresql True'" in first
    assert "'sqlite sqlite sqlite True'" in other
    assert sys.modules["alembic"] is alembic
    assert sys.modules["alembic.op"] is alembic.op is alembic.__dict__["op"]
    assert vars(alembic.op).get("_proxy") is proxy_before


@pytest.mark.usefixtures("audit_plugin")
def test_a_part_of_alembic_the_adapter_lacks_is_a_clear_error(tmp_path: Path) -> None:
    scripts = {"a1.py": script("banner", "a1", None, '''
        def upgrade():
            op.print_banner()


        def downgrade():
            pass
        ''', "import audit_plugin\n")}
    result = invoke(project(tmp_path, scripts), "render", "--dialect", "postgresql")
    assert result.exit_code == 2
    assert ("migrations/versions/a1.py:13: op.print_banner: the plugin uses `static_output` "
            "of Alembic's DefaultImpl (migration_context.impl), which sqlcompile's offline "
            "stand-in does not provide") in result.stderr


def test_unknown_op_names_what_would_provide_it(tmp_path: Path) -> None:
    scripts = {"a1.py": script("unknown", "a1", None, '''
        def upgrade():
            op.frobnicate_table("t")


        def downgrade():
            pass
        ''')}
    result = invoke(project(tmp_path, scripts), "render", "--dialect", "postgresql")
    assert result.exit_code == 2
    assert ("migrations/versions/a1.py:12: op.frobnicate_table() is not one of Alembic's "
            "operations, and no op plugin that the scripts import registers it") in result.stderr
    assert "sqlcompile does not run env.py" in result.stderr


def test_a_known_plugin_imported_only_in_env_py_is_imported(tmp_path: Path) -> None:
    """Scripts of projects that import alembic-postgresql-enum in env.py call its op without
    importing it: the op is the plugin's all the same."""
    scripts = {"a1_tickets.py": HISTORY["a1_tickets.py"], "b2_medium.py": script(
        "medium priority", "b2", "a1", '''
        def upgrade():
            op.sync_enum_values("public", "ticket_priority", ["low", "medium", "high"], [])


        def downgrade():
            pass
        ''')}
    stream = render_stream(project(tmp_path, scripts), "postgresql")
    assert """CREATE TYPE "public"."ticket_priority" AS ENUM('low', 'medium', 'high')""" in stream


# -- the stand-in `alembic` in a fresh interpreter ----------------------------------------------

STAND_IN_CHECK = """\
import sys
from sqlcompile.sources.proxy import alembic_compat, context, op

with alembic_compat():
    from alembic import op as before
    assert before is op and "alembic.operations" not in sys.modules
    import alembic_utils.pg_view  # a plugin: imports Alembic's library
    import alembic
    from alembic import context as their_context, op as after
    import alembic.op as module_op
    from alembic.operations import Operations
    assert after is op and their_context is context and module_op is op, (after, module_op)
    assert alembic.op is op and alembic.context is context
    assert isinstance(alembic.__version__, str)
    assert hasattr(Operations, "create_entity")
import alembic
import alembic.op
assert type(alembic.op).__name__ == "module" and alembic.op.__file__.endswith("op.py")
assert sys.modules["alembic.context"].__file__.endswith("context.py")
assert alembic.operations is sys.modules["alembic.operations"]
assert vars(alembic.op).get("_proxy") is None
with alembic_compat():
    from alembic import op as inside
    assert inside is op
assert alembic.op is sys.modules["alembic.op"] and alembic.op is not op
print("ok")
"""


def test_a_plugin_importing_alembic_leaves_op_and_context_ours(tmp_path: Path) -> None:
    assert run(["-c", STAND_IN_CHECK], tmp_path).strip() == "ok"


# -- Alembic not installed ------------------------------------------------------------------------


class _NoAlembic(importlib.abc.MetaPathFinder):
    """Makes `import alembic` fail as if Alembic were not installed."""

    def find_spec(self, fullname: str, path: object, target: object = None) -> None:
        if fullname == "alembic" or fullname.startswith("alembic."):
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None


@pytest.fixture
def alembic_not_installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No Alembic, and the plugins not imported yet (they import Alembic when they are)."""
    prefixes = ("alembic", "alembic_utils", "alembic_postgresql_enum", "audit_plugin")
    for name in [n for n in sys.modules if n.split(".")[0] in prefixes]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [_NoAlembic(), *sys.meta_path])
    yield


@pytest.mark.usefixtures("alembic_not_installed")
def test_without_alembic_a_plugin_op_says_it_needs_alembic(tmp_path: Path) -> None:
    scripts = {"a1_tickets.py": HISTORY["a1_tickets.py"], "b2_medium.py": script(
        "medium priority", "b2", "a1", '''
        def upgrade():
            op.sync_enum_values("public", "ticket_priority", ["low", "medium", "high"], [])


        def downgrade():
            pass
        ''')}
    result = invoke(project(tmp_path, scripts), "render", "--dialect", "postgresql")
    assert result.exit_code == 2
    assert ("migrations/versions/b2_medium.py:12: op.sync_enum_values() is an operation of "
            "the op plugin alembic-postgresql-enum, which needs Alembic installed to compile"
            ) in result.stderr
    assert "hint: install alembic and alembic-postgresql-enum where sqlcompile runs" \
        in result.stderr


@pytest.mark.usefixtures("alembic_not_installed")
def test_without_alembic_importing_a_plugin_says_it_needs_alembic(tmp_path: Path) -> None:
    scripts = dict(HISTORY)
    result = invoke(project(tmp_path, scripts), "render", "--dialect", "postgresql")
    assert result.exit_code == 2
    for name in ("b2_medium.py:4", "c3_entities.py:4", "d4_replace.py:4"):
        line = next(line for line in result.stderr.splitlines() if name in line)
        assert "needs Alembic's own modules, and Alembic is not installed" in line
    assert "`alembic_postgresql_enum` needs" in result.stderr
    assert "`alembic_utils` needs" in result.stderr
    assert "alembic" not in sys.modules
