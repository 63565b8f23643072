"""Following raw DDL with the schema model: sqlglot statements -> model changes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlcompile.schema.model import Schema


def apply_sql(schema: Schema, sql: str, read: str) -> None:
    """Apply each statement of ``sql`` (sqlglot dialect ``read``) to the model."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        trees = [t for t in sqlglot.parse(sql, read=read) if t is not None]
    except SqlglotError:
        schema.mark_incomplete(f"raw SQL sqlglot cannot parse: {_excerpt(sql)}")
        return
    for tree in trees:
        if isinstance(tree, exp.Query | exp.Insert | exp.Update | exp.Delete | exp.Merge
                      | exp.Set | exp.Comment):
            continue
        schema.mark_incomplete(f"raw SQL the model does not follow: {_excerpt(tree.sql())}")


def _excerpt(sql: str, limit: int = 60) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
