"""SQL written for one dialect, rewritten by sqlglot for another (`op.execute(sql, dialect=...)`
and the script-level `sql_dialect`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlcompile.dialects.base import DialectSupport


def sqlglot_name(dialect_name: str) -> str:
    """sqlglot's name for one of our dialects (names may also be sqlglot's own)."""
    from sqlcompile.dialects import get_dialect, known_dialects

    if dialect_name in known_dialects():
        return get_dialect(dialect_name).sqlglot_name
    return dialect_name


def same_sql_dialect(source: str, target: DialectSupport) -> bool:
    """Whether SQL written for ``source`` is already in ``target``'s dialect (as sqlglot sees
    it), so it runs as written, byte for byte."""
    return source == target.name or sqlglot_name(source) == target.sqlglot_name


def transpile(sql: str, source: str, target: DialectSupport) -> str:
    """``sql`` written for dialect ``source``, rewritten by sqlglot for ``target``.

    Raises ValueError naming what sqlglot could not do; nothing is passed through unchanged.
    """
    import sqlglot
    from sqlglot.errors import ErrorLevel, SqlglotError

    read = sqlglot_name(source)
    try:
        sqlglot.Dialect.get_or_raise(read)
    except (SqlglotError, ValueError):
        raise ValueError(f"unknown SQL dialect {source!r} for transpiling") from None
    try:
        trees = sqlglot.parse(sql, read=read, error_level=ErrorLevel.RAISE)
    except SqlglotError as exc:
        first = str(exc).splitlines()[0]
        raise ValueError(f"sqlglot cannot parse this {source} SQL: {first}") from None
    found = [t for t in trees if t is not None]
    if len(found) != 1:
        raise ValueError(f"op.execute() with dialect= takes one statement; found {len(found)}")
    tree = found[0]
    if isinstance(tree, sqlglot.exp.Command):
        raise ValueError(f"sqlglot does not understand this {source} statement, so it cannot "
                         f"rewrite it for {target.title}")
    # `:name` stays as written (a literal colon for the client), not the target's paramstyle.
    tree = tree.transform(lambda node: sqlglot.exp.var(f":{node.name}")
                          if isinstance(node, sqlglot.exp.Placeholder) and node.name else node)
    try:
        return tree.sql(dialect=target.sqlglot_name, unsupported_level=ErrorLevel.RAISE)
    except SqlglotError as exc:
        first = str(exc).splitlines()[0]
        raise ValueError(f"sqlglot cannot rewrite this {source} SQL for {target.title}: "
                         f"{first}") from None
