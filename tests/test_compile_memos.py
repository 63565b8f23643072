"""The memos and shortcuts of the compile loop give what the full computation gives."""

from __future__ import annotations

import sqlalchemy as sa
from sqlglot.errors import SqlglotError

from sqlcompile.dialects import get_dialect
from sqlcompile.dialects.default import _statements
from sqlcompile.dialects.render import RenderContext
from sqlcompile.dialects.splitting import split_statements
from sqlcompile.ops.table_ops import _server_default
from sqlcompile.schema.convert import default_text
from sqlcompile.schema.model import (
    ColumnModel,
    ForeignKeyModel,
    IndexModel,
    IndexPart,
    KeyModel,
    TableModel,
)

DIALECTS = ["postgresql", "mysql", "mariadb", "sqlite", "mssql", "oracle"]


def test_server_default_memo_matches_a_column_holding_it() -> None:
    for name in DIALECTS:
        dialect = get_dialect(name)
        for default in ["it's", "0", sa.text("now()"), sa.text("'a'"), sa.true(), None]:
            for _ in range(2):  # (the second time from the memo)
                holder = sa.Column("c", sa.Integer(), server_default=default)
                assert _server_default(default, "c", sa.Integer(), dialect) == (
                    default_text(holder, dialect), getattr(holder.server_default, "name", None))
        # A string and a text() of the same text are other defaults.
        assert _server_default("x", "c", sa.String(), dialect) != _server_default(
            sa.text("x"), "c", sa.String(), dialect)


def test_renamed_column_keeps_what_does_not_name_it() -> None:
    other = ForeignKeyModel("fk_b", ("b",), None, "t2", ("id",))
    moved = ForeignKeyModel("fk_a", ("a",), None, "t2", ("id",))
    index = IndexModel("ix_b", (IndexPart("b"),))
    table = TableModel("t", None, columns=(ColumnModel("a", sa.Integer()),
                                           ColumnModel("b", sa.Integer())),
                       foreign_keys=(other, moved), indexes=(index,),
                       uniques=(KeyModel("uq_a", ("a", "b")),))
    renamed = table.renamed_column("a", "z")
    assert renamed.foreign_keys[0] is other and renamed.indexes[0] is index
    assert renamed.foreign_keys[1].columns == ("z",)
    assert renamed.uniques[0].columns == ("z", "b")
    assert [c.name for c in renamed.columns] == ["z", "b"]


def test_one_statement_shortcut_cuts_as_the_tokenizer() -> None:
    texts = ["DELETE FROM t WHERE name IN ('a-1', 'b')", "UPDATE t SET a = 'x'",
             "SELECT 1", "SELECT 'unterminated", "CREATE PROCEDURE p AS BEGIN SELECT 1 END"]
    for name in DIALECTS:
        ctx = RenderContext(get_dialect(name), "here", "hint")
        for text in texts:
            try:
                expected = split_statements(text, ctx.dialect) or [text]
            except SqlglotError:
                expected = [text]
            assert _statements(text, ctx) == expected, (name, text)
