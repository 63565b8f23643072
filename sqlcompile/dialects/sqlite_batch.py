"""SQLite: what a `batch_alter_table` block's arguments change in its table rebuild.

``recreate="always"`` rebuilds even when every op could run in place, ``"never"`` refuses a
rebuild; ``copy_from`` defines a table the schema model does not know; ``naming_convention``
names the table's unnamed constraints before the ops run (so the block can drop one by that
name), and the rebuilt table keeps those names, as Alembic's recreated table does;
``table_args`` / ``table_kwargs`` are added to the rebuilt table and ``partial_reordering``
orders its columns.

A `drop_constraint(None, ...)` (what autogenerate writes for a constraint created without a
name) drops the table's one unnamed constraint of its ``type_`` in the rebuild.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from sqlcompile.ops.batch_ops import BatchAlterTable
from sqlcompile.ops.constraint_ops import DropConstraint
from sqlcompile.ops.table_ops import AddColumn
from sqlcompile.schema.convert import constraint_name, table_from_sa, to_sa_table
from sqlcompile.schema.model import constraint_text

if TYPE_CHECKING:
    from sqlcompile.dialects.render import RenderContext
    from sqlcompile.ops.base import Op
    from sqlcompile.schema.model import Schema, TableModel


def settings_of(ops: Sequence[Op]) -> BatchAlterTable | None:
    """The block's arguments, when it was opened with any."""
    return next((op for op in ops if isinstance(op, BatchAlterTable)), None)


def with_settings(ctx: RenderContext, settings: BatchAlterTable | None) -> RenderContext:
    """``ctx`` with a model that knows the table ``copy_from`` defines (when it did not)."""
    if settings is None or settings.copy_from is None or ctx.schema is None:
        return ctx
    if ctx.schema.table(settings.table_name, settings.schema) is not None:
        return ctx
    from sqlcompile.dialects.render import RenderContext

    schema = ctx.schema.copy()
    settings.apply(schema)
    return RenderContext(ctx.dialect, ctx.where, ctx.hand_written, schema, ctx.framing,
                         ctx.autocommit)


def recreate_reasons(settings: BatchAlterTable | None, reasons: list[str], op: Op,
                     ctx: RenderContext) -> list[str]:
    """The reasons to rebuild, with the block's ``recreate=`` taken into account."""
    if settings is None or settings.recreate is None:
        return reasons
    if settings.recreate == "always":
        return ["batch_alter_table(recreate='always')", *reasons]
    if reasons:
        raise ctx.fail(op, f"{'; '.join(reasons)} needs a rebuild of the table, and "
                       "batch_alter_table(recreate='never') forbids one", hint=(
                           "leave recreate= out (Alembic's 'auto') so that SQLite can rebuild "
                           "the table, or write this revision's SQL by hand in "
                           f"{ctx.hand_written}"))
    return reasons


def name_constraints(schema: Schema, settings: BatchAlterTable | None) -> None:
    """Give the table's unnamed constraints the names ``naming_convention`` makes (before
    the block's ops, in a rebuild)."""
    if settings is None or not settings.naming_convention:
        return
    table = schema.table(settings.table_name, settings.schema)
    if table is None:
        return
    conventional = to_sa_table(table, sa.MetaData(naming_convention=settings.naming_convention))
    named = table_from_sa(conventional, schema.dialect)
    pk = table.primary_key
    if pk is not None and pk.name is None and named.primary_key is not None:
        pk = replace(pk, name=named.primary_key.name)

    def names(mine: Sequence[Any], theirs: Sequence[Any], key: Any) -> tuple[Any, ...]:
        found = {key(item): item.name for item in theirs}
        return tuple(item if item.name is not None or found.get(key(item)) is None
                     else replace(item, name=constraint_name(found[key(item)]))
                     for item in mine)

    schema.put(replace(
        table, primary_key=pk,
        uniques=names(table.uniques, named.uniques, lambda u: u.columns),
        foreign_keys=names(table.foreign_keys, named.foreign_keys,
                           lambda f: (f.columns, f.ref_schema, f.ref_table, f.ref_columns)),
        checks=names(table.checks, named.checks, lambda c: " ".join(c.sqltext.split())),
        indexes=names(table.indexes, named.indexes, lambda i: (i.parts, i.unique)),
    ))


def settle(schema: Schema, settings: BatchAlterTable | None, added: Sequence[str] = ()) -> None:
    """The rebuilt table with the block's ``table_args``, ``table_kwargs`` and column order
    (after its ops; ``added``: the columns they added)."""
    if settings is None:
        return
    table = schema.table(settings.table_name, settings.schema)
    if table is None:
        return
    if settings.table_kwargs:
        options = {**dict(table.options), **settings.table_kwargs}
        table = replace(table, options=tuple(sorted(options.items())))
    if settings.table_args:
        restated = to_sa_table(table)
        for item in settings.table_args:
            copied = item._copy() if hasattr(item, "_copy") else item
            copied._set_parent_with_dispatch(restated)
        more = table_from_sa(restated, schema.dialect)
        table = replace(table, primary_key=more.primary_key, foreign_keys=more.foreign_keys,
                        uniques=more.uniques, checks=more.checks, indexes=more.indexes)
    if settings.partial_reordering or settings.column_orders:
        names = table.column_names()
        existing = [name for name in names if name not in added]
        order = column_order(names, existing, settings.partial_reordering,
                             settings.column_orders)
        by_name = {c.name: c for c in table.columns}
        table = replace(table, columns=tuple(by_name[name] for name in order))
    schema.put(table)


def column_order(names: list[str], existing: list[str],
                 partial_reordering: Sequence[Sequence[str]],
                 column_orders: Sequence[tuple[str, str | None, str | None]]) -> list[str]:
    """The columns ``names`` (the table's, after the block: ``existing`` ones, then the added
    ones) in the order Alembic's recreated table gives them: ``partial_reordering``'s pairs
    (else the existing order) and each added column's place, sorted layer by layer."""
    from sqlalchemy.util import topological

    index = {name: i for i, name in enumerate(existing)}
    placed: list[tuple[str, str]] = []
    for name, before, after in column_orders:
        if not partial_reordering:  # a column goes between its neighbours
            if after and not before:
                if after in index:
                    before = existing[index[after] + 1] if index[after] + 1 < len(existing) \
                        else None
                else:
                    before = dict(placed).get(after)
            if before and not after:
                if before in index:
                    after = existing[index[before] - 1] if index[before] > 0 else None
                else:
                    after = {b: a for a, b in placed}.get(before)
        if before:
            placed.append((name, before))
        if after:
            placed.append((after, name))
        if not partial_reordering and not before and not after and existing:
            placed.append((existing[-1], name))
    pairs: set[tuple[str, str]] = set(placed)
    orders = partial_reordering or [existing]
    for ordering in orders:
        pairs.update(zip(ordering, ordering[1:], strict=False))
    known = set(names)
    edges = [(a, b) for a, b in pairs if a != b and a in known and b in known]
    return list(topological.sort(edges, names, deterministic_order=True))


def is_unnamed_drop(op: Op) -> bool:
    """Whether ``op`` is a `drop_constraint(None, ...)`: the constraint is found by kind."""
    return isinstance(op, DropConstraint) and op.constraint_name is None


_KINDS = {"primary": "primary key", "foreignkey": "foreign key", "unique": "unique constraint",
          "check": "CHECK constraint", None: "constraint"}


def unnamed_problem(op: DropConstraint, table: TableModel,
                    schema: Schema) -> tuple[str, str] | None:
    """Why `drop_constraint(None, ...)` cannot say which constraint of ``table`` it drops
    (none, or several, unnamed ones of its kind), with a hint; None when it can."""
    found = op.candidates(table, schema)
    if len(found) == 1:
        return None
    kind = _KINDS.get(op.type_, "constraint")
    if not found:
        named = sorted(name for k, name in table.constraint_names()
                       if op.type_ is None or k == op.type_)
        have = f" (its named ones: {', '.join(named)})" if named else ""
        return (f"table {table.title} has no unnamed {kind}{have}",
                "drop the constraint by its name, or leave this drop out if the constraint is "
                "not there")
    listed = "; ".join(constraint_text(item) for item in found)
    return (f"table {table.title} has {len(found)} unnamed {kind}s, so the constraint to drop "
            f"is unclear: {listed}",
            "name the constraints where they are created (name=..., or a naming_convention "
            "on the MetaData), or rewrite this revision to rebuild the table with "
            "op.batch_alter_table(..., naming_convention=...) and drop the constraint by the "
            "name the convention gives it")


def apply_op(op: Op, schema: Schema) -> None:
    """Apply ``op`` (completed from ``schema``) to it; a `drop_constraint(None, ...)` is
    applied as it is (it drops the table's one unnamed constraint of its kind, or marks the
    model when it has none or several: compiling it says so, see :func:`unnamed_problem`)."""
    if is_unnamed_drop(op):
        op.apply(schema)
    else:
        op.completed(schema).apply(schema)


def rebuilt(schema: Schema, ops: Sequence[Op], settings: BatchAlterTable | None) -> None:
    """Apply a rebuilt block's ops to ``schema``, with what its arguments add."""
    name_constraints(schema, settings)
    for op in ops:
        apply_op(op, schema)
    settle(schema, settings, [op.column.name for op in ops if isinstance(op, AddColumn)])


def unused_note(settings: BatchAlterTable | None, title: str) -> list[str]:
    """The note for arguments that say how to recreate a table that runs in place."""
    said = [s for s in (settings.settings() if settings else ()) if s != "copy_from"]
    if not said:
        return []
    return [f"batch_alter_table ({', '.join(said)}): these arguments say how a table is "
            f"recreated; {title} changes this one in place (no op of the block needs a "
            "rebuild), as Alembic does"]
