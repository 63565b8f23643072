"""Exit codes and error reports of the real command line: 1 for findings, 2 for bad input,
70 for a bug of ours (one escaped line and a hint; the traceback only when asked), and the
import shape that keeps cli.py the only entry point."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sqlcompile.cli import cli

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "sqlcompile"
VERSIONS = Path("migrations") / "versions"
FIRST, SECOND = "aaaaaaaaaaaa", "bbbbbbbbbbbb"
TRACEBACK = "Traceback (most recent call last)"
INTERNAL = "error: internal error in sqlcompile (a bug, not a problem with your scripts): "
ASK_HINT = ("  hint: run again with --traceback (or SQLCOMPILE_TRACEBACK=1) to see the "
            "traceback, and report it")
#: A project template that writes the message where no escaping applies (a comment): a new
#: script with a line break in its message is refused by the check after rendering, as a bug.
COMMENT_TEMPLATE = "# {{ message }}\n"


def script(revision: str, down_revision: str | None, upgrade: str = "pass") -> str:
    """An Alembic-format script whose upgrade() runs ``upgrade``."""
    return (
        f'"""revision {revision}"""\n'
        "from alembic import op\n"
        "import sqlalchemy as sa\n\n"
        f"revision = {revision!r}\n"
        f"down_revision = {down_revision!r}\n"
        "branch_labels = None\n"
        "depends_on = None\n\n\n"
        f"def upgrade():\n{textwrap.indent(textwrap.dedent(upgrade).strip(), '    ')}\n\n\n"
        "def downgrade():\n    pass\n"
    )


TABLE = script(FIRST, None, 'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))')


class Project:
    """A throwaway project (SQLite only) in a temporary folder, the working directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / VERSIONS).mkdir(parents=True)
        (root / "sqlcompile.toml").write_text('dialects = ["sqlite"]\n', encoding="utf-8")

    def write(self, name: str, text: str) -> None:
        (self.root / VERSIONS / name).write_text(text, encoding="utf-8")

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    def process(self, *args: str, env: dict[str, str] | None = None,
                prelude: str = "") -> subprocess.CompletedProcess[str]:
        """`python -m sqlcompile ARGS`, or with ``prelude`` the same entry point after running
        that code in the process; SQLCOMPILE_TRACEBACK and SQLCOMPILE_JOBS unset unless
        ``env`` sets them."""
        environ = {k: v for k, v in os.environ.items()
                   if k not in ("SQLCOMPILE_TRACEBACK", "SQLCOMPILE_JOBS")}
        environ.update(env or {})
        command = ([sys.executable, "-c", f"{prelude}\nfrom sqlcompile.cli import main\nmain()"]
                   if prelude else [sys.executable, "-m", "sqlcompile"])
        return subprocess.run([*command, *args], cwd=self.root, env=environ,
                              capture_output=True, text=True, timeout=120, check=False)

    def comment_template(self) -> None:
        packaged = (PACKAGE / "templates" / "script.py.j2").read_text(encoding="utf-8")
        (self.root / "migrations" / "script.py.j2").write_text(
            packaged.replace("from alembic import op", COMMENT_TEMPLATE + "from alembic import op"),
            encoding="utf-8")


@pytest.fixture
def proj(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SQLCOMPILE_TRACEBACK", raising=False)
    monkeypatch.delenv("SQLCOMPILE_JOBS", raising=False)
    return Project(tmp_path)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


# -- 1: findings -------------------------------------------------------------------------------

def test_stale_file_under_check_exits_1_without_an_error_line(proj: Project) -> None:
    proj.write("a.py", TABLE)
    assert proj.run("render").exit_code == 0
    [upgrade] = (proj.root / "sql_out" / "sqlite" / "upgrade").glob("*.sql")
    upgrade.write_text(upgrade.read_text(encoding="utf-8") + "-- edited\n", encoding="utf-8")
    result = proj.run("check")
    assert result.exit_code == 1
    assert f"stale: sql_out/sqlite/upgrade/{upgrade.name}" in result.stderr.splitlines()
    assert result.stderr.count("check failed: run `sqlcompile render`") == 1
    assert error_lines(result.stderr) == []  # the findings were the report
    assert TRACEBACK not in result.stderr


def test_failed_validation_exits_1_with_one_summary(proj: Project) -> None:
    proj.write("a.py", TABLE)
    proj.write("b.py", script(SECOND, FIRST, 'op.execute("CREATE TABLE (broken")'))
    for args, summary in (
        (("render",), "error: validation failed; no files were written"),
        (("render", "--stdout"), "error: validation failed; nothing was printed"),
    ):
        result = proj.run(*args)
        assert result.exit_code == 1, result.stderr
        assert result.stdout == ""
        found, last = error_lines(result.stderr)
        assert found.startswith("error: migrations/versions/b.py:12: statement failed "
                                "validation (")
        assert last == summary
    assert not (proj.root / "sql_out" / "sqlite").exists()


def test_strict_check_exits_1(proj: Project) -> None:
    proj.write("a.py", script(FIRST, None, 'op.execute("CREATE TABLE c AS SELECT 1 AS x")'))
    assert proj.run("render").exit_code == 0
    assert proj.run("check").exit_code == 0
    strict = proj.run("check", "--strict")
    assert strict.exit_code == 1
    assert strict.stderr.count("check failed (--strict)") == 1


def test_statement_failing_on_the_database_exits_1(proj: Project) -> None:
    proj.write("a.py", script(FIRST, None, 'op.execute("INSERT INTO nowhere VALUES (1)")'))
    result = proj.run("upgrade", "--url", "sqlite:///dev.db")
    assert result.exit_code == 1
    [line] = error_lines(result.stderr)
    assert "no such table: nowhere" in line
    assert TRACEBACK not in result.stderr


# -- 2: bad input ------------------------------------------------------------------------------

def test_input_errors_exit_2(proj: Project) -> None:
    (proj.root / "bad.toml").write_text('dialects = ["sqlite"]\nno_such_key = 1\n',
                                        encoding="utf-8")
    assert proj.run("--config", "bad.toml", "render").exit_code == 2
    proj.write("a.py", script(FIRST, "ffffffffffff"))
    missing_parent = proj.run("check")
    assert missing_parent.exit_code == 2
    assert error_lines(missing_parent.stderr)[0].startswith(f"error: {VERSIONS.as_posix()}/a.py")
    usage = proj.run("render", "--no-such-option")
    assert usage.exit_code == 2
    assert "No such option" in usage.stderr


def test_a_jobs_setting_that_is_no_number_is_an_input_error(proj: Project) -> None:
    proj.write("a.py", TABLE)
    done = proj.process("render", env={"SQLCOMPILE_JOBS": "abc"})
    assert done.returncode == 2, done.stderr
    assert error_lines(done.stderr) == [
        "error: SQLCOMPILE_JOBS='abc' is not a number of processes"], done.stderr


USER_TYPE = TABLE.replace("import sqlalchemy as sa\n", """import sqlalchemy as sa


class Broken(sa.types.UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **kw):
        raise RuntimeError("no spec for Broken")
""", 1).replace('sa.Column("id", sa.Integer',
               'sa.Column("odd", Broken()), sa.Column("id", sa.Integer', 1)


def test_the_projects_own_code_failing_in_the_compiler_is_its_error(proj: Project) -> None:
    """A type the script defines raising while SQLAlchemy compiles it is the project's error
    (exit 2, naming its line), not a bug of ours."""
    assert "Broken()" in USER_TYPE
    proj.write("a.py", USER_TYPE)
    done = proj.process("render")
    assert done.returncode == 2, done.stderr
    (line,) = error_lines(done.stderr)
    assert "the project's code raised RuntimeError: no spec for Broken" in line
    assert "a.py:" in line and "internal error" not in done.stderr


def test_unreachable_database_exits_2_with_the_password_hidden(proj: Project) -> None:
    proj.write("a.py", TABLE)
    result = proj.run("current", "--url", "postgresql://me:s3cret@127.0.0.1:1/db")
    assert result.exit_code == 2, result.stderr
    [line] = error_lines(result.stderr)
    assert line.startswith("error: cannot connect to the database postgresql://me:***@127.0.0.1:1")
    assert "s3cret" not in result.stderr
    garbage = proj.run("current", "--url", "not a url")
    assert garbage.exit_code == 2
    assert error_lines(garbage.stderr) == [
        "error: the database URL does not parse: Could not parse SQLAlchemy URL from given "
        "URL string"]


@pytest.mark.parametrize(("template", "words"), [
    ('"""{{ message }"""\n', ("unexpected '}'",)),
    ('"""{{ no_such_value }}"""\n', ("'no_such_value' is undefined",)),
], ids=["syntax", "undefined"])
def test_a_broken_project_template_is_an_input_error(proj: Project, template: str,
                                                     words: tuple[str, ...]) -> None:
    (proj.root / "migrations" / "script.py.j2").write_text(template, encoding="utf-8")
    result = proj.run("revision", "-m", "x", "--rev-id", FIRST)
    assert result.exit_code == 2, result.stderr
    [line] = error_lines(result.stderr)
    assert line.startswith("error: migrations/script.py.j2:")
    assert "the script template cannot be rendered" in line
    assert all(word in line for word in words), line
    assert not list((proj.root / VERSIONS).glob("*.py"))


# -- 70: a bug of ours -------------------------------------------------------------------------

def test_internal_error_is_one_line_a_hint_and_exit_70(proj: Project) -> None:
    proj.comment_template()
    assert proj.run("revision", "-m", "harmless", "--rev-id", FIRST).exit_code == 0
    result = proj.run("revision", "-m", "x\nimport os", "--rev-id", SECOND)
    assert result.exit_code == 70
    assert result.stderr.splitlines() == [
        f"{INTERNAL}ScriptTemplateBug: the new script's module-level code is not what the "
        "template writes for harmless values: a value escaped its context",
        ASK_HINT,
    ]
    assert [p.name for p in (proj.root / VERSIONS).glob("*.py")] == [f"{FIRST}_harmless.py"]


def test_traceback_only_when_asked(proj: Project) -> None:
    proj.comment_template()
    args = ("revision", "-m", "x\nimport os", "--rev-id", SECOND)
    plain = proj.process(*args)
    assert plain.returncode == 70
    assert TRACEBACK not in plain.stderr
    assert plain.stderr.splitlines()[-1] == ASK_HINT
    for asked in (proj.process("--traceback", *args),
                  proj.process(*args, env={"SQLCOMPILE_TRACEBACK": "1"})):
        assert asked.returncode == 70
        assert asked.stderr.startswith(TRACEBACK)
        assert "in verify_script" in asked.stderr
        lines = asked.stderr.splitlines()
        assert lines[-2].startswith(f"{INTERNAL}ScriptTemplateBug: ")
        assert lines[-1] == "  hint: please report it, with the traceback above"


#: Run before the entry point: sqlglot's parser fails in any process but this one (the forked
#: render workers), with a message that would drive a terminal if it were printed as it is.
WORKER_BUG = textwrap.dedent("""\
    import os
    import sqlglot.parser

    PARENT = os.getpid()
    parse = sqlglot.parser.Parser.parse

    def failing(self, *args, **kw):
        if os.getpid() != PARENT:
            raise RuntimeError("worker bug \\x1b[2J\\nsecond line")
        return parse(self, *args, **kw)

    sqlglot.parser.Parser.parse = failing
""")


@pytest.mark.parametrize("asked", [False, True], ids=["plain", "traceback"])
def test_a_bug_in_a_render_worker_is_an_internal_error(proj: Project, asked: bool) -> None:
    for index in range(4):
        parent = f"{index - 1:012d}" if index else None
        proj.write(f"{index}.py", script(f"{index:012d}", parent, (
            f'op.create_table("t{index}", sa.Column("id", sa.Integer, primary_key=True))')))
    result = proj.process("render", prelude=WORKER_BUG,
                          env={"SQLCOMPILE_JOBS": "2",
                               **({"SQLCOMPILE_TRACEBACK": "1"} if asked else {})})
    assert result.returncode == 70, result.stderr
    escaped = "RuntimeError: worker bug \\x1b[2J\\nsecond line"
    assert f"{INTERNAL}{escaped}" in result.stderr.splitlines()
    assert "\x1b" not in result.stderr
    assert (TRACEBACK in result.stderr) is asked
    if asked:  # the worker's own traceback, escaped as well
        assert "in failing" in result.stderr and "\\x1b[2J" in result.stderr
    assert not (proj.root / "sql_out" / "sqlite").exists()


def test_closed_output_ends_quietly(proj: Project) -> None:
    proj.write("a.py", TABLE)
    environ = {k: v for k, v in os.environ.items() if k != "SQLCOMPILE_TRACEBACK"}
    child = subprocess.Popen([sys.executable, "-m", "sqlcompile", "render", "--stdout"],
                             cwd=proj.root, env=environ, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # the reader is gone before anything is written
    stderr = child.stderr.read()
    assert child.wait(timeout=120) == 141, stderr
    assert "internal error" not in stderr and TRACEBACK not in stderr
    assert "BrokenPipeError" not in stderr


# -- the shape -----------------------------------------------------------------------------------

def _imports(path: Path) -> set[str]:
    """The modules ``path`` imports (`from sqlcompile import cli` as `sqlcompile.cli`)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_only_the_entry_point_imports_the_cli() -> None:
    importers = sorted(path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py")
                       if "sqlcompile.cli" in _imports(path))
    assert importers == ["__main__.py"]


def test_exit_codes_come_from_one_place() -> None:
    """No `sys.exit(...)`, `exit(...)` or `raise SystemExit` in the package but clisupport's."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            call = node.func if isinstance(node, ast.Call) else None
            if ((isinstance(call, ast.Attribute) and call.attr == "exit"
                 and isinstance(call.value, ast.Name) and call.value.id == "sys")
                    or (isinstance(call, ast.Name) and call.id in ("exit", "SystemExit"))
                    or (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Name)
                        and node.exc.id == "SystemExit")):
                found.append(f"{path.relative_to(PACKAGE).as_posix()}:{node.lineno}")
    assert [where.split(":")[0] for where in found] == ["clisupport.py"], found


def test_every_command_handles_errors() -> None:
    assert sorted(cli.commands) == sorted(
        ["init", "revision", "merge", "history", "heads", "show", "render", "check", "upgrade",
         "downgrade", "current", "stamp", "schema"])
    for name, command in cli.commands.items():
        assert getattr(command.callback, "handles_errors", False), name

