"""SQLite table rebuilds: the changes SQLite cannot make in place, restated from the schema model.

A rebuild creates the table as the model says it is after the change, under a temporary name,
copies the rows of the columns both tables have, drops the old table, renames the new one into
place and recreates its indexes (SQLite's own recipe). Triggers are not modelled: a statement
before the rebuild aborts the transaction when the table has any, since DROP TABLE would drop
them. A view that reads the table makes the RENAME fail, which aborts the transaction too.

The rebuild asks the planner (``FOREIGN_KEYS_OFF``) to turn foreign keys off outside the
transaction, so DROP TABLE deletes nothing and cascades nothing, and to check every foreign
key before COMMIT.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import schema as sa_schema

from sqlcompile.dialects import ddl, default, sqlite_batch
from sqlcompile.dialects.render import Element, Framing, Note, RawSQL, RenderContext, by_class
from sqlcompile.errors import CompileError
from sqlcompile.ops.base import Op, Recorded, qualified
from sqlcompile.ops.batch_ops import BatchAlterTable
from sqlcompile.ops.constraint_ops import (
    AddConstraintOp,
    CreateExcludeConstraint,
    CreateForeignKey,
    DropConstraint,
)
from sqlcompile.ops.data_ops import BulkInsert, Printed
from sqlcompile.ops.index_ops import CreateIndex, DropIndex
from sqlcompile.ops.table_ops import (
    UNCHANGED,
    AddColumn,
    AlterColumn,
    CreateTable,
    CreateTableComment,
    DropColumn,
    DropTable,
    DropTableComment,
    RenameTable,
)
from sqlcompile.schema.convert import ensure_fk_targets, sql_text, to_sa_table
from sqlcompile.schema.sqltext import uses_column

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlcompile.dialects.base import DialectSupport
    from sqlcompile.schema.model import Schema, TableKey, TableModel

#: What a rebuild asks of the planner (see SQLite.frame_sql).
FOREIGN_KEYS_OFF = "foreign_keys_off"
#: Prefix of the temporary table a rebuild creates.
TEMP_PREFIX = "_sqlcompile_new_"

# What SQLite's ALTER TABLE ADD COLUMN accepts as a default: a literal, not an expression.
_CONSTANT = re.compile(r"(?is)[-+]?\d+(\.\d+)?([eE][-+]?\d+)?|'([^']|'')*'|NULL|TRUE|FALSE")


def _add_column_reason(op: AddColumn, dialect: DialectSupport) -> str | None:
    column = op.column
    default = column.server_default
    if default is not None and hasattr(default, "arg"):
        text = dialect.default_sql(column)
        if _CONSTANT.fullmatch(text.strip()) is None:
            return f"adding a column with a non-constant default ({text})"
    if column.primary_key:
        return "adding a primary-key column"
    if column.foreign_keys:
        return "adding a foreign-key column"
    constraints = [*column.table.constraints, *column.constraints]
    if column.unique or any(isinstance(c, sa.UniqueConstraint) for c in constraints):
        return "adding a unique column"
    if any(isinstance(c, sa.CheckConstraint) for c in constraints):
        return "adding a column with a CHECK constraint"
    if isinstance(column.type, sa.Enum):
        return "adding an Enum column (SQLite checks its values with a CHECK constraint)"
    if not column.nullable and column.server_default is None:
        return "adding a NOT NULL column without a server default"
    return None


def _drop_column_reason(op: DropColumn, table: TableModel | None) -> str | None:
    # SQLite's DROP COLUMN refuses a column a key, an index or a CHECK uses.
    if table is None:
        return None
    name = op.column_name
    if (
        (table.primary_key is not None and name in table.primary_key.columns)
        or any(name in u.columns for u in table.uniques)
        or any(name in f.columns for f in table.foreign_keys)
        or any(i.uses_column(name) for i in table.indexes)
        or any(uses_column(c.sqltext, name) for c in table.checks)
    ):
        return "dropping a column that a key, index or constraint uses"
    if any(c.name == name and isinstance(c.type, sa.Enum) for c in table.columns):
        # (its CHECK on the values is the one :func:`enum_checks` gave the table)
        return "dropping an Enum column (SQLite checks its values with a CHECK constraint)"
    return None


def _alter_column_reason(op: AlterColumn, schema: Schema | None,
                         dialect: DialectSupport) -> str | None:
    changes = [c for c in op.changes() if c not in ("name", "comment")]
    return f"changing a column's {', '.join(changes)}" if changes else None


def _drop_column_in_model(op: DropColumn, schema: Schema | None,
                          dialect: DialectSupport) -> str | None:
    if op.if_exists:
        return None
    return _drop_column_reason(op, schema.table(op.table_name, op.schema)
                               if schema is not None else None)


def _add_column(op: AddColumn, schema: Schema | None, dialect: DialectSupport) -> str | None:
    return None if op.if_not_exists else _add_column_reason(op, dialect)


#: Why an op of each class needs a rebuild: {op class: (op, model, dialect) -> reason or None}.
_REBUILD_REASONS: dict[type, Callable[[Any, Schema | None, DialectSupport], str | None]] = {
    AlterColumn: _alter_column_reason,
    AddConstraintOp: lambda op, schema, dialect: "adding a constraint to an existing table",
    DropConstraint: lambda op, schema, dialect: "dropping a constraint",
    AddColumn: _add_column,
    DropColumn: _drop_column_in_model,
}


def rebuild_reason(op: Op, schema: Schema | None, dialect: DialectSupport) -> str | None:
    """Why ``op`` needs a rebuild of its table on SQLite (None when it runs in place)."""
    reason = by_class(_REBUILD_REASONS, type(op))
    return reason(op, schema, dialect) if reason is not None else None


def enum_checks(table: sa.Table, dialect: DialectSupport, existing: tuple[str, ...] = (),
                shown: str | None = None) -> list[Element]:
    """Give each Enum column of ``table`` a CHECK on its values (SQLite has no enum type);
    the Notes state it. Checks whose text is in ``existing`` are there already."""
    notes: list[Element] = []
    have = {" ".join(text.split()) for text in existing}
    for column in table.columns:
        type_ = column.type
        if not isinstance(type_, sa.Enum) or type_.create_constraint:
            continue
        quoted = dialect.sa_dialect.identifier_preparer.quote(column.name)
        condition: Any = sa.literal_column(quoted)
        check = condition.in_([sa.literal(v, sa.String()) for v in type_.enums])
        text = sql_text(check, dialect)
        if " ".join(text.split()) not in have:
            table.append_constraint(sa.CheckConstraint(sa.text(text)))
        spelled = f"VARCHAR({type_.length})" if type_.length else "VARCHAR"
        notes.append(Note(f"{dialect.title} has no enum type: {shown or table.name}."
                          f"{column.name} is {spelled} with CHECK ({text})"))
    return notes


def create_table_elements(op: CreateTable, ctx: RenderContext) -> list[Element]:
    """create_table, with a CHECK for each Enum column (stated in a Note)."""
    if not any(isinstance(c.type, sa.Enum) and not c.type.create_constraint
               for c in op.table.columns):
        return default.create_table(op, ctx)
    table = ensure_fk_targets(ddl.copy_table(op.table))
    notes = enum_checks(table, ctx.dialect)
    return [*notes, *default.create_table(CreateTable(table, op.if_not_exists), ctx)]


def _sources(before: TableModel, ops: list[Op]) -> dict[str, str | None]:
    """For each column after ``ops``, the column of the old table its values come from."""
    source: dict[str, str | None] = {c: c for c in before.column_names()}
    for op in ops:
        if isinstance(op, AddColumn) and op.column.name not in source:
            source[op.column.name] = None
        elif isinstance(op, DropColumn):
            source.pop(op.column_name, None)
        elif isinstance(op, AlterColumn) and op.new_column_name and op.column_name in source:
            source[op.new_column_name] = source.pop(op.column_name)
    return source


def _check_unnamed_drops(ops: list[Op], ctx: RenderContext,
                         lines: Sequence[int | None]) -> None:
    """Refuse a `drop_constraint(None, ...)` that does not find exactly one unnamed
    constraint of its kind (the error names its line, ``lines[i]`` for ``ops[i]``)."""
    if ctx.schema is None or not any(sqlite_batch.is_unnamed_drop(op) for op in ops):
        return
    model = ctx.schema.copy()
    sqlite_batch.name_constraints(model, sqlite_batch.settings_of(ops))
    for i, op in enumerate(ops):
        if isinstance(op, DropConstraint) and op.constraint_name is None:
            table = model.table(op.table_name, op.schema)
            problem = (sqlite_batch.unnamed_problem(op, table, model) if table is not None
                       else None)
            if problem is not None:
                error = ctx.fail(op, problem[0], hint=problem[1])
                error.line = lines[i] if i < len(lines) else None
                raise error
        sqlite_batch.apply_op(op, model)


def rebuild_elements(ops: list[Op], reason: str, ctx: RenderContext,
                     lines: Sequence[int | None] = ()) -> list[Element]:
    """The statements rebuilding the table of ``ops`` (all on one table) with them applied
    (``lines``: the script line of each op, where known, for errors)."""
    first = ops[0]
    name: str = first.table_name  # type: ignore[attr-defined]
    schema_name: str | None = first.schema  # type: ignore[attr-defined]
    dialect = ctx.dialect
    before = ctx.schema.table(name, schema_name) if ctx.schema is not None else None
    if ctx.schema is None or before is None:
        raise ctx.fail(
            first,
            f"{reason} needs a rebuild of table {qualified(name, schema_name)}, and the schema "
            "model does not know that table (it was not created by op.create_table() in this "
            "history, or raw SQL changed it)",
            hint="create the table with op.create_table() in an earlier revision, or write "
            f"this revision's SQL by hand in {ctx.hand_written}",
        )
    _check_unnamed_drops(ops, ctx, lines)
    model = ctx.schema.copy()
    known = len(model.incomplete)
    try:
        sqlite_batch.rebuilt(model, ops, sqlite_batch.settings_of(ops))
    except sa.exc.SQLAlchemyError as exc:  # a naming convention the table cannot meet
        raise ctx.fail(first, f"{reason} needs a rebuild of table "
                       f"{qualified(name, schema_name)}: {type(exc).__name__}: {exc}") from None
    if len(model.incomplete) > known:  # e.g. adding a column the table has: no silent rebuild
        raise ctx.fail(first, f"{reason} needs a rebuild of table "
                       f"{qualified(name, schema_name)} from the schema model, and the model "
                       f"cannot follow it: {model.incomplete[known].split(': ', 1)[1]}")
    after = model.table(name, schema_name)
    assert after is not None
    temp = TEMP_PREFIX + name
    new = to_sa_table(after, name=temp, indexes=False)
    notes = enum_checks(new, dialect, tuple(c.sqltext for c in after.checks), name)
    sources = _sources(before, ops)
    copied = [c for c in after.columns if sources.get(c.name) and c.computed is None]
    old = sa.table(name, *[sa.column(str(sources[c.name])) for c in copied], schema=schema_name)
    insert = sa.insert(new).from_select(
        [new.c[c.name] for c in copied],
        sa.select(*[old.c[str(sources[c.name])] for c in copied]),
    )
    final = to_sa_table(after)
    quoted = dialect.render_string(name)
    message = dialect.render_string(
        f"sqlcompile: rebuilding table {qualified(name, schema_name)} would drop its trigger ")
    tail = dialect.render_string(" (not created by this history's SQL, so the schema model "
                                 "cannot create it again); nothing was changed")
    master = f"{dialect.sa_dialect.identifier_preparer.quote(schema_name)}.sqlite_master" \
        if schema_name else "sqlite_master"
    kept = ", ".join(dialect.render_string(t.name) for t in before.triggers)
    trigger_check = RawSQL(
        f"SELECT {dialect.raise_error(f'{message} || name || {tail}')} FROM {master} "
        f"WHERE type = 'trigger' AND tbl_name = {quoted}"
        + (f" AND name NOT IN ({kept})" if kept else "")
    )
    # Views reading the table: SQLite checks them when the new table takes the old name, and
    # one naming a table that is gone stops it, so they go first and come back last.
    views = model.readers((schema_name, name))
    views_dropped: list[Element] = []
    if views:
        views_dropped.append(Note("the views that read the table, dropped until it is back"))
        views_dropped += [RawSQL(f"DROP VIEW {_quoted_name(dialect, v.schema, v.name)}")
                          for v in reversed(views)]
    described = "; ".join(op.describe() for op in ops if not isinstance(op, BatchAlterTable))
    # SQLite keeps no comments: what the ops say of them is stated (the model keeps them).
    comments = [note for op in ops if isinstance(op, AlterColumn) and op.comment is not UNCHANGED
                for note in default.column_comment(op, ctx)]
    out: list[Element] = [
        Framing(FOREIGN_KEYS_OFF),
        Note(f"{dialect.title} cannot do this in place ({reason}): table rebuild of "
             f"{qualified(name, schema_name)}" + (f" for {described}" if described else "")),
        *comments,
        Note("stop if the table has triggers the model does not know: DROP TABLE drops "
             "them, and only the known ones are created again"),
        trigger_check,
        *views_dropped,
        Note("the table as it is after the change, under a temporary name"),
        *notes,
        sa_schema.CreateTable(new),
        Note("copy the rows (columns without a source take their default)"),
        insert,
        sa_schema.DropTable(old),  # type: ignore[arg-type]
        ddl.RenameTable(sa.table(temp, schema=schema_name), name),
    ]
    out += [sa_schema.CreateIndex(ix) for ix in sorted(final.indexes, key=lambda i: str(i.name))]
    if after.triggers:
        out.append(Note("its triggers, created again as the history's SQL wrote them"))
        out += [RawSQL(trigger.sql) for trigger in after.triggers]
    if views:
        out.append(Note("the views that read it, created again as the history's SQL wrote "
                        "them"))
        out += [RawSQL(view.sql) for view in views]
    return out


def _quoted_name(dialect: DialectSupport, schema: str | None, name: str) -> str:
    quote = dialect.sa_dialect.identifier_preparer.quote
    return f"{quote(schema)}.{quote(name)}" if schema else quote(name)


@dataclass(frozen=True)
class TableChanges(Op):
    """The ops of one `batch_alter_table` block on SQLite: one rebuild when any needs it.

    With ``merged``, ops of a migration on one table outside batch mode, which each may need
    a rebuild, merged by :func:`merge_rebuilds` so that they make one rebuild (or, when none
    needs one, run in place as they would one by one). ``lines``: each op's script line.
    """

    ops: tuple[Op, ...] = ()
    merged: bool = False
    lines: tuple[int | None, ...] = ()
    public: ClassVar[bool] = False

    def describe(self) -> str:
        first = self.ops[0]
        if self.merged:
            return first.describe()
        table = qualified(first.table_name, first.schema)  # type: ignore[attr-defined]
        return f"batch_alter_table {table}"

    def reverse(self, before: Schema | None = None) -> Op:
        if before is None:
            return TableChanges(tuple(op.reverse() for op in reversed(self.ops)), self.merged)
        model = before.copy()
        undone: list[Op] = []
        for op in self.ops:
            undone.append(op.reverse(model))
            sqlite_batch.apply_op(op, model)
        return TableChanges(tuple(reversed(undone)), self.merged)

    def apply(self, schema: Schema) -> None:
        settings = sqlite_batch.settings_of(self.ops)
        if settings is not None:
            settings.apply(schema)
            if settings.recreate == "always" or any(
                    reason for reason in _reasons(self.ops, schema.copy(), schema.dialect)):
                sqlite_batch.rebuilt(schema, self.ops, settings)
                return
        for op in self.ops:
            sqlite_batch.apply_op(op, schema)


def _reasons(ops: tuple[Op, ...], model: Schema | None, dialect: DialectSupport) -> list[str]:
    """Why each op of a block needs a rebuild (applied in turn to ``model``, a copy)."""
    reasons = []
    for each in ops:
        if model is not None and not sqlite_batch.is_unnamed_drop(each):
            each = each.completed(model)
        reason = rebuild_reason(each, model, dialect)
        if reason:
            reasons.append(reason)
        if model is not None:
            sqlite_batch.apply_op(each, model)
    return reasons


def render_table_changes(op: TableChanges, ctx: RenderContext) -> list[Element]:
    """One rebuild for the whole block when any of its ops needs one (or its
    batch_alter_table arguments ask for one), else each op in place (each rendered with the
    model as the ops before it left it)."""
    settings = sqlite_batch.settings_of(op.ops)
    ctx = sqlite_batch.with_settings(ctx, settings)
    if op.merged:  # each op checked as it is when compiled on its own
        for i, each in enumerate(op.ops):
            problem = ctx.dialect.capability_problem(each, ctx.autocommit)
            if problem:
                raise _at_line(ctx.fail(each, problem), op, i)
    reasons = _reasons(op.ops, ctx.schema.copy() if ctx.schema is not None else None,
                       ctx.dialect)
    reasons = sqlite_batch.recreate_reasons(settings, reasons, op, ctx)
    if reasons:
        return rebuild_elements(list(op.ops), "; ".join(dict.fromkeys(reasons)), ctx,
                                op.lines)
    out: list[Element] = [Note(text) for text in
                          sqlite_batch.unused_note(settings, ctx.dialect.title)]
    model = ctx.schema.copy() if ctx.schema is not None else None
    for i, each in enumerate(op.ops):
        if isinstance(each, BatchAlterTable):
            continue
        if i or not op.merged:  # a merged run's first op is named by the run's describe()
            out.append(Note(each.describe()))
        if model is not None:
            each = each.completed(model)
        try:
            out += ctx.render(each, model)
        except CompileError as exc:
            raise _at_line(exc, op, i) from None
        if model is not None:
            each.apply(model)
    return out


def _at_line(error: CompileError, op: TableChanges, index: int) -> CompileError:
    """``error`` located at the script line of ``op.ops[index]`` (when known)."""
    if not error.line and index < len(op.lines):
        error.line = op.lines[index]
    return error


def render_in_place_or_rebuilt(op: Op, ctx: RenderContext) -> list[Element]:
    """``op`` as SQLite runs it in place, or a rebuild of its table when it cannot."""
    reason = rebuild_reason(op, ctx.schema, ctx.dialect)
    if reason is not None:
        return rebuild_elements([op], reason, ctx)
    return default.render_default(op, ctx)


def _batchable(item: Recorded) -> bool:
    if isinstance(item.op, CreateExcludeConstraint):
        return False  # refused on its own (SQLite has none)
    return item.batch is not None and hasattr(item.op, "table_name") and isinstance(
        item.op, AddColumn | DropColumn | AlterColumn | AddConstraintOp | DropConstraint
        | CreateIndex | DropIndex | BatchAlterTable)


def group_batches(recorded: list[Recorded]) -> list[Recorded]:
    """Consecutive ops of one batch_alter_table block become one :class:`TableChanges`."""

    out: list[Recorded] = []
    for item in recorded:
        last = out[-1] if out else None
        if (last is not None and _batchable(item) and isinstance(last.op, TableChanges)
                and last.batch == item.batch and last.autocommit == item.autocommit):
            out[-1] = Recorded(TableChanges((*last.op.ops, item.op),
                                            lines=(*last.op.lines, item.line)),
                               last.autocommit, last.line, last.batch)
        elif _batchable(item):
            out.append(Recorded(TableChanges((item.op,), lines=(item.line,)), item.autocommit,
                                item.line, item.batch))
        else:
            out.append(item)
    return out


def _classify(op: Op, dialect: DialectSupport) -> bool:
    """Whether ``op`` (outside batch mode) may need a rebuild of its table: it does (a
    constraint, most column changes), or the model decides (a drop_column)."""
    if isinstance(op, CreateExcludeConstraint):
        return False  # refused on its own (SQLite has none)
    if isinstance(op, AddConstraintOp | DropConstraint):
        return True
    if isinstance(op, DropColumn):
        return not op.if_exists
    if isinstance(op, AddColumn | AlterColumn):
        return rebuild_reason(op, None, dialect) is not None
    return False


def _footprint(op: Op, key: Callable[[str | None, str], TableKey]) -> set[TableKey] | None:
    """The tables ``op`` changes or references (by foreign key), by ``key``; None when that
    is not known (raw SQL, a commit, an op of another kind), which ends every merge."""
    def referenced(table: sa.Table | None, *columns: sa.Column[Any]) -> set[TableKey] | None:
        fks = [*(table.foreign_keys if table is not None else ()),
               *(fk for column in columns for fk in column.foreign_keys)]
        found = set()
        for fk in fks:
            try:
                parts = fk.target_fullname.split(".")
            except sa.exc.SQLAlchemyError:
                return None  # a target SQLAlchemy cannot name yet: not known
            if len(parts) < 2:
                return None
            found.add(key(".".join(parts[:-2]) or None, parts[-2]))
        return found

    def with_references(own: TableKey, more: set[TableKey] | None) -> set[TableKey] | None:
        return None if more is None else {own} | more

    if isinstance(op, TableChanges):
        found: set[TableKey] = set()
        for each in op.ops:
            more = _footprint(each, key)
            if more is None:
                return None
            found |= more
        return found
    if isinstance(op, CreateTable):
        return with_references(key(op.table.schema, op.table.name), referenced(op.table))
    if isinstance(op, RenameTable | DropTable):
        return None  # the foreign keys of other tables may name it: the model knows them
    if isinstance(op, Printed):
        return set()  # a comment: merges go on across it
    if isinstance(op, BulkInsert):
        return {key(op.table.schema, op.table.name)}
    if isinstance(op, BatchAlterTable):
        return with_references(key(op.schema, op.table_name), referenced(op.copy_from))
    if isinstance(op, CreateForeignKey):
        return {key(op.schema, op.table_name), key(op.referent_schema, op.referent_table)}
    if isinstance(op, AddColumn):
        return with_references(key(op.schema, op.table_name), referenced(None, op.column))
    if isinstance(op, DropIndex) and op.table_name is None:
        return None  # found by name: its table is not said
    if isinstance(op, DropColumn | AlterColumn | AddConstraintOp | DropConstraint
                  | CreateIndex | DropIndex | CreateTableComment | DropTableComment):
        return {key(op.schema, op.table_name)}  # type: ignore[arg-type]
    return None


@dataclass
class _Run:
    """Ops on one table being merged into one rebuild (see :func:`merge_rebuilds`)."""

    at: int  # where the merged op goes in the output
    items: list[Recorded]
    autocommit: bool
    passed: set[TableKey]  # the tables that the ops it was merged across touch


def _merged(items: list[Recorded]) -> Recorded:
    first = items[0]
    if len(items) == 1 and not sqlite_batch.is_unnamed_drop(first.op):
        return first
    # A drop_constraint(None, ...) goes in one too: its model change finds the constraint.
    return Recorded(TableChanges(tuple(item.op for item in items), merged=True,
                                 lines=tuple(item.line for item in items)),
                    first.autocommit, first.line, None)


def merge_rebuilds(recorded: list[Recorded], dialect: DialectSupport) -> list[Recorded]:
    """Ops on one table outside batch mode that may each need a rebuild become one
    :class:`TableChanges` (one rebuild), where their first one was. They merge across ops on
    other tables as long as none of those touches the table (changes it, or references it
    by foreign key) and the later ops reference none of their tables; anything else (raw
    SQL, a commit, an autocommit block, another op on the table) ends the merge."""
    def key(schema: str | None, name: str) -> TableKey:
        return (None if schema in (None, dialect.default_schema) else schema, name)

    out: list[Recorded | None] = []
    runs: dict[TableKey, _Run] = {}
    ended: list[_Run] = []
    for item in recorded:
        touched = _footprint(item.op, key)
        table = (key(item.op.schema, item.op.table_name)  # type: ignore[attr-defined]
                 if item.batch is None and _classify(item.op, dialect) else None)
        run = runs.get(table) if table is not None else None
        joins = (run is not None and touched is not None and run.autocommit == item.autocommit
                 and not touched & run.passed)
        for other, each in list(runs.items()):
            if joins and other == table:
                continue
            if touched is None or other in touched or each.autocommit != item.autocommit:
                ended.append(runs.pop(other))
            else:
                each.passed |= touched
        if joins and run is not None:
            run.items.append(item)
        elif table is not None:
            runs[table] = _Run(len(out), [item], item.autocommit, set())
            out.append(None)
        else:
            out.append(item)
    for run in [*ended, *runs.values()]:
        out[run.at] = _merged(run.items)
    return [item for item in out if item is not None]
