"""The schema model as DDL: what `sqlcompile schema` prints and `schema.sql` holds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import schema as sa_schema

from sqlcompile.dialects.render import RenderContext
from sqlcompile.ordering import topological_order
from sqlcompile.pipeline.compiler import Statement, compile_element, op_statements
from sqlcompile.schema.convert import ensure_fk_targets, to_sa_table
from sqlcompile.schema.model import key_order

if TYPE_CHECKING:
    from sqlcompile.schema.model import Schema, TableKey, TableModel
    from sqlcompile.schema.objects import ObjectKey, OpaqueModel


#: Where the hints of a table the printer cannot state send the user: the model holds what
#: the revisions made, so the fix is in the revision that made it (render names it).
HAND_WRITTEN = ("the hand-written SQL file of the revision that made it (`sqlcompile render` "
                "names that revision, and the file)")


def schema_statements(schema: Schema, where: str = "schema") -> list[Statement]:
    """CREATE statements rebuilding ``schema`` from nothing, in dependency order.

    The extensions raw SQL made first, then types, then the sequences raw SQL made (with the
    options later ALTER SEQUENCE statements gave them), as table defaults call them. Then the
    tables, so that each one's foreign key targets exist before it (tables in a reference
    cycle get those keys by ALTER TABLE after them), each with its comments and indexes, as
    `create_table` renders them for the dialect, and the sequences' OWNED BY columns. Then
    the functions, procedures and views raw SQL made, as it wrote them, in creation order (a
    view after those it reads), and last the triggers, so the functions they execute exist.
    """
    from sqlcompile.ops.table_ops import CreateTable

    dialect = schema.dialect
    statements: list[Statement] = []
    made = list(schema.objects.values())
    extensions = [o for o in made if o.namespace == "extension"]
    sequences = [o for o in made if o.namespace == "sequence"]
    statements += [Statement(o.sql, [o.title]) for o in extensions]
    for key in sorted(schema.enums, key=key_order):
        for element in dialect.enum_ddl(schema.enums[key]):
            statements.append(Statement(compile_element(element, dialect),
                                        [f"type {key[1]}"]))
    for item in sequences:
        statements.append(Statement(item.sql, [item.title]))
        statements += [Statement(f"ALTER SEQUENCE {_quoted(schema, item)} {options}",
                                 [item.title]) for options in item.alters]
    ordered, deferred = creation_order(schema)
    metadata = sa.MetaData()
    tables = [to_sa_table(t, metadata, fk_targets=False) for t in ordered]
    for table in tables:  # stand-ins for targets the model lacks (it is incomplete)
        ensure_fk_targets(table)
    cycles: list[sa.ForeignKeyConstraint] = []
    for model, table in zip(ordered, tables, strict=True):
        for fk in model.foreign_keys:
            if (model.key, fk) in deferred:
                (fkc,) = [c for c in table.foreign_key_constraints
                          if tuple(c.column_keys) == fk.columns
                          and c.referred_table.name == fk.ref_table]
                cycles.append(fkc)
    if dialect.sa_dialect.supports_alter:  # else (SQLite) a key may name a later table
        for fkc in cycles:
            fkc.use_alter = True
    ctx = RenderContext(dialect, where, HAND_WRITTEN)
    for table in tables:
        created, comments = op_statements(CreateTable(table), ctx, [f"table {table.fullname}"],
                                          check=False)
        statements += created
        if comments:
            statements.append(Statement("", comments))
    if dialect.sa_dialect.supports_alter:
        for fkc in sorted(cycles, key=lambda c: (c.table.fullname, str(c.name))):
            statements.append(Statement(
                compile_element(sa_schema.AddConstraint(fkc), dialect),
                [f"foreign key of {fkc.table.fullname} (reference cycle)"]))
    for item in sequences:
        if item.owned_by is not None:
            owner, table_name, column = item.owned_by
            preparer = dialect.sa_dialect.identifier_preparer
            qualifier = f"{preparer.quote_schema(owner)}." if owner else ""
            statements.append(Statement(
                f"ALTER SEQUENCE {_quoted(schema, item)} OWNED BY "
                f"{qualifier}{preparer.quote(table_name)}.{preparer.quote(column)}",
                [f"{item.title} (owned by {table_name}.{column})"]))
    for item in object_order(schema):
        statements.append(Statement(item.sql, [item.title]))
    for model in ordered:
        for trigger in model.triggers:
            statements.append(Statement(trigger.sql,
                                        [f"trigger {trigger.name} on {model.title}"]))
    return statements


def _quoted(schema: Schema, item: OpaqueModel) -> str:
    """The name of a sequence as a statement names it."""
    preparer = schema.dialect.sa_dialect.identifier_preparer
    where = f"{preparer.quote_schema(item.schema)}." if item.schema else ""
    return where + preparer.quote(item.name)


def object_order(schema: Schema) -> list[OpaqueModel]:
    """The functions, procedures and views in creation order, each view after the views it
    reads (CREATE OR REPLACE keeps a view where it was first made, and may make it read a
    later one)."""
    items = [o for o in schema.objects.values()
             if o.namespace not in ("extension", "sequence")]
    rank = {item.key: i for i, item in enumerate(items)}
    readers: dict[ObjectKey, list[ObjectKey]] = {item.key: [] for item in items}
    for item in items:
        for other in items:
            if other is not item and other.namespace == "view" and item.reads(
                    (other.schema, other.name), schema.same_table):
                readers[other.key].append(item.key)
    found = topological_order(rank, readers, key=rank.__getitem__, break_cycles=True)
    by_key = {item.key: item for item in items}
    return [by_key[key] for key in found.order]


def creation_order(schema: Schema) -> tuple[list[TableModel], set[tuple[TableKey, Any]]]:
    """The tables, each after those its foreign keys reference (by name where free to choose),
    and the (table key, foreign key) pairs that close a reference cycle."""
    tables = {t.key: t for t in schema.sorted_tables()}
    dependents: dict[TableKey, list[TableKey]] = {key: [] for key in tables}
    for key, table in tables.items():
        for ref in {fk.ref_key for fk in table.foreign_keys if fk.ref_key != key}:
            if ref in tables:
                dependents[ref].append(key)
    # A cycle: its first table is created now, its keys to the others come later.
    found = topological_order(tables, dependents, key=key_order, break_cycles=True)
    deferred = {(key, fk) for ref, key in found.broken for fk in tables[key].foreign_keys
                if fk.ref_key == ref}
    return [tables[key] for key in found.order], deferred

