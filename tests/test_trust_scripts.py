"""A script cannot escape: what it prints goes to stderr (`render --stdout` carries SQL only,
applied here by psql), and `sys.exit()`, `raise SystemExit` or `raise KeyboardInterrupt` in it
is that script's error (exit 2, file:line, nothing written), not the end of the program.

Everything runs `python -m sqlcompile` in a subprocess, so the exit code, the two streams and
file descriptor 1 are the real ones.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import dbs
import pytest

VERSIONS = Path("migrations") / "versions"
OUT = "sql_out"
MARK = "PRINTED-BY-SCRIPT"
FD_MARK = "WRITTEN-TO-FD-1"
PLACES = ("import", "upgrade", "downgrade")
ESCAPES = {
    "sys.exit(0)": ("import sys; sys.exit(0)", "sys.exit(0)"),
    "sys.exit(3)": ("import sys; sys.exit(3)", "sys.exit(3)"),
    "raise SystemExit": ("raise SystemExit", "sys.exit()"),
    "raise KeyboardInterrupt": ("raise KeyboardInterrupt", "raised KeyboardInterrupt"),
}


def script(revision: str, down: str | None, table: str, *, top: str = "",
           upgrade_extra: str = "", downgrade_extra: str = "") -> str:
    """A script creating ``table`` (and dropping it on downgrade), with extra code placed at
    import (``top``), or first in upgrade() or downgrade()."""
    return (
        f'"""create {table}"""\n'
        "from alembic import op\n"
        "import sqlalchemy as sa\n"
        f"{top}\n"
        f"revision = {revision!r}\n"
        f"down_revision = {down!r}\n\n\n"
        "def upgrade():\n"
        f"    {upgrade_extra or 'pass'}\n"
        f"    op.create_table({table!r}, sa.Column('id', sa.Integer, primary_key=True),\n"
        "                    sa.Column('note', sa.String(20)))\n"
        f"    op.bulk_insert(sa.table({table!r}, sa.column('id'), sa.column('note')),\n"
        "                   [{'id': 1, 'note': 'kept'}])\n\n\n"
        "def downgrade():\n"
        f"    {downgrade_extra or 'pass'}\n"
        f"    op.drop_table({table!r})\n"
    )


def code_at(place: str, code: str) -> dict[str, str]:
    """Keyword arguments of :func:`script` putting ``code`` at ``place``."""
    key = {"import": "top", "upgrade": "upgrade_extra", "downgrade": "downgrade_extra"}[place]
    return {key: code}


def noisy(place: str) -> str:
    """Code that prints through sys.stdout, a C-level write to descriptor 1, a child process
    and the interpreter's original stdout object, each marked with ``place``."""
    return "; ".join([
        "import os, subprocess, sys",
        f"print('{MARK}-{place}')",
        f"os.write(1, b'{FD_MARK}-{place}\\n')",
        f"subprocess.run(['echo', 'CHILD-{place}'], check=True)",
        f"sys.__stdout__.write('DUNDER-{place}\\n')",
    ])


def noise_words(place: str) -> list[str]:
    return [f"{MARK}-{place}", f"{FD_MARK}-{place}", f"CHILD-{place}", f"DUNDER-{place}"]


def leaked(sql: bytes, place: str) -> list[str]:
    """The noise words of ``place`` in ``sql`` other than the comment line that print() in a
    migration function becomes (tests/test_printed_comments.py): none may be there."""
    kept = sql.replace(f"-- printed by the script: {MARK}-{place}\n".encode(), b"")
    return [word for word in noise_words(place) if word.encode() in kept]


class Project:
    """A project in a temporary folder: PostgreSQL, scripts in migrations/versions/."""

    def __init__(self, root: Path, config: str = 'dialects = ["postgresql"]\n') -> None:
        self.root = root
        (root / VERSIONS).mkdir(parents=True)
        (root / "sqlcompile.toml").write_text(config, encoding="utf-8")

    def write(self, name: str, text: str) -> Path:
        path = self.root / VERSIONS / name
        path.write_text(text, encoding="utf-8")
        return path

    def run(self, *args: str, jobs: int | None = None) -> subprocess.CompletedProcess[bytes]:
        env = {k: v for k, v in os.environ.items() if k != "SQLCOMPILE_JOBS"}
        if jobs is not None:
            env["SQLCOMPILE_JOBS"] = str(jobs)
        return subprocess.run([sys.executable, "-m", "sqlcompile", *args], cwd=self.root,
                              capture_output=True, timeout=120, check=False, env=env)

    def outputs(self) -> list[str]:
        """Every file and folder under sql_out/ (hidden ones too)."""
        out = self.root / OUT
        return sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) if out.exists() \
            else []


@pytest.fixture
def proj(tmp_path: Path) -> Project:
    return Project(tmp_path)


def history(proj: Project, place: str, code: str) -> Path:
    """Revisions a1 (clean) and b2 (``code`` at ``place``); the path of b2."""
    proj.write("a1_first.py", script("a1", None, "first"))
    return proj.write("b2_second.py", script("b2", "a1", "second", **code_at(place, code)))


def line_of(path: Path, needle: str) -> int:
    found = [i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line]
    assert len(found) == 1, found
    return found[0]


# -- what a script prints --------------------------------------------------------------------

@pytest.mark.parametrize("place", PLACES)
def test_printing_script_leaves_the_sql_stream_pure(proj: Project, place: str,
                                                    pg_db: dbs.PostgresDB) -> None:
    history(proj, place, noisy(place))
    up = proj.run("render", "--stdout")
    down = proj.run("render", "--stdout", "--downgrade")
    for result in (up, down):
        assert result.returncode == 0, result.stderr.decode()
        assert leaked(result.stdout, place) == []
        assert result.stdout.startswith(b"-- Generated by sqlcompile")
    ran = down if place == "downgrade" else up
    if place != "import":
        assert f"-- printed by the script: {MARK}-{place}\n".encode() in ran.stdout
    for word in noise_words(place):
        assert word.encode() in ran.stderr, (word, ran.stderr.decode())
    dbs.apply_ok(pg_db, up.stdout.decode("utf-8"))
    assert pg_db.query("SELECT note FROM second") == [("kept",)]
    assert pg_db.query("SELECT version_num FROM sqlcompile_version") == [("b2",)]
    dbs.apply_ok(pg_db, down.stdout.decode("utf-8"))
    assert "second" not in pg_db.tables() and "first" not in pg_db.tables()
    assert pg_db.query("SELECT count(*) FROM sqlcompile_version") == [(0,)]


@pytest.mark.parametrize("place", PLACES)
def test_printing_script_in_forked_render_reaches_stderr_only(proj: Project, place: str,
                                                              pg_db: dbs.PostgresDB) -> None:
    """Four revisions over three processes: the noisy one runs in the last worker."""
    proj.write("a1_first.py", script("a1", None, "first"))
    proj.write("b2_second.py", script("b2", "a1", "second"))
    proj.write("c3_third.py", script("c3", "b2", "third"))
    proj.write("d4_fourth.py", script("d4", "c3", "fourth", **code_at(place, noisy(place))))
    result = proj.run("render", jobs=3)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == b""
    for word in noise_words(place):
        assert result.stderr.count(word.encode()) >= 1, (word, result.stderr.decode())
    files = sorted((proj.root / OUT / "postgresql" / "upgrade").glob("*.sql"))
    assert len(files) == 4
    for path in files:
        assert leaked(path.read_bytes(), place) == []
        dbs.apply_ok(pg_db, path)
    assert pg_db.query("SELECT version_num FROM sqlcompile_version") == [("d4",)]


MODELS = """\
import os, subprocess, sys
import sqlalchemy as sa

print("{mark}-models")
os.write(1, b"{fd}-models\\n")
subprocess.run(["echo", "CHILD-models"], check=True)

metadata = sa.MetaData()
sa.Table("first", metadata, sa.Column("id", sa.Integer, primary_key=True),
         sa.Column("note", sa.String(20)))
sa.Table("extra", metadata, sa.Column("id", sa.Integer, primary_key=True))
"""


def models_project(root: Path, models: str) -> Project:
    proj = Project(root, 'dialects = ["postgresql"]\ntarget_metadata = "models:metadata"\n')
    (root / "models.py").write_text(models, encoding="utf-8")
    proj.write("a1_first.py", script("a1", None, "first"))
    return proj


def test_printing_models_stay_off_stdout_in_autogenerate_and_check(
        tmp_path: Path, pg_db: dbs.PostgresDB) -> None:
    proj = models_project(tmp_path, MODELS.format(mark=MARK, fd=FD_MARK))
    made = proj.run("revision", "--autogenerate", "-m", "add extra", "--rev-id", "b2")
    assert made.returncode == 0, made.stderr.decode()
    lines = made.stdout.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("created migrations/versions/"), lines
    for word in (f"{MARK}-models", f"{FD_MARK}-models", "CHILD-models"):
        assert word.encode() in made.stderr
    assert proj.run("render").returncode == 0
    checked = proj.run("check")
    assert checked.returncode == 0, checked.stderr.decode()
    assert checked.stdout == b""
    assert f"{MARK}-models".encode() in checked.stderr
    stream = proj.run("render", "--stdout")
    assert stream.returncode == 0
    dbs.apply_ok(pg_db, stream.stdout.decode("utf-8"))
    assert sorted(pg_db.tables()) == ["extra", "first", "sqlcompile_version"]


# -- a script that tries to end the program --------------------------------------------------

def assert_script_error(result: subprocess.CompletedProcess[bytes], location: str,
                        *words: str) -> None:
    err = result.stderr.decode()
    assert result.returncode == 2, (result.returncode, err)
    assert result.stdout == b""
    assert "Traceback" not in err, err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(f"error: {location}"), err
    assert "hint:" in err, err
    for word in words:
        assert word in err, (word, err)


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("escape", ESCAPES, ids=list(ESCAPES))
@pytest.mark.parametrize("command", ["render", "check"])
def test_script_exit_is_its_error(proj: Project, place: str, escape: str,
                                  command: str) -> None:
    code, shown = ESCAPES[escape]
    path = history(proj, place, code)
    result = proj.run(command)
    what = {"import": "loading the script", "upgrade": "upgrade()",
            "downgrade": "downgrade()"}[place]
    location = f"{VERSIONS.as_posix()}/b2_second.py:{line_of(path, code)}:"
    assert_script_error(result, location, f"{what} failed", shown)
    assert proj.outputs() == []


@pytest.mark.parametrize("escape", ESCAPES, ids=list(ESCAPES))
@pytest.mark.parametrize("place", ["upgrade", "downgrade"])
def test_script_exit_in_a_forked_worker_is_its_error(proj: Project, escape: str,
                                                     place: str) -> None:
    """Six revisions over three processes; the failing one runs in a worker, not the parent,
    and the files the other chunks staged are discarded."""
    code, shown = ESCAPES[escape]
    names = ["a1", "b2", "c3", "d4", "e5", "f6"]
    failing = None
    for i, rev in enumerate(names):
        extra = code_at(place, code) if rev == "e5" else {}
        path = proj.write(f"{rev}_step.py", script(rev, names[i - 1] if i else None,
                                                   f"t_{rev}", **extra))
        failing = path if rev == "e5" else failing
    assert failing is not None
    location = f"{VERSIONS.as_posix()}/e5_step.py:{line_of(failing, code)}:"
    for command in ("render", "check"):
        result = proj.run(command, jobs=3)
        assert_script_error(result, location, f"{place}() failed", shown)
        assert proj.outputs() == []


@pytest.mark.parametrize("escape", ESCAPES, ids=list(ESCAPES))
def test_models_exit_is_their_error(tmp_path: Path, escape: str) -> None:
    code, shown = ESCAPES[escape]
    models = "import sqlalchemy as sa\n" + code + "\nmetadata = sa.MetaData()\n"
    proj = models_project(tmp_path, models)
    location = f"{tmp_path / 'models.py'}:2:"
    for args in (("check",), ("revision", "--autogenerate", "-m", "x")):
        result = proj.run(*args)
        assert_script_error(result, location, "importing the models (models) failed", shown)
    assert [p.name for p in (tmp_path / VERSIONS).glob("*.py")] == ["a1_first.py"]


def test_users_ctrl_c_still_stops_the_program(proj: Project) -> None:
    """A real SIGINT while upgrade() runs is the user's interrupt, not the script's error."""
    proj.write("a1_first.py", script("a1", None, "first", upgrade_extra=(
        "import sys, time; print('READY', file=sys.stderr, flush=True); time.sleep(60)")))
    env = {k: v for k, v in os.environ.items() if k != "SQLCOMPILE_JOBS"}
    child = subprocess.Popen([sys.executable, "-m", "sqlcompile", "render"], cwd=proj.root,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        assert child.stderr is not None
        assert child.stderr.readline().strip() == b"READY"
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode not in (0, 2), (child.returncode, err.decode())
    assert b"raised KeyboardInterrupt" not in err
    assert b"Aborted" in err, err.decode()
    assert out == b""
    assert proj.outputs() == []



TYPED = '''"""a type of its own"""
import os, sys
from alembic import op
import sqlalchemy as sa


class Loud(sa.types.TypeDecorator):
    impl = sa.String
    cache_ok = True

    def process_literal_param(self, value, dialect):
        print("{mark}-type"); os.write(1, b"{fd}-type\\n")
        {escape}
        return value


revision = "{rev}"
down_revision = {down!r}


def upgrade():
    op.create_table("typed", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("s", Loud(10)))
    op.bulk_insert(sa.table("typed", sa.column("id"), sa.column("s", Loud(10))),
                   [{{"id": 1, "s": "x"}}])


def downgrade():
    op.drop_table("typed")
'''


def typed(rev: str, down: str | None, escape: str = "pass") -> str:
    return TYPED.format(mark=MARK, fd=FD_MARK, escape=escape, rev=rev, down=down)


def test_printing_type_of_a_script_leaves_the_sql_stream_pure(
        proj: Project, pg_db: dbs.PostgresDB) -> None:
    """A script's own type runs while its ops compile, outside upgrade(): still stderr."""
    proj.write("a1_typed.py", typed("a1", None))
    result = proj.run("render", "--stdout")
    assert result.returncode == 0, result.stderr.decode()
    assert f"{MARK}-type".encode() in result.stderr
    assert f"{FD_MARK}-type".encode() in result.stderr
    assert b"-type" not in result.stdout
    dbs.apply_ok(pg_db, result.stdout.decode("utf-8"))
    assert pg_db.query("SELECT s FROM typed") == [("x",)]


@pytest.mark.parametrize("escape", ESCAPES, ids=list(ESCAPES))
@pytest.mark.parametrize("jobs", [1, 3])
def test_exit_from_a_scripts_type_is_its_error(proj: Project, escape: str, jobs: int) -> None:
    """Also in a forked worker, which must not die and leave the parent waiting."""
    code, shown = ESCAPES[escape]
    names = ["a1", "b2", "c3", "d4"]
    for i, rev in enumerate(names[:-1]):
        proj.write(f"{rev}_step.py", script(rev, names[i - 1] if i else None, f"t_{rev}"))
    path = proj.write("d4_typed.py", typed("d4", "c3", code))
    location = f"{VERSIONS.as_posix()}/d4_typed.py:{line_of(path, code)}:"
    for args in (("render",), ("check",), ("render", "--stdout")):
        result = proj.run(*args, jobs=jobs)
        assert_script_error(result, location, "compiling failed", shown)
        assert proj.outputs() == []
