"""One failure never hides the others: render and check compile every revision, direction and
dialect, and report every failure in one run, by position, each with its cause and what to do.

The histories are our own, written after patterns real ones have: a data migration that reads
rows, an op a plugin would provide, a dictionary lookup that is a bug, an op SQLite cannot
express, a module-level import of a package that is not installed.
"""

from __future__ import annotations

import re
from pathlib import Path

import histories as h
import pytest
import sqlalchemy as sa

from sqlcompile.config import load_config
from sqlcompile.dialects import get_dialect
from sqlcompile.errors import CompileError
from sqlcompile.ops.base import Op, Recorded
from sqlcompile.ops.table_ops import CreateTable
from sqlcompile.pipeline.compiler import FAILED_TO_COMPILE, Recording, replay
from sqlcompile.pipeline.render import load_project, render_files
from sqlcompile.schema.model import Schema

DIALECTS = ("postgresql", "sqlite", "mariadb")

A1, B2, C3, D4, E5, F6 = "a1a1a1a1a1a1", "b2b2b2b2b2b2", "c3c3c3c3c3c3", "d4d4d4d4d4d4", \
    "e5e5e5e5e5e5", "f6f6f6f6f6f6"

CREATE = h.script(A1, None, """
    op.create_table("account", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("email", sa.String(200)), sa.Column("plan", sa.String(20)))
""", 'op.drop_table("account")', message="accounts")

#: A data migration that reads rows: offline, nothing can answer it.
READS_ROWS = h.script(B2, A1, """
    op.add_column("account", sa.Column("active", sa.Boolean, nullable=True))
    bind = op.get_bind()
    for (ident,) in bind.execute(sa.text("SELECT id FROM account")).fetchall():
        pass
""", 'op.drop_column("account", "active")', message="backfill active")

#: A column added only if missing: SQLite has no ADD COLUMN IF NOT EXISTS.
IF_MISSING = h.script(C3, B2, """
    op.add_column("account", sa.Column("note", sa.Text), if_not_exists=True)
""", 'op.drop_column("account", "note")', message="account notes")

#: A bug in the script: a dictionary lookup that raises KeyError.
KEY_ERROR = h.script(D4, C3, """
    defaults = {"plan": "free"}
    op.alter_column("account", "plan", server_default=defaults["tier"])
""", 'op.alter_column("account", "plan", server_default=None)', message="plan default")

#: An op that a plugin would register; without the plugin, op has no such method.
PLUGIN_OP = h.script(E5, D4, """
    op.sync_widget_catalog("plan_kind", ["free", "paid"])
""", "pass", message="sync plans")

LAST = h.script(F6, E5, """
    op.create_table("invoice", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id")))
""", 'op.drop_table("invoice")', message="invoices")

FAILING = {"a1_accounts.py": CREATE, "b2_backfill.py": READS_ROWS, "c3_notes.py": IF_MISSING,
           "d4_default.py": KEY_ERROR, "e5_plans.py": PLUGIN_OP, "f6_invoices.py": LAST}


@pytest.fixture
def failing(tmp_path: Path) -> Path:
    return h.write(tmp_path / "p", FAILING, DIALECTS)


def test_every_failure_is_reported_in_order_with_a_summary(failing: Path) -> None:
    result = h.run(failing, "render")
    assert result.code == 2, result.stderr
    assert result.stdout == b""
    assert "Traceback" not in result.stderr
    errors = result.errors()
    expected = [
        (f"migrations/versions/b2_backfill.py:{h.line_of(READS_ROWS, 'fetchall')}:",
         "needs a live database", f"(revision {B2}, upgrade, every dialect)"),
        (f"migrations/versions/c3_notes.py:{h.line_of(IF_MISSING, 'add_column')}:",
         "cannot be compiled for SQLite", "(sqlite)"),
        (f"migrations/versions/d4_default.py:{h.line_of(KEY_ERROR, 'alter_column')}:",
         "KeyError: 'tier'", f"(revision {D4}, upgrade, every dialect)"),
        (f"migrations/versions/e5_plans.py:{h.line_of(PLUGIN_OP, 'sync_widget_catalog')}:",
         "sync_widget_catalog", f"(revision {E5}, upgrade, every dialect)"),
    ]
    assert len(errors) == len(expected), result.stderr
    for line, (where, what, context) in zip(errors, expected, strict=True):
        assert line.startswith(f"error: {where} "), line
        assert what in line and line.endswith(context), line
    lines = result.stderr.splitlines()
    hints = [lines[lines.index(e) + 1] for e in errors]
    assert all(hint.startswith("  hint: ") for hint in hints)
    assert f"migrations/sql/<dialect>/{B2}.upgrade.sql" in hints[0]
    assert f"migrations/sql/sqlite/{C3}.upgrade.sql" in hints[1]
    assert f"migrations/sql/<dialect>/{D4}.upgrade.sql" in hints[2]
    assert "plugin" in hints[3] and "install" in hints[3] and "correct the name" in hints[3]
    assert lines[-1] == ("render failed: 4 failures in 4 of 6 revisions (1 script error, "
                         "1 reads the database, 1 unknown op, 1 cannot be compiled for sqlite); "
                         "no files were written")
    assert not (failing / h.OUT).exists()


def test_check_reports_them_too(failing: Path) -> None:
    rendered = h.run(failing, "render")
    checked = h.run(failing, "check")
    assert checked.code == 2
    assert checked.errors() == rendered.errors()
    assert checked.stderr.splitlines()[-1].startswith("check failed: 4 failures in 4 of 6 ")


def test_the_stream_reports_every_failure_and_prints_nothing(failing: Path) -> None:
    result = h.run(failing, "render", "--stdout", "--dialect", "sqlite")
    assert result.code == 2
    assert result.stdout == b""
    assert [line.rsplit("(", 1)[1] for line in result.errors()] == [
        f"revision {B2}, upgrade, sqlite)", "sqlite)",
        f"revision {D4}, upgrade, sqlite)", f"revision {E5}, upgrade, sqlite)"]
    assert result.stderr.splitlines()[-1].endswith("; nothing was printed")


def test_forked_chunks_report_the_same_failures_in_order(failing: Path) -> None:
    """Two processes, each with failures of its own: one report, as with one process."""
    from sqlcompile import parallel

    chunks = parallel.split_staggered(list(range(1, 7)), 2, lead=0.2, tail=0.15 * 6)
    assert {2, 3, 4} & set(chunks[0]) and 5 in chunks[1]  # as render_files splits them
    one = h.run_process(failing, "render", jobs=1)
    two = h.run_process(failing, "render", jobs=2)
    assert one.code == two.code == 2
    assert two.stderr == one.stderr
    assert len(two.errors()) == 4
    assert not (failing / h.OUT).exists()


def _files(root: Path) -> dict[str, str]:
    """Every file render_files produces in memory (nothing is written), by name."""
    project = load_project(load_config(root / h.CONFIG), keep_going=True)
    out: dict[str, str] = {}
    for dialect in DIALECTS:
        rendered = render_files(project, dialect)
        out.update({p.relative_to(root).as_posix(): text for p, text in rendered.files.items()})
    return out


def test_a_failure_does_not_change_what_later_revisions_compile_to(tmp_path: Path) -> None:
    """An early revision failing leaves the model as it was before it: the files of the
    revisions after it are those of the same history with that revision doing nothing."""
    broken = dict(FAILING)
    broken.pop("b2_backfill.py")
    broken["b2_backfill.py"] = h.script(B2, A1, """
        op.add_column("account", sa.Column("active", sa.Boolean))
        raise RuntimeError("not finished")
    """, 'op.drop_column("account", "active")', message="backfill active")
    for name in ("c3_notes.py", "d4_default.py", "e5_plans.py"):
        broken[name] = h.script(*_ids(name), 'op.execute("SELECT 1")', "pass",
                                message=name[3:-3])
    quiet = dict(broken)
    quiet["b2_backfill.py"] = h.script(B2, A1, "pass", "pass", message="backfill active")
    broken_files = _files(h.write(tmp_path / "broken", broken, DIALECTS))
    quiet_files = _files(h.write(tmp_path / "quiet", quiet, DIALECTS))
    later = [name for name in quiet_files if re.search(r"/000[3-6]_", name)]
    assert len(later) == 4 * 2 * len(DIALECTS)
    for name in later:
        assert broken_files[name] == quiet_files[name], name
    assert not [n for n in broken_files if "/upgrade/0002_" in n]
    assert [n for n in broken_files if "/downgrade/0002_" in n]  # its downgrade compiled


def _ids(name: str) -> tuple[str, str]:
    order = [A1, B2, C3, D4, E5, F6]
    index = "abcdef".index(name[0])
    return order[index], order[index - 1]


def test_the_model_after_a_failure_is_marked(failing: Path) -> None:
    project = load_project(load_config(failing / h.CONFIG), keep_going=True)
    schema = project.schema_at(get_dialect("postgresql"))
    assert (f"schema model may be incomplete after revision {B2}: {FAILED_TO_COMPILE}"
            in schema.incomplete)
    assert "invoice" in {name for _, name in schema.tables}  # later revisions still applied
    strict = load_project(load_config(failing / h.CONFIG))
    with pytest.raises(Exception, match="needs a live database"):
        strict.schema_at(get_dialect("postgresql"))


def test_a_script_that_cannot_be_imported_takes_its_place(tmp_path: Path) -> None:
    """A module-level import of a package that is not installed fails that revision, in both
    directions, as one line with what to install; every other revision compiles."""
    scripts = {"a1_accounts.py": CREATE, "f6_invoices.py": h.script(
        F6, A1, LAST.split("def upgrade():\n", 1)[1].split("\n\n\ndef downgrade")[0],
        'op.drop_table("invoice")', top="from sqlcompile_test_absent_plugin import View")}
    root = h.write(tmp_path / "p", scripts, DIALECTS)
    result = h.run(root, "render")
    assert result.code == 2
    (line,) = result.errors()
    assert line.startswith("error: migrations/versions/f6_invoices.py:4: loading the script "
                           "failed: ModuleNotFoundError")
    assert line.endswith(f"(revision {F6}, every dialect)")
    assert "install the package that provides `sqlcompile_test_absent_plugin`" in result.stderr
    assert result.stderr.splitlines()[-1].startswith(
        "render failed: 1 failure in 1 of 2 revisions (1 missing module)")


def test_an_op_given_a_wrong_argument_type_is_a_failure(tmp_path: Path) -> None:
    bad = h.script(B2, A1, "op.drop_table(123)", "pass")
    root = h.write(tmp_path / "p", {"a1_accounts.py": CREATE, "b2_bad.py": bad}, DIALECTS)
    result = h.run(root, "render")
    assert result.code == 2
    (line,) = result.errors()
    assert line.startswith(f"error: migrations/versions/b2_bad.py:{h.line_of(bad, '123')}: ")
    assert "drop_table() got 123 (int) for `table_name`, which must be a string" in line


def test_a_downgrade_failure_says_it_can_be_declared_irreversible(tmp_path: Path) -> None:
    bad = h.script(B2, A1, "pass", 'op.drop_column("account", sa.Column("x"))')
    root = h.write(tmp_path / "p", {"a1_accounts.py": CREATE, "b2_bad.py": bad}, DIALECTS)
    result = h.run(root, "render")
    assert result.code == 2
    (line,) = result.errors()
    assert line.endswith(f"(revision {B2}, downgrade, every dialect)")
    assert f'irreversible = ["{B2}"] in sqlcompile.toml' in result.stderr


class _Refused(Op):
    """An op the model refuses (no op_name: never registered, never recorded by a script)."""

    def completed(self, before: Schema) -> Op:
        raise CompileError("the model cannot take this op")


def test_a_change_the_model_refuses_leaves_it_as_it_was(tmp_path: Path) -> None:
    """Replaying a recording that fails half-way, keeping going, restores the model in place
    to what it was before the recording, and marks it."""
    root = h.write(tmp_path / "p", {"a1_accounts.py": CREATE}, ("postgresql",))
    project = load_project(load_config(root / h.CONFIG))
    script = project.graph.scripts[A1]
    table = sa.Table("ledger", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True))
    recording = Recording(script, "upgrade", [Recorded(CreateTable(table), False),
                                              Recorded(_Refused(), False)])
    schema = project.schema_at(get_dialect("postgresql"))
    schema.revision = "b2b2b2b2b2b2"
    before = schema.copy()
    with pytest.raises(CompileError):
        replay(recording, schema.copy())
    replay(recording, schema, keep_going=True)
    assert dict(schema.tables) == dict(before.tables)
    assert schema.incomplete == [*before.incomplete, "schema model may be incomplete after "
                                 f"revision b2b2b2b2b2b2: {FAILED_TO_COMPILE}"]
