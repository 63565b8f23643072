"""Raw SQL and the schema model: following DDL written by hand, and transpiling it.

What ``op.execute()`` runs is applied to the model where it can be understood: SQLAlchemy DDL
elements (enum types), and SQL text that sqlglot parses into statements the model follows.
Statements that change no schema (DML, SELECT) are ignored; anything else marks the model
incomplete, so `sqlcompile check` can say where the model stops being trustworthy.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ClauseElement

if TYPE_CHECKING:
    from sqlcompile.dialects.base import DialectSupport
    from sqlcompile.schema.model import Schema


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


def apply_element(schema: Schema, element: Any, source: str | None = None) -> None:
    """Apply what ``op.execute(element)`` does to the schema model."""
    from sqlalchemy.sql.dml import UpdateBase
    from sqlalchemy.sql.selectable import Selectable

    if isinstance(element, str):
        apply_sql(schema, element, source)
    elif isinstance(element, sa.TextClause):
        apply_sql(schema, element.text, source)
    elif isinstance(element, sa.schema.DDL):
        apply_sql(schema, element.statement, source)
    elif isinstance(element, UpdateBase | Selectable):
        return
    elif _apply_type_ddl(schema, element):
        return
    elif isinstance(element, ClauseElement):
        schema.mark_incomplete(f"op.execute() runs {type(element).__name__}, which the model "
                               "does not follow")


def _apply_type_ddl(schema: Schema, element: Any) -> bool:
    """Enum types created or dropped by SQLAlchemy's DDL (PostgreSQL's CREATE TYPE)."""
    from sqlcompile.schema.model import EnumModel

    kind = type(element).__name__
    target = getattr(element, "element", None)
    if kind == "CreateEnumType" and target is not None:
        schema.put_enum(EnumModel(target.name, target.schema, tuple(target.enums)))
        return True
    if kind == "DropEnumType" and target is not None:
        schema.remove_enum(target.name, target.schema)
        return True
    return False


#: One data statement (no `;` before its end): it changes no schema, so it needs no parse.
#: (Not SELECT: `SELECT ... INTO` creates a table.)
_ONE_DML = re.compile(r"\s*(?:INSERT|UPDATE|DELETE|MERGE)\b[^;]*;?\s*", re.IGNORECASE)


def apply_sql(schema: Schema, sql: str, source: str | None = None) -> None:
    """Apply SQL text to the model (statements sqlglot parses in ``source`` or the model's
    dialect); what the model cannot follow marks it incomplete."""
    from sqlcompile.schema import follow

    if _ONE_DML.fullmatch(sql):
        return

    follow.apply_sql(schema, sql, sqlglot_name(source) if source else schema.dialect.sqlglot_name)
