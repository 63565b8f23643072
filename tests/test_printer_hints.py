"""What `sqlcompile schema` says when a table of the model cannot be printed for a dialect."""

from __future__ import annotations

from pathlib import Path

from histories import run, script, write

MONEY = '''
from sqlalchemy.types import UserDefinedType


class Money(UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **kw):
        raise ValueError("Money has no SQL type here")
'''


def test_a_table_the_printer_cannot_state_says_where_to_look(tmp_path: Path) -> None:
    write(tmp_path, {"a1_x.py": script("a1", None, 'op.create_table("t", sa.Column("m", Money()))',
                                       top=MONEY)}, ["postgresql"])
    done = run(tmp_path, "schema", "--dialect", "postgresql")
    assert done.code == 2, done.stderr
    assert "the project's code raised ValueError: Money has no SQL type here" in done.stderr
    hints = [line.strip() for line in done.stderr.splitlines() if "hint:" in line]
    assert hints == ["hint: fix that code, or write this revision's SQL by hand in the "
                     "hand-written SQL file of the revision that made it (`sqlcompile render` "
                     "names that revision, and the file)"]
    rendered = run(tmp_path, "render")  # which names them
    assert "hint: fix that code, or write this revision's SQL by hand in " \
           "migrations/sql/postgresql/a1.upgrade.sql" in rendered.stderr
