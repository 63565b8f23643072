"""Raw SQL as a source of schema changes: following what ``op.execute()`` runs in the model.

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

from sqlcompile.dialects.transpile import sqlglot_name

if TYPE_CHECKING:
    from sqlcompile.dialects.base import DialectSupport
    from sqlcompile.schema.model import Schema


def read_sql(schema: Schema, sql: Any, source: str | None) -> None:
    """What ``op.execute(sql)`` (written for ``source``, or the target when None) does to the
    model: the statement as it runs on the target (transpiled where it is written for another
    dialect; what cannot be transpiled is followed as written, and compiling it reports the
    error). This is the reader every model the pipeline builds is given."""
    from sqlcompile.dialects.transpile import same_sql_dialect, transpile
    from sqlcompile.ops.data_ops import statement_text

    text = sql.text if isinstance(sql, sa.TextClause) else sql
    if source is not None and isinstance(text, str) and not same_sql_dialect(
            source, schema.dialect):
        try:
            sql, source = transpile(statement_text(text), source, schema.dialect), None
        except ValueError:
            pass
    apply_element(schema, sql, source)


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
    elif _apply_type_ddl(schema, element) or _apply_table_ddl(schema, element):
        return
    elif isinstance(element, sa.schema.CreateSequence | sa.schema.DropSequence):
        # Followed as the SQL it runs, as a CREATE / DROP SEQUENCE written by hand is.
        apply_sql(schema, str(element.compile(dialect=schema.dialect.sa_dialect)))
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


def _apply_table_ddl(schema: Schema, element: Any) -> bool:
    """Tables and indexes created or dropped by SQLAlchemy's DDL elements, as
    ``Table.create(bind)`` and ``metadata.create_all(bind)`` execute them (CREATE TABLE
    without the indexes: each comes as a CREATE INDEX of its own)."""
    from dataclasses import replace

    from sqlcompile.ops.index_ops import DropIndex
    from sqlcompile.ops.table_ops import DropTable
    from sqlcompile.schema.convert import created_on, index_from_sa, table_from_sa

    ddl = sa.schema
    if isinstance(element, ddl.CreateTable):
        table = element.element
        if not (element.if_not_exists and schema.table(table.name, table.schema)):
            schema.put(table_from_sa(table, schema.dialect, include=lambda item: not isinstance(
                item, sa.Index) and created_on(item, schema.dialect)))
    elif isinstance(element, ddl.DropTable):
        DropTable(element.element.name, element.element.schema,
                  element.if_exists).apply(schema)
    elif isinstance(element, ddl.CreateIndex) and element.element.table is not None:
        index, owner = element.element, element.element.table
        found = schema.known(owner.name, owner.schema, "CREATE INDEX")
        if found is not None and not (element.if_not_exists
                                      and any(i.name == index.name for i in found.indexes)):
            schema.put(replace(found, indexes=(*found.indexes,
                                               index_from_sa(index, schema.dialect))))
    elif isinstance(element, ddl.DropIndex):
        dropped = element.element.table
        DropIndex(str(element.element.name), dropped.name if dropped is not None else None,
                  dropped.schema if dropped is not None else None,
                  element.if_exists).apply(schema)
    else:
        return False
    return True


#: One data statement (no `;` before its end): it changes no schema, so it needs no parse.
#: (Not SELECT: `SELECT ... INTO` creates a table.)
_ONE_DML = re.compile(r"\s*(?:INSERT|UPDATE|DELETE|MERGE)\b[^;]*;?\s*", re.IGNORECASE)


def apply_sql(schema: Schema, sql: str, source: str | None = None) -> None:
    """Apply SQL text to the model (statements sqlglot parses in ``source`` or the model's
    dialect); what the model cannot follow marks it incomplete."""
    from sqlcompile.sources import follow

    if _ONE_DML.fullmatch(sql):
        return

    follow.apply_sql(schema, sql, sqlglot_name(source) if source else schema.dialect.sqlglot_name)


def new_model(dialect: DialectSupport) -> Schema:
    """An empty schema model for ``dialect`` that follows raw SQL (:func:`read_sql`)."""
    from sqlcompile.schema.model import Schema

    return Schema(dialect, read_sql)
