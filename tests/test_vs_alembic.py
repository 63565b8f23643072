"""Differential tests: the known defects of `alembic upgrade --sql`, side by side with sqlcompile.

Each test writes ONE migration history into a temporary project that both tools read:

- ``migrations/versions/`` holds the scripts (plain Alembic scripts, ``from alembic import op``);
- ``migrations/env.py`` and ``migrations/script.py.mako`` make ``migrations/`` an Alembic offline
  environment, configured programmatically (``alembic.config.Config()``, no alembic.ini) with
  ``literal_binds=True`` and the ``named`` paramstyle;
- ``sqlcompile.toml`` configures sqlcompile for the same ``migrations/`` folder.

Both tools run in their own subprocess, so the real Alembic (a test-only dependency) and
sqlcompile's stand-in ``alembic`` modules never meet in one interpreter, and what is checked is
exactly what each tool prints on stdout and the exit status a shell would see.

Every test asserts what Alembic does, so a test fails (and this documentation goes stale) if
Alembic changes, and what sqlcompile does on the same script.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import dbs
import pytest
from sqlc_project import snapshot

DIALECTS = ("postgresql", "sqlite")
DB_FIXTURES = {"postgresql": "pg_db", "sqlite": "sqlite_db"}
# Offline mode never connects: the URL only picks Alembic's dialect.
ALEMBIC_URLS = {"postgresql": "postgresql://", "sqlite": "sqlite://"}
SUBPROCESS_TIMEOUT = 120  # seconds

ALEMBIC_ENV = '''\
"""Minimal Alembic offline environment (written by tests/test_vs_alembic.py)."""
from alembic import context

config = context.config
context.configure(
    url=config.get_main_option("sqlalchemy.url"),
    literal_binds=True,
    dialect_opts={"paramstyle": "named"},
)
with context.begin_transaction():
    context.run_migrations()
'''

ALEMBIC_SCRIPT_MAKO = '''\
"""${message}"""
from alembic import op
import sqlalchemy as sa

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade():
    ${upgrades if upgrades else "pass"}


def downgrade():
    ${downgrades if downgrades else "pass"}
'''

# Runs `alembic upgrade TARGET --sql` with a Config built in code (no alembic.ini). The SQL goes
# to Alembic's default output buffer, the process's real stdout.
ALEMBIC_RUNNER = """\
import sys
from alembic import command
from alembic.config import Config

script_location, url, target = sys.argv[1:]
config = Config()
config.set_main_option("script_location", script_location)
config.set_main_option("sqlalchemy.url", url)
command.upgrade(config, target, sql=True)
"""


# --- the shared project ------------------------------------------------------------------------


def script_text(revision: str, down_revision: str | None, body: str) -> str:
    """An Alembic migration script whose upgrade() runs ``body``."""
    upgrade = textwrap.indent(textwrap.dedent(body).strip(), "    ")
    return (
        f'"""{revision}"""\n'
        "from alembic import op\n"
        "import sqlalchemy as sa\n"
        "\n"
        f"revision = {revision!r}\n"
        f"down_revision = {down_revision!r}\n"
        "branch_labels = None\n"
        "depends_on = None\n"
        "\n\n"
        f"def upgrade():\n{upgrade}\n"
        "\n\n"
        "def downgrade():\n    pass\n"
    )


def make_project(
    root: Path, upgrades: Mapping[str, str], *, version_table: str | None = None
) -> Path:
    """Write a linear history (revision -> upgrade body, oldest first) that both tools read."""
    migrations = root / "migrations"
    versions = migrations / "versions"
    versions.mkdir(parents=True)
    parent: str | None = None
    for revision, body in upgrades.items():
        (versions / f"{revision}_step.py").write_text(
            script_text(revision, parent, body), encoding="utf-8"
        )
        parent = revision
    (migrations / "env.py").write_text(ALEMBIC_ENV, encoding="utf-8")
    (migrations / "script.py.mako").write_text(ALEMBIC_SCRIPT_MAKO, encoding="utf-8")
    config = 'script_location = "migrations"\noutput_dir = "out"\n'
    config += 'dialects = ["postgresql", "sqlite"]\n'
    if version_table is not None:
        config += f'version_table = "{version_table}"\n'
    (root / "sqlcompile.toml").write_text(config, encoding="utf-8")
    return root


@dataclass(frozen=True)
class Run:
    """A finished subprocess; stdout and stderr decoded as UTF-8 with no newline translation."""

    returncode: int
    stdout: str
    stderr: str


def run(argv: list[str], cwd: Path) -> Run:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, timeout=SUBPROCESS_TIMEOUT,
                          env=env)
    return Run(proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8"))


def alembic_upgrade_sql(root: Path, dialect: str, target: str) -> Run:
    """`alembic upgrade TARGET --sql` for ``dialect`` on the project at ``root``."""
    return run([sys.executable, "-c", ALEMBIC_RUNNER, str(root / "migrations"),
                ALEMBIC_URLS[dialect], target], cwd=root)


def sqlcompile(root: Path, *args: str) -> Run:
    """`python -m sqlcompile --config ROOT/sqlcompile.toml ARGS`."""
    return run([sys.executable, "-m", "sqlcompile", "--config", str(root / "sqlcompile.toml"),
                *args], cwd=root)


def ok(result: Run, what: str) -> str:
    """Assert a run exited 0 and return its stdout."""
    assert result.returncode == 0, f"{what} exited {result.returncode}:\n{result.stderr}"
    return result.stdout


def sqlcompile_stream(root: Path, dialect: str) -> str:
    return ok(sqlcompile(root, "render", "--stdout", "--dialect", dialect),
              f"sqlcompile render --stdout --dialect {dialect}")


def alembic_stream(root: Path, dialect: str, target: str = "head") -> str:
    return ok(alembic_upgrade_sql(root, dialect, target),
              f"alembic upgrade {target} --sql ({dialect})")


def apply_ok(db: dbs.ScratchDB, sql: str, what: str) -> None:
    result = db.apply(sql)
    assert result.returncode == 0, f"applying {what} to {db.name} failed:\n{result.stderr}"


# --- databases ---------------------------------------------------------------------------------


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def db(dialect: str, request: pytest.FixtureRequest) -> dbs.ScratchDB:
    """A fresh database of ``dialect``, for sqlcompile's SQL."""
    scratch: dbs.ScratchDB = request.getfixturevalue(DB_FIXTURES[dialect])
    return scratch


@pytest.fixture
def alembic_db(dialect: str, db: dbs.ScratchDB, tmp_path: Path) -> Iterator[dbs.ScratchDB]:
    """A second fresh database of the same engine, for Alembic's SQL (after ``db``'s checks)."""
    if dialect == "postgresql":
        with dbs.postgres_scratch() as other:
            yield other
    else:
        with dbs.sqlite_scratch(tmp_path) as other:
            yield other


# --- 1. tabs inside string literals ------------------------------------------------------------

TAB_HISTORY = {
    "r1": r"""
        op.create_table("t", sa.Column("v", sa.Text()))
        op.execute(sa.text("INSERT INTO t (v) VALUES (:v)").bindparams(v="a\tb"))
    """,
}


def test_tab_in_bound_literal(
    tmp_path: Path, dialect: str, db: dbs.ScratchDB, alembic_db: dbs.ScratchDB
) -> None:
    root = make_project(tmp_path / "project", TAB_HISTORY)

    # Alembic: every tab of every statement becomes four spaces (DDLImpl._exec does
    # `str(compiled).replace("\t", "    ")`), including the tab inside the string literal.
    alembic = alembic_stream(root, dialect)
    assert "INSERT INTO t (v) VALUES ('a    b');" in alembic
    assert "\t" not in alembic
    apply_ok(alembic_db, alembic, "Alembic's SQL")
    assert alembic_db.query("SELECT v FROM t") == [("a    b",)]

    # sqlcompile: the literal keeps its tab, and the database stores it.
    stream = sqlcompile_stream(root, dialect)
    assert "INSERT INTO t (v) VALUES ('a\tb');" in stream
    apply_ok(db, stream, "sqlcompile's stream")
    assert db.query("SELECT v FROM t") == [("a\tb",)]


# --- 2. `:name` inside a raw SQL string --------------------------------------------------------

COLON_HISTORY = {
    "r1": """
        op.create_table("t", sa.Column("v", sa.Text()))
        op.execute("INSERT INTO t (v) VALUES (':name')")
    """,
}


def test_colon_name_in_raw_string(
    tmp_path: Path, dialect: str, db: dbs.ScratchDB, alembic_db: dbs.ScratchDB
) -> None:
    root = make_project(tmp_path / "project", COLON_HISTORY)

    # Alembic wraps the raw string in text(), which takes `:name` for a bound parameter even
    # inside the quotes; literal_binds renders its missing value as NULL, still between the
    # quotes, so the row silently gets the four-letter string 'NULL'.
    alembic = alembic_stream(root, dialect)
    assert "INSERT INTO t (v) VALUES ('NULL');" in alembic
    assert ":name" not in alembic
    apply_ok(alembic_db, alembic, "Alembic's SQL")
    assert alembic_db.query("SELECT v FROM t") == [("NULL",)]

    # sqlcompile emits the raw string verbatim.
    stream = sqlcompile_stream(root, dialect)
    assert "INSERT INTO t (v) VALUES (':name');" in stream
    apply_ok(db, stream, "sqlcompile's stream")
    assert db.query("SELECT v FROM t") == [(":name",)]


# --- 3. applying a migration at the wrong version ----------------------------------------------

WRONG_VERSION_HISTORY = {
    "r0": 'op.create_table("a", sa.Column("id", sa.Integer()))',
    "r1": 'op.create_table("b", sa.Column("id", sa.Integer()))',
    "r2": 'op.create_table("c", sa.Column("id", sa.Integer()))',
}


def test_migration_applied_at_the_wrong_version(tmp_path: Path, pg_db: dbs.PostgresDB) -> None:
    # sqlcompile uses Alembic's version table, so both tools see the same database state.
    root = make_project(tmp_path / "project", WRONG_VERSION_HISTORY,
                        version_table="alembic_version")

    # Alembic's SQL for revision r2 only (r1 -> r2): its only contact with the version table is
    # an UPDATE at the end; nothing checks the version before the migration runs.
    alembic_r2 = alembic_stream(root, "postgresql", "r1:r2")
    update = "UPDATE alembic_version SET version_num='r2' WHERE alembic_version.version_num = 'r1';"
    assert update in alembic_r2
    assert alembic_r2.count("alembic_version") == 2  # both in that one UPDATE
    assert alembic_r2.index("CREATE TABLE c") < alembic_r2.index(update)

    # sqlcompile's file for r2 (the third revision in graph order).
    ok(sqlcompile(root, "render", "--dialect", "postgresql"), "sqlcompile render")
    [sqlc_r2_path] = (root / "out" / "postgresql" / "upgrade").glob("0003_r2_*.sql")
    sqlc_r2 = sqlc_r2_path.read_bytes().decode("utf-8")
    assert "sqlcompile guard" in sqlc_r2

    # On an EMPTY database: Alembic's SQL does fail, but only at its last statement, because
    # the version table does not exist; psql stops and the open transaction is rolled back.
    result = pg_db.apply(alembic_r2)
    assert result.returncode != 0
    assert 'relation "alembic_version" does not exist' in result.stderr
    assert pg_db.tables() == []
    # sqlcompile's guard refuses before the migration's first statement.
    result = pg_db.apply(sqlc_r2)
    assert result.returncode != 0
    assert ("sqlcompile guard: upgrade of 0003 r2 expects the version table to hold [r1]"
            " but found []; nothing was changed") in result.stderr
    assert pg_db.tables() == []

    # A database genuinely at r0, built with Alembic's own SQL: r1 has not been applied.
    apply_ok(pg_db, alembic_stream(root, "postgresql", "r0"), "Alembic's SQL up to r0")
    assert pg_db.query("SELECT version_num FROM alembic_version") == [("r0",)]
    before = snapshot(pg_db)
    assert before["tables"] == ["a", "alembic_version"]

    # sqlcompile's file for r2 at the wrong version: the guard aborts it, nothing changes.
    result = pg_db.apply(sqlc_r2)
    assert result.returncode != 0
    assert ("sqlcompile guard: upgrade of 0003 r2 expects the version table to hold [r1]"
            " but found [r0]; nothing was changed") in result.stderr
    assert snapshot(pg_db) == before

    # Alembic's SQL for r2 at the wrong version applies without any error: r2's table is
    # created, r1's is not, and the UPDATE matches no row (the table holds r0, not r1), so the
    # version table still says r0 while the schema holds r2's change.
    assert pg_db.query("SELECT count(*) FROM alembic_version WHERE version_num = 'r1'") == [(0,)]
    apply_ok(pg_db, alembic_r2, "Alembic's SQL for r2 at r0")
    assert pg_db.tables() == ["a", "alembic_version", "c"]
    assert pg_db.query("SELECT version_num FROM alembic_version") == [("r0",)]


# --- 4. values for untyped columns -------------------------------------------------------------

UNTYPED_HISTORY = {
    "r1": """
        op.create_table("t", sa.Column("flag", sa.Boolean()))
        op.execute("INSERT INTO t (flag) VALUES (NULL)")
        op.execute(sa.table("t", sa.column("flag")).update().values(flag=True))
    """,
}
RENDERED_TRUE = {"postgresql": "true", "sqlite": "1"}
STORED_TRUE = {"postgresql": True, "sqlite": 1}


def test_untyped_column_value(tmp_path: Path, dialect: str, db: dbs.ScratchDB) -> None:
    root = make_project(tmp_path / "project", UNTYPED_HISTORY)

    # Alembic: the bound value of sa.column("flag") has NullType, which has no literal
    # renderer, so `upgrade --sql` dies with SQLAlchemy's CompileError.
    alembic = alembic_upgrade_sql(root, dialect, "head")
    assert alembic.returncode == 1
    assert ("sqlalchemy.exc.CompileError: No literal value renderer is available for literal"
            ' value "True" with datatype NULL') in alembic.stderr
    assert "UPDATE t" not in alembic.stdout

    # sqlcompile types the value from the Python value and renders the dialect's literal.
    stream = sqlcompile_stream(root, dialect)
    assert f"UPDATE t SET flag={RENDERED_TRUE[dialect]};" in stream
    apply_ok(db, stream, "sqlcompile's stream")
    assert db.query("SELECT flag FROM t") == [(STORED_TRUE[dialect],)]


# --- 5. a failing script leaves no partial SQL on stdout ---------------------------------------

FAILING_HISTORY = {
    "r1": 'op.create_table("t", sa.Column("id", sa.Integer()))',
    "r2": 'raise RuntimeError("boom in r2")',
}


def test_failure_leaves_no_partial_sql(tmp_path: Path, dialect: str) -> None:
    root = make_project(tmp_path / "project", FAILING_HISTORY)

    # Alembic has already printed r1's migration, including its version-table row, when r2's
    # upgrade() raises; a pipeline that captures stdout keeps a truncated script.
    alembic = alembic_upgrade_sql(root, dialect, "head")
    assert alembic.returncode == 1
    assert "RuntimeError: boom in r2" in alembic.stderr
    assert "CREATE TABLE t (" in alembic.stdout
    assert "INSERT INTO alembic_version (version_num) VALUES ('r1')" in alembic.stdout
    assert alembic.stdout.rstrip().endswith("-- Running upgrade r1 -> r2")
    assert "COMMIT" not in alembic.stdout

    # sqlcompile renders everything in memory first: nothing on stdout, exit 2, and the error
    # names the script and line.
    result = sqlcompile(root, "render", "--stdout", "--dialect", dialect)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "error: migrations/versions/r2_step.py:" in result.stderr
    assert "RuntimeError: boom in r2" in result.stderr
