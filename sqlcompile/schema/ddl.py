"""The schema model as DDL: what `sqlcompile schema` prints and `schema.sql` holds."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import schema as sa_schema

from sqlcompile.compiler import Statement, compile_element
from sqlcompile.ops.base import Note, RenderContext
from sqlcompile.schema.convert import to_sa_table

if TYPE_CHECKING:
    from sqlcompile.schema.model import Schema


def schema_statements(schema: Schema, where: str = "schema") -> list[Statement]:
    """CREATE statements rebuilding ``schema`` from nothing, in dependency order.

    Types first, then tables so that each one's foreign key targets exist before it (tables in
    a reference cycle get those keys by ALTER TABLE at the end), each with its comments and
    indexes, as `create_table` renders them for the dialect.
    """
    from sqlcompile.ops.table_ops import CreateTable

    dialect = schema.dialect
    statements: list[Statement] = []
    for key in sorted(schema.enums, key=lambda k: (k[0] or "", k[1])):
        for element in dialect.enum_ddl(schema.enums[key]):
            statements.append(Statement(compile_element(element, dialect),
                                        [f"type {key[1]}"]))
    metadata = sa.MetaData()
    tables = [to_sa_table(t, metadata, fk_targets=False) for t in schema.sorted_tables()]
    for table in tables:
        to_sa_table_targets(table)
    ordered = sa_schema.sort_tables_and_constraints(tables)  # type: ignore[no-untyped-call]
    cycles = [fkc for table, fkcs in ordered if table is None for fkc in fkcs]
    if dialect.sa_dialect.supports_alter:
        for fkc in cycles:
            fkc.use_alter = True
    ctx = RenderContext(dialect, where)
    for table, _ in ordered:
        if table is None:
            continue
        op = CreateTable(table)
        comments = [f"table {table.fullname}"]
        for element in op.elements(ctx):
            if isinstance(element, Note):
                comments.append(element.text)
                continue
            statements.append(Statement(compile_element(element, dialect), comments))
            comments = []
        if comments:
            statements.append(Statement("", comments))
    if dialect.sa_dialect.supports_alter:
        for fkc in sorted(cycles, key=lambda c: (c.table.fullname, str(c.name))):
            statements.append(Statement(
                compile_element(sa_schema.AddConstraint(fkc), dialect),
                [f"foreign key of {fkc.table.fullname} (reference cycle)"]))
    return statements


def to_sa_table_targets(table: sa.Table) -> None:
    """Stand-ins for foreign key targets the model does not have (it is incomplete)."""
    from sqlcompile.ops.base import ensure_fk_targets

    ensure_fk_targets(table)
