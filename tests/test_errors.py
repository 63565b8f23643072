"""Bad input: the message names the problem (file, line, what to do), the exit code is right,
and nothing is written — no new files, and an existing sql_out/ stays byte-identical."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import dbs
import pytest
from click.testing import CliRunner, Result

from sqlcompile.cli import cli

CONFIG = 'dialects = ["postgresql", "sqlite"]\n'
VERSIONS = Path("migrations") / "versions"
OUT = "sql_out"
FIRST = "aaaaaaaaaaaa"
SECOND = "bbbbbbbbbbbb"
THIRD = "cccccccccccc"


def script(
    revision: str,
    down_revision: str | None,
    upgrade: str = "pass",
    *,
    downgrade: str = "pass",
    top: str = "",
) -> str:
    """An Alembic-format script; ``top`` is module-level code placed before the functions."""
    return (
        f'"""revision {revision}"""\n'
        "from alembic import op\n"
        "import sqlalchemy as sa\n"
        f"{textwrap.dedent(top)}\n"
        f"revision = {revision!r}\n"
        f"down_revision = {down_revision!r}\n"
        "branch_labels = None\n"
        "depends_on = None\n"
        "\n\n"
        "def upgrade():\n"
        f"{textwrap.indent(textwrap.dedent(upgrade).strip(), '    ')}\n"
        "\n\n"
        "def downgrade():\n"
        f"{textwrap.indent(textwrap.dedent(downgrade).strip(), '    ')}\n"
    )


def line_of(text: str, needle: str) -> int:
    """1-based number of the only line of ``text`` containing ``needle``."""
    found = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(found) == 1, f"{needle!r} found on lines {found}"
    return found[0]


GOOD_FIRST = script(
    FIRST, None,
    'op.create_table("users", sa.Column("id", sa.Integer, primary_key=True))',
    downgrade='op.drop_table("users")',
)


class Project:
    """A throwaway project in a temporary folder, which is also the working directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / VERSIONS).mkdir(parents=True)
        self.config(CONFIG)

    def config(self, text: str, name: str = "sqlcompile.toml") -> Path:
        path = self.root / name
        path.write_text(text, encoding="utf-8")
        return path

    def write(self, name: str, text: str) -> Path:
        path = self.root / VERSIONS / name
        path.write_text(text, encoding="utf-8")
        return path

    def write_all(self, scripts: Mapping[str, str]) -> None:
        for name, text in scripts.items():
            self.write(name, text)

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    def run_process(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sqlcompile", *args],
            cwd=self.root, capture_output=True, text=True, timeout=60, check=False,
        )

    def outputs(self) -> dict[str, bytes]:
        """Every file under sql_out/ (hidden ones too), by relative path."""
        out = self.root / OUT
        if not out.exists():
            return {}
        return {
            p.relative_to(out).as_posix(): p.read_bytes()
            for p in sorted(out.rglob("*")) if p.is_file()
        }

    def versions(self) -> list[str]:
        return sorted(p.name for p in (self.root / VERSIONS).glob("*.py"))


@pytest.fixture
def proj(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.chdir(tmp_path)
    return Project(tmp_path)


def assert_failed(result: Result, code: int, *fragments: str) -> str:
    """The command exited with ``code``, printed nothing on stdout, and stderr has fragments."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    for fragment in fragments:
        assert fragment in result.stderr, f"{fragment!r} not in stderr:\n{result.stderr}"
    return result.stderr


# -- scripts that cannot be loaded or run ----------------------------------------------------

@dataclass(frozen=True)
class BadScript:
    """A script, the text its error names, and the line the error points at (if any)."""

    text: str
    words: tuple[str, ...]
    line_marker: str | None


SYNTAX = script(FIRST, None, "pass").replace("def upgrade():", "def upgrade(:")
IMPORT_RAISE = script(FIRST, None, top='raise RuntimeError("boom at import")')
UPGRADE_RAISE = script(FIRST, None, """\
    op.create_table("t", sa.Column("id", sa.Integer))
    raise ValueError("boom in upgrade")
""")
NO_REVISION = "down_revision = None\n\n\ndef upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"
NO_DOWN_REVISION = (
    f"revision = {FIRST!r}\n\n\ndef upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"
)

BAD_SCRIPTS = {
    "syntax-error": BadScript(SYNTAX, ("cannot parse",), "def upgrade(:"),
    "raise-at-import": BadScript(
        IMPORT_RAISE, ("loading the script failed", "RuntimeError", "boom at import"),
        "raise RuntimeError",
    ),
    "upgrade-raises": BadScript(
        UPGRADE_RAISE, ("upgrade() failed", "ValueError", "boom in upgrade"), "raise ValueError"
    ),
    "missing-revision": BadScript(NO_REVISION, ("no `revision",), None),
    "missing-down_revision": BadScript(NO_DOWN_REVISION, ("no `down_revision`",), None),
}


@pytest.mark.parametrize("case", BAD_SCRIPTS.values(), ids=BAD_SCRIPTS.keys())
def test_bad_script_is_named_with_its_line(proj: Project, case: BadScript) -> None:
    proj.write("a_bad.py", case.text)
    result = proj.run("render")
    location = "migrations/versions/a_bad.py"
    if case.line_marker is not None:
        location += f":{line_of(case.text, case.line_marker)}:"
    stderr = assert_failed(result, 2, f"error: {location}", *case.words)
    assert stderr.count("error:") == 1
    assert proj.outputs() == {}
    assert not (proj.root / OUT).exists()


def test_missing_revision_hint_and_down_revision_hint(proj: Project) -> None:
    proj.write("a_bad.py", NO_DOWN_REVISION)
    stderr = assert_failed(proj.run("render"), 2, "hint:", "down_revision = None")
    assert stderr.startswith("error: ")


# -- a broken revision graph -----------------------------------------------------------------

def test_duplicate_revision_names_both_files(proj: Project) -> None:
    proj.write("a_one.py", script(FIRST, None))
    proj.write("b_two.py", script(FIRST, None))
    assert_failed(proj.run("render"), 2, "duplicate revision id", FIRST,
                  "migrations/versions/a_one.py", "migrations/versions/b_two.py")
    assert proj.outputs() == {}


def test_missing_parent_names_the_id_and_the_file(proj: Project) -> None:
    proj.write("a_first.py", script(FIRST, None))
    proj.write("b_orphan.py", script(SECOND, "ffffffffffff"))
    assert_failed(proj.run("render"), 2, "'ffffffffffff'", "no script defines",
                  "error: migrations/versions/b_orphan.py")
    assert proj.outputs() == {}


def test_cycle_names_the_revisions(proj: Project) -> None:
    proj.write("a_first.py", script(FIRST, THIRD))
    proj.write("b_second.py", script(SECOND, FIRST))
    proj.write("c_third.py", script(THIRD, SECOND))
    stderr = assert_failed(proj.run("render"), 2, "cycle", FIRST, SECOND, THIRD)
    assert "a_first.py" in stderr and "c_third.py" in stderr
    assert proj.outputs() == {}


def test_new_revision_with_two_heads_lists_them_and_suggests_merge(proj: Project) -> None:
    proj.write("a_first.py", script(FIRST, None))
    proj.write("b_second.py", script(SECOND, FIRST))
    proj.write("c_third.py", script(THIRD, FIRST))
    before = proj.versions()
    stderr = assert_failed(proj.run("revision", "-m", "x"), 2, "single head", SECOND, THIRD,
                           "hint:", "sqlcompile merge")
    assert f"{SECOND}, {THIRD}" in stderr.splitlines()[0]
    assert proj.versions() == before


# -- scripts that need a live database ---------------------------------------------------------

READS_ROWS = script(FIRST, None, """\
    op.create_table("t", sa.Column("id", sa.Integer))
    rows = op.get_bind().execute(sa.text("SELECT 1")).fetchall()
""")


def test_reading_rows_needs_hand_written_sql(proj: Project) -> None:
    proj.write("a_reads.py", READS_ROWS)
    line = line_of(READS_ROWS, ".fetchall()")
    stderr = assert_failed(
        proj.run("render"), 2, "needs a live database", f"a_reads.py:{line}:",
        f"hint: write this revision's SQL by hand in "
        f"migrations/sql/<dialect>/{FIRST}.upgrade.sql",
    )
    assert stderr.startswith("error: ")
    assert proj.outputs() == {}

    sql_dir = proj.root / "migrations" / "sql"
    for dialect in ("postgresql", "sqlite"):
        (sql_dir / dialect).mkdir(parents=True)
        (sql_dir / dialect / f"{FIRST}.upgrade.sql").write_text(
            "CREATE TABLE t (id INTEGER);\nINSERT INTO t (id) VALUES (1);\n", encoding="utf-8"
        )
    result = proj.run("render")
    assert result.exit_code == 0, result.stderr
    for dialect in ("postgresql", "sqlite"):
        text = (proj.root / OUT / dialect / "upgrade" / f"0001_{FIRST}_revision_{FIRST}.sql"
                ).read_text(encoding="utf-8")
        header = text.split("\n\n", 1)[0]
        assert f"hand-written: migrations/sql/{dialect}/{FIRST}.upgrade.sql" in header
        assert "INSERT INTO t (id) VALUES (1);" in text


def test_hand_written_sql_of_comments_only_is_a_no_op(proj: Project,
                                                     sqlite_db: dbs.SQLiteDB) -> None:
    """A revision that needs nothing on a dialect: its file only moves the version row."""
    proj.write("a_reads.py", READS_ROWS)
    sql_dir = proj.root / "migrations" / "sql" / "sqlite"
    sql_dir.mkdir(parents=True)
    (sql_dir / f"{FIRST}.upgrade.sql").write_text(
        "-- Nothing to do on SQLite: these databases were fixed by hand.\n;\n", encoding="utf-8")
    result = proj.run("render", "--dialect", "sqlite")
    assert result.exit_code == 0, result.stderr
    path = proj.root / OUT / "sqlite" / "upgrade" / f"0001_{FIRST}_revision_{FIRST}.sql"
    dbs.apply_ok(sqlite_db, path)
    assert sqlite_db.tables() == ["sqlcompile_version"]
    assert sqlite_db.query("SELECT version_num FROM sqlcompile_version") == [(FIRST,)]


def test_unsplittable_hand_written_sql_is_named(proj: Project) -> None:
    proj.write("a_first.py", GOOD_FIRST)
    sql_dir = proj.root / "migrations" / "sql" / "postgresql"
    sql_dir.mkdir(parents=True)
    (sql_dir / f"{FIRST}.upgrade.sql").write_text("INSERT INTO t VALUES ('open;\n")
    assert_failed(
        proj.run("render"), 2,
        f"migrations/sql/postgresql/{FIRST}.upgrade.sql: cannot split the hand-written SQL",
    )
    assert proj.outputs() == {}


def test_live_database_error_uses_project_relative_path(proj: Project) -> None:
    proj.write("a_reads.py", READS_ROWS)
    line = line_of(READS_ROWS, ".fetchall()")
    assert_failed(proj.run("render"), 2, f"error: migrations/versions/a_reads.py:{line}: ")


def test_op_called_at_import_names_its_line(proj: Project) -> None:
    text = script(FIRST, None, top='op.execute("SELECT 1")')
    proj.write("a_import.py", text)
    line = line_of(text, 'op.execute("SELECT 1")')
    assert_failed(proj.run("render"), 2, "outside upgrade()/downgrade()",
                  f"error: migrations/versions/a_import.py:{line}: ")


# -- operations a dialect cannot express -------------------------------------------------------

def test_text_parameter_without_value_is_refused_not_nulled(proj: Project) -> None:
    body = 'op.execute(sa.text("UPDATE t SET a = :v WHERE b = \'x:y\'"))'
    text = script(FIRST, None, body)
    proj.write("a_unbound.py", text)
    line = line_of(text, "sa.text(")
    assert_failed(proj.run("render"), 2, f"a_unbound.py:{line}:", ":v have no value",
                  "would become NULL")
    assert proj.outputs() == {}


def test_compile_error_names_the_script_line_of_the_op(proj: Project) -> None:
    text = script(FIRST, None, 'op.create_table("t", sa.Column("a", sa.Integer()))\n'
                               'op.add_column("t", sa.Column("b", sa.Text()), '
                               'if_not_exists=True)')
    proj.write("a_alter.py", text)
    line = line_of(text, "op.add_column")
    assert_failed(proj.run("render"), 2, f"error: migrations/versions/a_alter.py:{line}: ")


def test_sqlite_cannot_rebuild_a_table_the_model_does_not_know(proj: Project) -> None:
    """Changing a column's type needs a table rebuild on SQLite, restated from the schema
    model; a table the history never created cannot be restated."""
    proj.write("a_alter.py", script(FIRST, None, 'op.alter_column("t", "c", type_=sa.Text())'))
    stderr = assert_failed(proj.run("render"), 2, f"revision {FIRST}", "alter_column", "SQLite",
                           "needs a rebuild of table t", "error: migrations/versions/a_alter.py")
    assert f"migrations/sql/sqlite/{FIRST}.upgrade.sql" in stderr
    assert proj.outputs() == {}
    # PostgreSQL alone compiles it, so the problem is specific to SQLite.
    assert proj.run("render", "--stdout", "--dialect", "postgresql").exit_code == 0


def test_partial_index_without_sqlite_where(proj: Project) -> None:
    proj.write("a_index.py", script(
        FIRST, None, 'op.create_index("ix_t_c", "t", ["c"], postgresql_where=sa.text("c > 0"))'
    ))
    assert_failed(proj.run("render"), 2, "create_index", "SQLite", "sqlite_where",
                  f"revision {FIRST}")
    assert proj.outputs() == {}


# -- validation --------------------------------------------------------------------------------

def test_validation_failure_exits_1_and_writes_nothing(proj: Project) -> None:
    proj.write("a_first.py", GOOD_FIRST)
    proj.write("b_broken.py", script(SECOND, FIRST, 'op.execute("CREATE TABLE (broken")'))
    stderr = assert_failed(proj.run("render"), 1, "statement failed validation",
                           "CREATE TABLE (broken", "no files were written")
    for dialect in ("postgresql", "sqlite"):
        assert f"sql_out/{dialect}/upgrade/0002_{SECOND}_revision_{SECOND}.sql" in stderr
        assert f"{dialect}: " in stderr and "1 failed" in stderr
    assert proj.outputs() == {}


# -- a failing render leaves the previous output alone ------------------------------------------

BREAKAGES = {
    "syntax-error": script(SECOND, FIRST).replace("def upgrade():", "def upgrade(:"),
    "upgrade-raises": script(SECOND, FIRST, 'raise ValueError("boom")'),
    "missing-parent": script(SECOND, "ffffffffffff"),
    "duplicate": script(FIRST, None),
    "live-database": script(SECOND, FIRST, 'op.get_bind().execute(sa.text("x")).fetchall()'),
    "sqlite-unsupported": script(SECOND, FIRST, 'op.alter_column("nowhere", "id", type_=sa.Text)'),
    "validation": script(SECOND, FIRST, 'op.execute("CREATE TABLE (broken")'),
}


@pytest.mark.parametrize("broken", BREAKAGES.values(), ids=BREAKAGES.keys())
def test_failing_render_keeps_previous_output_byte_identical(proj: Project, broken: str) -> None:
    proj.write("a_first.py", GOOD_FIRST)
    assert proj.run("render").exit_code == 0
    before = proj.outputs()
    assert len(before) == 4 + 2  # upgrade + downgrade per dialect, and two schema.sql

    proj.write("b_broken.py", broken)
    result = proj.run("render")
    assert result.exit_code in (1, 2), result.stderr
    assert "error:" in result.stderr
    after = proj.outputs()
    assert after == before  # same names (no partial or *.tmp files) and same bytes
    assert not [name for name in after if name.endswith(".tmp")]


def test_config_error_keeps_previous_output(proj: Project) -> None:
    proj.write("a_first.py", GOOD_FIRST)
    assert proj.run("render").exit_code == 0
    before = proj.outputs()
    proj.config(CONFIG + 'output_dir = ""\n')
    assert_failed(proj.run("render"), 2, "output_dir")
    assert proj.outputs() == before


# -- configuration -----------------------------------------------------------------------------

BAD_CONFIGS = {
    "unknown-key": (CONFIG + "colour = 'blue'\n", ("unknown setting", "`colour`", "hint:")),
    "dialects-string": ('dialects = "nope"\n', ("dialects", "'nope'", "postgresql, sqlite")),
    "unknown-dialect": ('dialects = ["postgresql", "oracle7"]\n', ("unknown dialect", "oracle7")),
    "dialects-number": ("dialects = 3\n", ("`dialects` must be a non-empty list",)),
    "transaction-string": (
        CONFIG + 'transaction_per_migration = "yes"\n',
        ("transaction_per_migration", "true or false", "'yes'"),
    ),
    "invalid-toml": (CONFIG + "dialects = [\n", ("not valid TOML",)),
}


@pytest.mark.parametrize("text, words", BAD_CONFIGS.values(), ids=BAD_CONFIGS.keys())
def test_bad_config_is_named(proj: Project, text: str, words: tuple[str, ...]) -> None:
    proj.write("a_first.py", GOOD_FIRST)
    proj.config(text)
    stderr = assert_failed(proj.run("render"), 2, "sqlcompile.toml", *words)
    assert stderr.startswith("error: ")
    assert proj.outputs() == {}


def test_bad_key_in_pyproject_names_pyproject(proj: Project) -> None:
    (proj.root / "sqlcompile.toml").unlink()
    proj.config("[tool.sqlcompile]\n" + CONFIG + "outptu_dir = 'x'\n", "pyproject.toml")
    assert_failed(proj.run("render"), 2, "pyproject.toml", "`outptu_dir`", "output_dir")


def test_unknown_environment_lists_known(proj: Project) -> None:
    proj.config(CONFIG + "[environments.prod]\nurl = 'sqlite:///prod.db'\n"
                "[environments.staging]\nurl = 'sqlite:///staging.db'\n")
    assert_failed(proj.run("--env", "missing", "render"), 2, "unknown environment 'missing'",
                  "known: prod, staging")


def test_bad_value_in_environment_names_the_environment(proj: Project) -> None:
    proj.config(CONFIG + "[environments.prod]\ntransaction_per_migration = 1\n")
    assert_failed(proj.run("--env", "prod", "render"), 2, "[environments.prod]",
                  "transaction_per_migration")


def test_config_option_pointing_to_missing_file(proj: Project) -> None:
    assert_failed(proj.run("--config", "elsewhere/missing.toml", "render"), 2,
                  "missing.toml", "config file not found")


def test_unknown_dialect_option(proj: Project) -> None:
    proj.write("a_first.py", GOOD_FIRST)
    assert_failed(proj.run("render", "--dialect", "db2"), 2, "--dialect", "'db2'",
                  "known dialects")
    assert proj.outputs() == {}


# -- usage -------------------------------------------------------------------------------------

@pytest.fixture
def two_revisions(proj: Project) -> Project:
    proj.write("a_first.py", GOOD_FIRST)
    proj.write("b_second.py", script(SECOND, FIRST, 'op.add_column("users", sa.Column("n", '
                                                    'sa.Integer))'))
    return proj


@pytest.mark.parametrize("option", [["--from", FIRST], ["--to", SECOND], ["--downgrade"]])
def test_range_options_need_stdout(two_revisions: Project, option: list[str]) -> None:
    assert_failed(two_revisions.run("render", *option), 2, "only apply with --stdout")
    assert two_revisions.outputs() == {}


def test_stdout_with_two_dialects_needs_dialect(two_revisions: Project) -> None:
    assert_failed(two_revisions.run("render", "--stdout"), 2, "2 are configured", "--dialect")


@pytest.mark.parametrize("option", ["--to", "--from"])
def test_unknown_revision_in_range(two_revisions: Project, option: str) -> None:
    assert_failed(
        two_revisions.run("render", "--stdout", "--dialect", "sqlite", option, "zzzz"),
        2, "no revision matches 'zzzz'", "sqlcompile history",
    )


def test_ambiguous_prefix(two_revisions: Project) -> None:
    two_revisions.write("c_third.py", script("bbbbcccccccc", SECOND))
    assert_failed(two_revisions.run("show", "bbbb"), 2, "ambiguous", SECOND, "bbbbcccccccc")


# -- stdout carries only SQL, diagnostics go to stderr (real processes) ---------------------------

def test_stdout_is_pure_sql_and_summary_is_on_stderr(two_revisions: Project) -> None:
    done = two_revisions.run_process("render", "--stdout", "--dialect", "postgresql")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("-- Generated by sqlcompile")
    assert "error:" not in done.stdout
    assert "postgresql: 1 files" not in done.stdout
    assert "validated" not in done.stdout
    assert "-- upgrade 0002 bbbbbbbbbbbb" in done.stdout
    assert done.stderr.strip().splitlines() == [
        line for line in done.stderr.strip().splitlines() if line.startswith("postgresql: ")
    ]
    assert "postgresql: 1 files" in done.stderr
    assert two_revisions.outputs() == {}


def test_failing_stdout_render_prints_nothing(two_revisions: Project) -> None:
    two_revisions.write("c_bad.py", script(THIRD, SECOND, 'raise ValueError("boom")'))
    done = two_revisions.run_process("render", "--stdout", "--dialect", "postgresql")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("error: migrations/versions/c_bad.py:")
    assert "ValueError: boom" in done.stderr


def test_stdout_validation_failure_prints_nothing(two_revisions: Project) -> None:
    two_revisions.write("c_bad.py", script(THIRD, SECOND, 'op.execute("CREATE TABLE (broken")'))
    done = two_revisions.run_process("render", "--stdout", "--dialect", "sqlite")
    assert done.returncode == 1
    assert done.stdout == ""
    assert "CREATE TABLE (broken" in done.stderr
    assert "nothing was printed" in done.stderr


def test_files_render_process_validation_failure_exit_1(two_revisions: Project) -> None:
    two_revisions.write("c_bad.py", script(THIRD, SECOND, 'op.execute("CREATE TABLE (broken")'))
    done = two_revisions.run_process("render")
    assert done.returncode == 1
    assert done.stdout == ""
    assert "no files were written" in done.stderr
    assert two_revisions.outputs() == {}


def test_usage_error_process_exit_2(two_revisions: Project) -> None:
    done = two_revisions.run_process("render", "--from", FIRST)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("error: ")
    assert "  hint: " in done.stderr
