"""Revision ids and branch labels name files and version-table rows: an id that is a path, holds
control or invisible characters, or equals another id once case and accents are ignored is an
error at its file and line, and nothing is written; slugs from messages are safe file names."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import dbs
import pytest
from click.testing import CliRunner, Result

from sqlcompile.cli import cli
from sqlcompile.pipeline.output import slug
from sqlcompile.sources.graph import folded_id, id_problem

VERSIONS = Path("migrations") / "versions"
CONFIG = 'dialects = ["postgresql", "sqlite", "mysql", "mariadb", "mssql", "oracle"]\n'


def script(revision: object, down_revision: object = None, *, labels: object = None,
           message: str = "a revision") -> str:
    return (
        f'"""{message}"""\n'
        "from alembic import op\n"
        "import sqlalchemy as sa\n"
        "\n"
        f"revision = {revision!r}\n"
        f"down_revision = {down_revision!r}\n"
        f"branch_labels = {labels!r}\n"
        "depends_on = None\n"
        "\n\n"
        "def upgrade():\n"
        '    op.create_table(f"t_{revision}", sa.Column("id", sa.Integer, primary_key=True))\n'
        "\n\n"
        "def downgrade():\n"
        '    op.drop_table(f"t_{revision}")\n'
    )


REVISION_LINE = 5  # the line of `revision = ...` in script()
LABELS_LINE = 7


class Tmp:
    """A project under ``outside/project``: whatever lands in ``outside`` escaped it."""

    def __init__(self, outside: Path) -> None:
        self.outside = outside
        self.root = outside / "project"
        (self.root / VERSIONS).mkdir(parents=True)
        (self.root / "sqlcompile.toml").write_text(CONFIG, encoding="utf-8")

    def write(self, name: str, text: str) -> Path:
        path = self.root / VERSIONS / name
        path.write_text(text, encoding="utf-8")
        return path

    def run(self, *args: str, code: int = 0) -> Result:
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
        return result

    def files(self) -> list[str]:
        """Every file and folder under ``outside`` (caches left out)."""
        return sorted(p.relative_to(self.outside).as_posix() for p in self.outside.rglob("*")
                      if not {"__pycache__", ".sqlcompile_cache"} & set(p.parts))

    def outputs(self) -> list[Path]:
        out = self.root / "sql_out"
        return [p for p in out.rglob("*") if p.is_file()] if out.exists() else []


@pytest.fixture
def tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Tmp:
    project = Tmp(tmp_path)
    monkeypatch.chdir(project.root)
    return project


def assert_refused(tmp: Tmp, args: tuple[str, ...], *fragments: str) -> str:
    """The command exits 2 with ``fragments`` on stderr, and writes nothing anywhere."""
    before = tmp.files()
    result = tmp.run(*args, code=2)
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert "\n  hint: " in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert tmp.files() == before
    return result.stderr


BAD_IDS = [
    pytest.param("../x", "contains '/', a path separator", id="parent"),
    pytest.param("../../../../../../tmp/evil", "path separator", id="far-parent"),
    pytest.param("a/b", "contains '/', a path separator", id="slash"),
    pytest.param("a\\b", "contains '\\\\', a path separator", id="backslash"),
    pytest.param("/etc/x", "is an absolute path", id="absolute"),
    pytest.param("\\\\server\\share", "is an absolute path", id="unc"),
    pytest.param("~root", "is an absolute path", id="home"),
    pytest.param("C:x", "is an absolute path", id="drive"),
    pytest.param(".", "is a relative path", id="dot"),
    pytest.param("..", "is a relative path", id="dotdot"),
    pytest.param(".hidden", "starts with '.'", id="leading-dot"),
    pytest.param("-rf", "starts with '-'", id="leading-dash"),
    pytest.param("a b", "contains ' ', a space or line break", id="space"),
    pytest.param("a\tb", "contains '\\t', a control character", id="tab"),
    pytest.param("a\nb", "contains '\\n', a control character", id="newline"),
    pytest.param("a\x00b", "contains '\\x00', a control character", id="nul"),
    pytest.param("a\x1b[2Jb", "contains '\\x1b', a control character", id="escape"),
    pytest.param("a\udc80b", "a lone surrogate", id="surrogate"),
    pytest.param("a\u202eb", "contains '\\u202e', which is not a letter", id="bidi"),
    pytest.param("a\u00a0b", "a space or line break", id="nbsp"),
    pytest.param("a\u2028b", "a space or line break", id="line-separator"),
    pytest.param("a;b", "contains ';', which is not a letter", id="semicolon"),
    pytest.param("a'b", "contains \"'\", which is not a letter", id="quote"),
    pytest.param("head", "is the reference `head`", id="reserved"),
    pytest.param("cafe\u0301", "is not in NFC form", id="nfd"),
    pytest.param("x" * 33, "is longer than the version table's 32 characters", id="too-long"),
]


@pytest.mark.parametrize(("rev", "fragment"), BAD_IDS)
def test_bad_revision_id_in_a_script_is_refused_at_its_line(tmp: Tmp, rev: str,
                                                            fragment: str) -> None:
    tmp.write("first.py", script(rev))
    for command in (("render",), ("check",), ("history",), ("render", "--stdout",
                                                              "--dialect", "sqlite")):
        stderr = assert_refused(tmp, command,
                                f"error: migrations/versions/first.py:{REVISION_LINE}: "
                                f"revision id {rev!r} ", fragment, "hint: a revision id")
    assert "at most 32 characters" in stderr
    assert tmp.outputs() == []


@pytest.mark.parametrize(("label", "fragment"), [
    pytest.param("../x", "path separator", id="parent"),
    pytest.param("a b", "a space or line break", id="space"),
    pytest.param("base", "is the reference `base`", id="reserved"),
])
def test_bad_branch_label_in_a_script_is_refused_at_its_line(tmp: Tmp, label: str,
                                                             fragment: str) -> None:
    tmp.write("first.py", script("a1", labels=("ok", label)))
    assert_refused(tmp, ("render",), f"error: migrations/versions/first.py:{LABELS_LINE}: "
                                     f"branch label {label!r} ", fragment)
    assert tmp.outputs() == []


def test_annotated_revision_line_is_found(tmp: Tmp) -> None:
    text = script("a1").replace("revision = 'a1'", "revision: str = '../a1'")
    tmp.write("first.py", text)
    assert_refused(tmp, ("render",), f"first.py:{REVISION_LINE}: revision id '../a1'")


@pytest.mark.parametrize(("first", "second"), [
    ("abc", "ABC"), ("café", "cafe"), ("Straße", "strasse"), ("abc", "ａｂｃ"),
    ("ﬁle", "FILE"),
])
def test_ids_equal_without_case_and_accents_are_refused_naming_both(tmp: Tmp, first: str,
                                                                    second: str) -> None:
    tmp.write("a_first.py", script(first))
    tmp.write("b_second.py", script(second, first))
    stderr = assert_refused(tmp, ("render",))
    assert stderr.startswith(f"error: migrations/versions/b_second.py:{REVISION_LINE}: "
                             f"revision id {second!r} is the same as {first!r} of "
                             f"migrations/versions/a_first.py:{REVISION_LINE} when case and "
                             "accents are ignored")
    assert "MySQL, MariaDB and SQL Server" in stderr
    assert tmp.outputs() == []


def test_exact_duplicates_are_still_reported_as_duplicates(tmp: Tmp) -> None:
    tmp.write("a_first.py", script("abc"))
    tmp.write("b_second.py", script("abc"))
    assert_refused(tmp, ("render",), "duplicate revision id 'abc'")


def test_good_ids_compile_and_apply(tmp: Tmp, any_db: dbs.ScratchDB) -> None:
    """What the rules allow (hex, words with `_` `-` `.`, letters beyond ASCII) works through
    every dialect's render and applies, version rows read back as written."""
    ids = ["0001_init", "v1.2-beta", "_x", "rév_ñ", "Ab9"]
    parent = None
    for i, rev in enumerate(ids):
        tmp.write(f"{i}.py", script(rev, parent, labels=("lbl-" + str(i),) if i == 1 else None))
        parent = rev
    tmp.run("render")
    dialect = {"PostgresDB": "postgresql", "MariaDB": "mariadb"}.get(type(any_db).__name__,
                                                                      "sqlite")
    upgrades = sorted((tmp.root / "sql_out" / dialect / "upgrade").glob("*.sql"))
    assert [p.name.split("_", 1)[1].rsplit("_a_revision", 1)[0] for p in upgrades] == ids
    for path in upgrades:
        dbs.apply_ok(any_db, path)
    assert any_db.query("SELECT version_num FROM sqlcompile_version") == [("Ab9",)]


# -- --rev-id and --branch-label ----------------------------------------------------------

@pytest.mark.parametrize("rev", ["../x", "../../outside", "/tmp/abs", "a\x00b", "..", "a b"])
def test_bad_rev_id_is_refused_for_revision_and_merge(tmp: Tmp, rev: str) -> None:
    assert_refused(tmp, ("revision", "-m", "x", "--rev-id", rev),
                   f"error: --rev-id {rev!r} ", "nothing was written", "hint: a revision id")
    assert_refused(tmp, ("revision", "--autogenerate", "-m", "x", "--rev-id", rev),
                   f"--rev-id {rev!r} ")
    tmp.write("a.py", script("a1"))
    tmp.write("b.py", script("b1"))
    assert_refused(tmp, ("merge", "heads", "-m", "x", "--rev-id", rev),
                   f"error: --rev-id {rev!r} ", "nothing was written")
    assert sorted(p.name for p in (tmp.root / VERSIONS).glob("*.py")) == ["a.py", "b.py"]


def test_bad_branch_label_option_is_refused(tmp: Tmp) -> None:
    assert_refused(tmp, ("revision", "-m", "x", "--branch-label", "a/b"),
                   "error: --branch-label 'a/b' contains '/', a path separator")


def test_rev_id_equal_to_an_existing_one_is_refused(tmp: Tmp) -> None:
    tmp.write("first.py", script("abc"))
    for rev in ("abc", "ABC", "ábc"):
        assert_refused(tmp, ("revision", "-m", "x", "--rev-id", rev),
                       f"error: --rev-id {rev!r} already exists as 'abc' in "
                       f"migrations/versions/first.py:{REVISION_LINE}")
    tmp.write("second.py", script("b1"))
    assert_refused(tmp, ("merge", "heads", "-m", "x", "--rev-id", "AbC"),
                   "--rev-id 'AbC' already exists as 'abc'")


def test_branch_label_option_already_used_is_refused(tmp: Tmp) -> None:
    tmp.write("first.py", script("a1", labels=("feature",)))
    assert_refused(tmp, ("revision", "-m", "x", "--branch-label", "feature"),
                   "--branch-label 'feature' is already the label of a1")


# -- file names from messages ---------------------------------------------------------------

HOSTILE_MESSAGES = [
    "../../../etc/passwd", "a/b\\c", "\x00\r\n\t", ".hidden", "..", "~root", "C:\\x",
    "-rf --no-preserve-root", "x" * 500, "naïve café 北京", "cafe\u0301", "\udc80\ud800",
    "\u202eexe.txt", "CON", "a\u2028b", "%s%n{{x}}", "", "   ", "___", "_.-",
]


@pytest.mark.parametrize("message", HOSTILE_MESSAGES)
def test_slug_is_a_safe_file_name_part(message: str) -> None:
    part = slug(message)
    assert re.fullmatch(r"[0-9a-z]+(_[0-9a-z]+)*", part), part
    assert len(part) <= 40
    assert unicodedata.is_normalized("NFC", part)


def test_hostile_messages_give_safe_script_and_sql_file_names(tmp: Tmp) -> None:
    for i, message in enumerate(HOSTILE_MESSAGES):
        tmp.run("revision", "-m", message, "--rev-id", f"r{i:02d}")
    scripts = sorted(p.name for p in (tmp.root / VERSIONS).iterdir() if p.is_file())
    assert len(scripts) == len(HOSTILE_MESSAGES)
    assert all(re.fullmatch(r"r\d\d_[0-9a-z_]{1,40}\.py", name) for name in scripts), scripts
    tmp.run("render")
    produced = [p.relative_to(tmp.root / "sql_out") for p in tmp.outputs()]
    assert len(produced) == 6 * (2 * len(HOSTILE_MESSAGES) + 1)
    for rel in produced:
        if rel.name == "schema.sql":
            assert len(rel.parts) == 2
            continue
        assert len(rel.parts) == 3 and rel.parts[1] in ("upgrade", "downgrade")
        assert re.fullmatch(r"\d{4}_r\d\d_[0-9a-z_]{1,40}\.sql", rel.name), rel
    assert [p for p in tmp.files() if not p.startswith("project")] == []


# -- the rules themselves -----------------------------------------------------------------

def test_id_rules() -> None:
    for good in ("a1b2c3d4e5f6", "0001", "add_users", "v1.2-rc.1", "_private", "Ω", "日本",
                 "caf\u00e9", "x..y"):
        assert id_problem(good) is None, good
    assert folded_id("ÀÉÎ") == "aei"
    assert folded_id("Straße") == folded_id("STRASSE")
    assert folded_id("abc") != folded_id("abd")
