"""What `revision -m`, `merge -m` and `revision --autogenerate` put into a script is escaped
for where it goes: a hostile message (quotes that close the docstring, backslashes, NUL, CR,
lone surrogates, template syntax) is text, never code. The script parses, holds exactly the
values given, runs nothing else when it is loaded or rendered, and history shows the message.
"""

from __future__ import annotations

import ast
import itertools
import sys
import textwrap
from pathlib import Path

import dbs
import pytest
from click.testing import CliRunner, Result

from sqlcompile.cli import cli
from sqlcompile.commands import ScriptTemplateBug, docstring_text, verify_script
from sqlcompile.sources.proxy import alembic_compat
from sqlcompile.sources.scripts import load_script

VERSIONS = Path("migrations") / "versions"
PWNED = "PWNED"
ATTACK = '"""; import os; os.system("touch PWNED"); """'
_modules = itertools.count(1)  # models modules need new names: imported ones are cached

#: (message given to -m, what `history` shows for it)
MESSAGES = [
    pytest.param('say """hi""" twice', 'say """hi""" twice', id="triple-double-quotes"),
    pytest.param("say '''hi''' twice", "say '''hi''' twice", id="triple-single-quotes"),
    pytest.param('ends in a quote"', 'ends in a quote"', id="trailing-quote"),
    pytest.param("C:\\new\\table \\N{BULLET} \\x41", "C:\\new\\table \\N{BULLET} \\x41",
                 id="backslashes"),
    pytest.param("trailing backslash \\", "trailing backslash \\", id="trailing-backslash"),
    pytest.param("nul \x00 byte", "nul \\x00 byte", id="nul"),
    pytest.param("carriage\rreturn", "carriage\\rreturn", id="cr"),
    pytest.param("first line\r\nsecond line", "first line", id="crlf"),
    pytest.param("first line\nsecond line", "first line", id="lf"),
    pytest.param("lone \udc80 surrogate", "lone \\udc80 surrogate", id="lone-surrogate"),
    pytest.param("bidi \u202e override \u2028 separator", "bidi \\u202e override \\u2028 separator",
                 id="bidi-and-separator"),
    pytest.param("{{ message }} {% if x %}y{% endif %} {# c #} ${x}",
                 "{{ message }} {% if x %}y{% endif %} {# c #} ${x}", id="template-syntax"),
    pytest.param("100% %s %(name)s %%", "100% %s %(name)s %%", id="percent"),
    pytest.param(ATTACK, ATTACK, id="docstring-escape-attack"),
    pytest.param(ATTACK.replace('"""', "'''"), ATTACK.replace('"""', "'''"),
                 id="single-quote-attack"),
    pytest.param('\\"""; import os; os.system("touch PWNED"); """',
                 '\\"""; import os; os.system("touch PWNED"); """', id="backslash-quote-attack"),
]


class Tmp:
    """A project in a temporary folder, which is also the working directory (so a `touch
    PWNED` that ran would leave its file here)."""

    def __init__(self, root: Path, extra_config: str = "") -> None:
        self.root = root
        (root / VERSIONS).mkdir(parents=True)
        (root / "sqlcompile.toml").write_text(
            'dialects = ["postgresql", "sqlite", "mariadb"]\n' + extra_config, encoding="utf-8")

    def run(self, *args: str, code: int = 0) -> Result:
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
        return result

    def script_path(self, rev: str) -> Path:
        (path,) = (self.root / VERSIONS).glob(f"{rev}_*.py")
        return path

    def assert_nothing_ran(self) -> None:
        assert not (self.root / PWNED).exists()
        assert not list(self.root.rglob(PWNED))


@pytest.fixture
def tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Tmp:
    monkeypatch.chdir(tmp_path)
    return Tmp(tmp_path)


def module_statements(text: str) -> list[str]:
    """What a script does at module level, one word per statement."""
    out = []
    for node in ast.parse(text).body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            out.append("docstring")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            out.append("import")
        elif isinstance(node, ast.Assign):
            (target,) = node.targets
            assert isinstance(target, ast.Name)
            out.append(f"{target.id} =")
        elif isinstance(node, ast.FunctionDef):
            out.append(f"def {node.name}")
        else:
            out.append(type(node).__name__)
    return out


EMPTY_SCRIPT = ["docstring", "import", "import", "revision =", "down_revision =",
                "branch_labels =", "depends_on =", "def upgrade", "def downgrade"]


def check_script(tmp: Tmp, rev: str, message: str, parents: tuple[str, ...]) -> None:
    """The written script parses into the template's statements only, its docstring opens with
    the message as given, and loading it gives the ids and the message's first line."""
    path = tmp.script_path(rev)
    text = path.read_text(encoding="utf-8")
    statements = module_statements(text)
    assert statements[0] == "docstring"
    assert [s for s in statements if s != "import"] == [s for s in EMPTY_SCRIPT if s != "import"]
    doc = ast.get_docstring(ast.parse(text), clean=False)
    assert doc is not None and doc.startswith(message + "\n\nRevision ID: " + rev + "\n")
    with alembic_compat():
        script = load_script(path, tmp.root)
    tmp.assert_nothing_ran()
    assert script.revision == rev
    assert script.down_revisions == parents
    assert script.message == message.split("\n", 1)[0].strip()
    assert script.namespace["__doc__"] == doc


def check_render(tmp: Tmp) -> None:
    tmp.run("render")
    tmp.run("check")
    tmp.assert_nothing_ran()
    names = [p.name for p in (tmp.root / "sql_out").rglob("*.sql")]
    assert names and all(name.isascii() and name.isprintable() for name in names)


def history_line(tmp: Tmp, rev: str) -> str:
    (line,) = [ln for ln in tmp.run("history").stdout.splitlines() if f"-> {rev}" in ln]
    return line


@pytest.mark.parametrize(("message", "shown"), MESSAGES)
def test_revision_message_is_text_not_code(tmp: Tmp, message: str, shown: str) -> None:
    tmp.run("revision", "-m", message, "--rev-id", "a1")
    check_script(tmp, "a1", message, ())
    check_render(tmp)
    assert history_line(tmp, "a1").endswith(f"-> a1 (head): {shown}")
    shown_doc = tmp.run("show", "a1").stdout
    assert "\x00" not in shown_doc and "\r" not in shown_doc and "\udc80" not in shown_doc


@pytest.mark.parametrize(("message", "shown"), MESSAGES)
def test_merge_message_is_text_not_code(tmp: Tmp, message: str, shown: str) -> None:
    tmp.run("revision", "-m", "one", "--rev-id", "a1")
    tmp.run("revision", "-m", "two", "--rev-id", "b1", "--head", "base")
    tmp.run("merge", "heads", "-m", message, "--rev-id", "m1")
    check_script(tmp, "m1", message, ("a1", "b1"))
    check_render(tmp)
    assert history_line(tmp, "m1").endswith(f"a1, b1 -> m1 (head; mergepoint): {shown}")


def test_second_revision_names_its_parent_in_the_docstring(tmp: Tmp) -> None:
    tmp.run("revision", "-m", "one", "--rev-id", "a1")
    tmp.run("revision", "-m", ATTACK, "--rev-id", "a2", "--branch-label", "feature",
            "--depends-on", "a1")
    text = tmp.script_path("a2").read_text(encoding="utf-8")
    doc = ast.get_docstring(ast.parse(text), clean=False)
    assert doc == f"{ATTACK}\n\nRevision ID: a2\nRevises: a1\n"
    with alembic_compat():
        script = load_script(tmp.script_path("a2"), tmp.root)
    assert (script.branch_labels, script.depends_on) == (("feature",), ("a1",))
    check_render(tmp)


MODELS_WITH_HOSTILE_COLUMN = '''\
import sqlalchemy as sa

metadata = sa.MetaData()
sa.Table(
    "t", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("x\\nimport os; os.system('touch PWNED')\\r", sa.Integer),
)
'''
MODELS_WITHOUT_IT = '''\
import sqlalchemy as sa

metadata = sa.MetaData()
sa.Table("t", metadata, sa.Column("id", sa.Integer, primary_key=True))
'''


def set_models(tmp: Tmp, name: str, source: str) -> None:
    (tmp.root / f"{name}.py").write_text(source, encoding="utf-8")
    (tmp.root / "sqlcompile.toml").write_text(
        f'dialects = ["postgresql", "sqlite"]\ntarget_metadata = "{name}:metadata"\n',
        encoding="utf-8")


@pytest.mark.parametrize(("message", "shown"), MESSAGES)
def test_autogenerate_message_is_text_not_code(tmp: Tmp, message: str, shown: str) -> None:
    set_models(tmp, f"trust_models_plain_{next(_modules)}", MODELS_WITHOUT_IT)
    tmp.run("revision", "--autogenerate", "-m", message, "--rev-id", "a1")
    text = tmp.script_path("a1").read_text(encoding="utf-8")
    assert "op.create_table(" in text
    doc = ast.get_docstring(ast.parse(text), clean=False)
    assert doc is not None and doc.startswith(message + "\n\nRevision ID: a1\n")
    check_render(tmp)
    assert history_line(tmp, "a1").endswith(f"-> a1 (head): {shown}")


def test_autogenerate_names_in_comments_stay_comments(tmp: Tmp) -> None:
    """A data-loss comment names the dropped column: a line break in its name must not end
    the comment (the rest would run when the script loads). Compiling such a name is another
    check's business (some dialects refuse it); loading the scripts must run nothing."""
    set_models(tmp, f"trust_models_hostile_{next(_modules)}", MODELS_WITH_HOSTILE_COLUMN)
    tmp.run("revision", "--autogenerate", "-m", "with it", "--rev-id", "a1")
    set_models(tmp, f"trust_models_without_{next(_modules)}", MODELS_WITHOUT_IT)
    tmp.run("revision", "--autogenerate", "-m", ATTACK, "--rev-id", "a2")
    text = tmp.script_path("a2").read_text(encoding="utf-8")
    assert module_statements(text) == EMPTY_SCRIPT
    (comment,) = [line for line in text.splitlines() if "DATA LOSS" in line]
    assert comment == ("    # DATA LOSS: drops column t.x\\nimport os; os.system('touch PWNED')"
                       "\\r and its values")
    with alembic_compat():
        script = load_script(tmp.script_path("a2"), tmp.root)
    assert (script.revision, script.down_revisions, script.message) == ("a2", ("a1",), ATTACK)
    assert history_line(tmp, "a2").endswith(f"a1 -> a2 (head): {ATTACK}")
    tmp.assert_nothing_ran()


def test_rendered_hostile_message_applies(any_db: dbs.ScratchDB, tmp: Tmp) -> None:
    """The message reaches the SQL files only as comments: each file applies through the
    documented client and the version table holds the revision."""
    dialect = {"PostgresDB": "postgresql", "MariaDB": "mariadb"}.get(type(any_db).__name__,
                                                                      "sqlite")
    message = "x\x00y\rz \udc80 */ -- ; DROP TABLE t; \u202e" + ATTACK
    tmp.run("revision", "-m", message, "--rev-id", "a1")
    tmp.run("render", "--dialect", dialect)
    tmp.assert_nothing_ran()
    (upgrade,) = (tmp.root / "sql_out" / dialect / "upgrade").glob("*.sql")
    dbs.apply_ok(any_db, upgrade)
    assert any_db.query("SELECT version_num FROM sqlcompile_version") == [("a1",)]


# -- the escaping itself and the check after rendering ------------------------------------

def every_character() -> str:
    return "".join(map(chr, range(sys.maxunicode + 1)))


@pytest.mark.parametrize("quote", ['"""', "'''"])
def test_docstring_text_reads_back_every_character(quote: str) -> None:
    value = every_character() + '"' * 7 + "'" * 7 + "\\" * 3 + "\r\n\r"
    source = f"{quote}{docstring_text(value)}{quote}\n"
    source.encode("utf-8")  # no lone surrogate left in the text
    namespace: dict[str, object] = {}
    exec(compile(source, "<docstring>", "exec"), namespace)
    assert namespace["__doc__"] == value


def test_docstring_text_keeps_ordinary_text_as_is() -> None:
    text = "Add users.email (unique) — naïve café: 'quoted' \"words\"\n\tsecond line"
    assert docstring_text(text) == text
    assert docstring_text('a "quote" at the end"') == 'a "quote" at the end\\"'


REFERENCE = ('"""sqlcompile_placeholder_message\n"""\n'
             "revision = 'sqlcompile_placeholder_revision'\n")


@pytest.mark.parametrize("text", [
    '"""m\n"""\nrevision = \'a1\'\nimport os\n',
    '"""m\n"""\nrevision = \'a2\'\n',
    '"""other\n"""\nrevision = \'a1\'\n',
    '"""m\n"""\nrevision = \'a1\'\ndef f(x=print("load")): pass\n',
    '"""m\n"""\nrevision = \'a1\'\n"""',
])
def test_verify_script_refuses_what_differs_from_the_template(text: str) -> None:
    values = {"message": "m", "revision": "a1", "down_revision": None, "branch_labels": None,
              "depends_on": None, "down_revision_text": "(none)"}
    placeholders = {"message": "sqlcompile_placeholder_message",
                    "revision": "sqlcompile_placeholder_revision", "down_revision": None,
                    "branch_labels": None, "depends_on": None,
                    "down_revision_text": "(none)"}
    verify_script('"""m\n"""\nrevision = \'a1\'\n', REFERENCE, values, placeholders, [], "t")
    with pytest.raises(ScriptTemplateBug):
        verify_script(text, REFERENCE, values, placeholders, [], "t")
    with pytest.raises(ScriptTemplateBug):
        verify_script('"""m\n"""\nrevision = \'a1\'\n', REFERENCE, values, placeholders,
                      ["import os; os.system('x')"], "t")


def test_template_putting_the_message_in_code_is_refused_unwritten(tmp: Tmp) -> None:
    """A project template that writes the message where no escaping applies (a comment) is
    caught by the check after rendering, as a bug, before anything is written."""
    packaged = (Path(__file__).resolve().parent.parent / "sqlcompile" / "templates"
                / "script.py.j2").read_text(encoding="utf-8")
    (tmp.root / "migrations" / "script.py.j2").write_text(
        packaged.replace("from alembic import op", "# {{ message }}\nfrom alembic import op"),
        encoding="utf-8")
    tmp.run("revision", "-m", "harmless", "--rev-id", "a1")
    refused = tmp.run("revision", "-m", "x\nimport os; os.system('touch PWNED')",
                      "--rev-id", "a2", code=70)  # reported as a bug of ours
    assert "internal error in sqlcompile" in refused.stderr
    assert "ScriptTemplateBug" in refused.stderr
    assert [p.name for p in (tmp.root / VERSIONS).glob("*.py")] == ["a1_harmless.py"]
    tmp.assert_nothing_ran()


def test_template_that_is_not_python_is_a_user_error(tmp: Tmp) -> None:
    (tmp.root / "migrations" / "script.py.j2").write_text(
        textwrap.dedent('''\
            """{{ message }}"""
            revision = {{ revision | pyrepr }}
            def upgrade(:
                pass
        '''), encoding="utf-8")
    result = tmp.run("revision", "-m", "x", "--rev-id", "a1", code=2)
    assert "error: migrations/script.py.j2: the script template does not render valid " \
           "Python" in result.stderr
    assert not list((tmp.root / VERSIONS).glob("*.py"))
