"""The default renderers: every op class's elements for a dialect that changes nothing.

``RENDERERS`` maps each op class to a function ``(op, ctx) -> elements``. A dialect module
holds a table of its own (``DialectSupport.renderers``) merged over this one, so it overrides
only the ops it renders differently, as sqlglot's generators map node types to functions.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import schema as sa_schema
from sqlalchemy.sql import sqltypes, visitors
from sqlalchemy.sql.elements import BindParameter, ClauseElement

from sqlcompile.dialects import ddl
from sqlcompile.dialects.base import NOTHING_CHANGED
from sqlcompile.dialects.render import (
    Element,
    InlineLiteral,
    Note,
    RawSQL,
    RenderContext,
    Renderer,
    by_class,
    comment_elements,
    other_dialect_notes,
    table_name_only,
)
from sqlcompile.errors import CompileError, one_line
from sqlcompile.ops.base import qualified, table_for
from sqlcompile.ops.batch_ops import BatchAlterTable
from sqlcompile.ops.constraint_ops import AddConstraintOp, DropConstraint, constraint_stand_in
from sqlcompile.ops.data_ops import (
    BulkInsert,
    Execute,
    Printed,
    TransactionBreak,
    statement_text,
)
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
from sqlcompile.schema.convert import created_on
from sqlcompile.schema.model import CheckModel, unknown_origin

# -- tables and columns ----------------------------------------------------------------------

if TYPE_CHECKING:
    from sqlcompile.dialects.base import DialectSupport


def create_table(op: CreateTable, ctx: RenderContext) -> list[Element]:
    out: list[Element] = [
        *other_dialect_notes(ctx, op.table.dialect_kwargs, f"table {op.table.name}"),
        sa_schema.CreateTable(op.table, if_not_exists=bool(op.if_not_exists)),
    ]
    out += comment_elements(ctx, op.table)
    indexes = sorted(op.table.indexes, key=lambda ix: str(ix.name))
    out += [sa_schema.CreateIndex(ix) for ix in indexes if created_on(ix, ctx.dialect)]
    return out


def drop_table(op: DropTable, ctx: RenderContext) -> list[Element]:
    table = table_name_only(op.table_name, op.schema)
    return [sa_schema.DropTable(table, if_exists=bool(op.if_exists))]  # type: ignore[arg-type]


def rename_table(op: RenameTable, ctx: RenderContext) -> list[Element]:
    return [ddl.RenameTable(table_name_only(op.old_table_name, op.schema), op.new_table_name)]


def add_column(op: AddColumn, ctx: RenderContext) -> list[Element]:
    column = op.column
    table = column.table
    out: list[Element] = [ddl.AddColumn(
        table, column, bool(op.if_not_exists), op.inline_references, op.inline_primary_key,
    )]
    if not op.inline_references:
        fks = [fk.constraint for fk in column.foreign_keys if fk.constraint is not None]
        out += [sa_schema.AddConstraint(c) for c in sorted(fks, key=lambda c: str(c.name))]
    if column.primary_key and not op.inline_primary_key:
        out.append(sa_schema.AddConstraint(table.primary_key))
    # (sorted: table.constraints is a set, and two unnamed keys must keep one order)
    constraints = [*table._sorted_constraints, *column.constraints]
    uniques = [c for c in constraints if isinstance(c, sa.UniqueConstraint)]
    out += [sa_schema.AddConstraint(c) for c in uniques]
    # (a CHECK given as the column's argument is part of its definition, as in CREATE TABLE)
    # A type's own CHECK (create_constraint=True) only where the type makes it, as Alembic's
    # add_constraint asks the constraint's create rule (no CHECK for a native enum/boolean).
    where = SimpleNamespace(dialect=ctx.dialect.sa_dialect)
    checks = [c for c in table._sorted_constraints if isinstance(c, sa.CheckConstraint)
              and (c._create_rule is None or c._create_rule(where))]
    out += [sa_schema.AddConstraint(c) for c in checks]
    indexes = sorted(table.indexes, key=lambda i: str(i.name))
    out += [sa_schema.CreateIndex(ix) for ix in indexes]
    if column.comment is not None:
        out += comment_elements(ctx, table)
    return out


def drop_column(op: DropColumn, ctx: RenderContext) -> list[Element]:
    table = table_name_only(op.table_name, op.schema)
    return [ddl.DropColumn(table, op.column_name, bool(op.if_exists))]


def type_check_changes(op: AlterColumn,
                       ctx: RenderContext) -> tuple[list[Element], list[Element]]:
    """What goes before and after a type change whose old or new type makes CHECKs (Enum,
    Boolean with create_constraint=True, where the dialect makes them), as Alembic does: the
    old type's CHECKs dropped first, the new type's added after."""
    if op.type_ is None:
        return [], []
    table = ctx.schema.table(op.table_name, op.schema) if ctx.schema is not None else None
    before: list[Element] = []
    for check in op.old_type_checks(table, ctx.dialect):
        name = check.name or check.server_name
        if name is not None:
            before += ctx.render(DropConstraint(name, op.table_name, "check", op.schema))
            continue
        # Unnamed, and no name the model knows: SQL Server and Oracle look it up at apply time.
        problem = (f"the schema model does not know table {qualified(op.table_name, op.schema)}"
                   f" {unknown_origin(ctx.schema)}")
        if table is not None:
            try:
                before += ctx.render(DropConstraint(None, op.table_name, "check", op.schema,
                                                    found=check))
                continue
            except CompileError:
                problem = f"{ctx.dialect.title}'s name for it is unknown to sqlcompile"
        raise ctx.fail(op, f"the CHECK ({check.sqltext}) of the column's old type goes before "
                       f"the type change, and it was created without a name: {problem}",
                       hint="drop it by its name (as the database shows it) with "
                       "op.drop_constraint() first, and give existing_type= without "
                       "create_constraint=True")
    after: list[Element] = [sa_schema.AddConstraint(c) for c in op.new_type_checks(ctx.dialect)]
    return before, after


def alter_column(op: AlterColumn, ctx: RenderContext) -> list[Element]:
    before, after = type_check_changes(op, ctx)
    return [*before, *_alter_column(op, ctx), *after]


def _alter_column(op: AlterColumn, ctx: RenderContext) -> list[Element]:
    table = table_name_only(op.table_name, op.schema)
    out: list[Element] = []
    name = op.column_name
    using = op.kw.get(f"{ctx.dialect.name}_using")
    # With USING, the rows convert by the expression but the default by a cast the types
    # may not have (text to boolean): the default goes first and comes back after.
    existing = op.existing_server_default
    refresh = op.type_ is not None and using is not None \
        and existing is not UNCHANGED and existing is not None
    if refresh:
        out.append(ddl.ColumnDefault(table, sa.Column(name, sa.types.NULLTYPE)))
    if op.type_ is not None:
        out.append(ddl.ColumnType(table, name, op.type_, using))
    if op.nullable is not None:
        out.append(ddl.ColumnNullable(table, name, op.nullable))
    if refresh and op.server_default is UNCHANGED:
        out.append(ddl.ColumnDefault(table, sa.Column(name, op.type_, server_default=existing)))
    if op.server_default is not UNCHANGED:
        type_ = op.type_ if op.type_ is not None else op.existing_type
        # The compiler reads only the column's default here: no Table needed.
        column = sa.Column(name, type_ or sa.types.NULLTYPE, server_default=op.server_default)
        out.append(ddl.ColumnDefault(table, column))
    if op.comment is not UNCHANGED:
        out += column_comment(op, ctx)
    if op.new_column_name is not None:
        out.append(ddl.RenameColumn(table, name, op.new_column_name))
    return out


def column_comment(op: AlterColumn, ctx: RenderContext) -> list[Element]:
    """The comment change of an alter_column: COMMENT ON, its removal, or a note."""
    column = sa.Column(op.column_name, sa.types.NULLTYPE, comment=op.comment)
    commented = table_for(op.table_name, column, schema=op.schema)
    if op.comment is not None:
        return comment_elements(ctx, commented)
    if ctx.dialect.supports_comments:
        return [sa_schema.DropColumnComment(column)]
    return [Note(f"{ctx.dialect.title} has no comments; removing the comment of "
                 f"{op.table_name}.{op.column_name} has nothing to do")]


def alter_column_rest(op: AlterColumn, ctx: RenderContext) -> list[Element]:
    """The comment and rename parts of an alter_column (for dialects that render its type,
    default and nullability their own way)."""
    rest = AlterColumn(op.table_name, op.column_name, op.schema, comment=op.comment,
                       new_column_name=op.new_column_name)
    return _alter_column(rest, ctx)


def create_table_comment(op: CreateTableComment, ctx: RenderContext) -> list[Element]:
    return comment_elements(ctx, table_for(op.table_name, schema=op.schema, comment=op.comment))


def drop_table_comment(op: DropTableComment, ctx: RenderContext) -> list[Element]:
    if not ctx.dialect.supports_comments:
        return [Note(f"{ctx.dialect.title} has no comments; table {op.table_name}'s "
                     "comment removal has nothing to do")]
    return [sa_schema.DropTableComment(table_for(op.table_name, schema=op.schema))]


# -- indexes and constraints -----------------------------------------------------------------


def create_index(op: CreateIndex, ctx: RenderContext) -> list[Element]:
    wheres = sorted(k for k in op.kw if k.endswith("_where"))
    if wheres and f"{ctx.dialect.name}_where" not in op.kw:
        raise ctx.fail(
            op,
            f"it is a partial index ({', '.join(wheres)}) with no {ctx.dialect.name}_where; "
            "creating it without its WHERE clause would index different rows",
            hint=f"pass {ctx.dialect.name}_where=... as well, or branch on the dialect",
        )
    # (other dialects' `*_where` made the error above unless this dialect has its own)
    notes: list[Element] = list(other_dialect_notes(
        ctx, {k: v for k, v in op.kw.items() if not k.endswith("_where")}, "index"))
    create = sa_schema.CreateIndex(op.index(), if_not_exists=bool(op.if_not_exists))
    return [*notes, create]


def drop_index(op: DropIndex, ctx: RenderContext) -> list[Element]:
    table = table_for(op.table_name or "_", sa.Column("_", sa.Integer), schema=op.schema)
    index = sa.Index(op.index_name, table.c["_"], **op.kw)
    return [sa_schema.DropIndex(index, if_exists=bool(op.if_exists))]


def add_constraint(op: AddConstraintOp, ctx: RenderContext) -> list[Element]:
    return [sa_schema.AddConstraint(op.constraint())]


def dropped_name(op: DropConstraint, ctx: RenderContext) -> str:
    """The name a drop_constraint drops: the script's, or for a constraint created without
    one, the name its server gave it (which the model worked out: see
    DialectSupport.name_constraints)."""
    if op.constraint_name is not None:
        return op.constraint_name
    if op.found is None:
        raise ctx.fail(op, f"the schema model does not know table "
                       f"{qualified(op.table_name, op.schema)} {unknown_origin(ctx.schema)}, "
                       "so the name its server gave the constraint is unknown",
                       hint="drop the constraint by its name (as the database shows it)")
    if op.found.server_name is None:
        raise ctx.fail(op, f"{ctx.dialect.title}'s name for this constraint, created without "
                       "one, is unknown to sqlcompile (its condition could not be read?)",
                       hint="drop the constraint by its name (as the database shows it)")
    return op.found.server_name


def unnamed_columns(op: DropConstraint, ctx: RenderContext) -> tuple[str, ...]:
    """The columns of the unnamed constraint a nameless drop removes, for dialects that look
    its name up at apply time (none for a check, which is found by its kind alone)."""
    if op.found is None:
        raise ctx.fail(op, f"the schema model does not know table "
                       f"{qualified(op.table_name, op.schema)} {unknown_origin(ctx.schema)}, "
                       "so the constraint to look up is unknown",
                       hint="drop the constraint by its name (as the database shows it)")
    if isinstance(op.found, CheckModel):
        return ()
    return tuple(op.found.columns)


def lookup_text(op: DropConstraint, columns: tuple[str, ...]) -> str:
    """What an apply-time lookup of an unnamed constraint looks for, for its messages."""
    kind = {"foreignkey": "foreign key", "unique": "unique constraint",
            "primary": "primary key", "check": "check constraint"}[str(op.type_)]
    on = f" on ({', '.join(columns)})" if columns else ""
    return f"system-named {kind} of {qualified(op.table_name, op.schema)}{on}"


def lookup_failure(op: DropConstraint, dialect: DialectSupport, what: str,
                   found_sql: str) -> str:
    """The SQL text of the error an apply-time lookup raises when it finds no or several
    constraints (``found_sql``: the count, as SQL text of the dialect)."""
    return dialect.concat(
        dialect.render_string(f"sqlcompile: {op.describe()}: expected exactly one {what}, "
                              "found "), found_sql,
        dialect.render_string(f"; {NOTHING_CHANGED}"))


def drop_constraint(op: DropConstraint, ctx: RenderContext) -> list[Element]:
    table = table_for(op.table_name, schema=op.schema)
    constraint = constraint_stand_in(op.type_, dropped_name(op, ctx))
    table.append_constraint(constraint)
    return [sa_schema.DropConstraint(constraint, if_exists=bool(op.if_exists))]


def batch_alter_table(op: BatchAlterTable, ctx: RenderContext) -> list[Element]:
    """The arguments of a batch block whose table is altered in place (every dialect but
    SQLite, as Alembic does when it does not recreate): stated, or refused where a recreated
    table would differ from the altered one."""
    table = qualified(op.table_name, op.schema)
    if op.recreate == "always":
        # Options for another dialect (sqlite_autoincrement=True, say) change nothing here.
        mine = {k: v for k, v in op.table_kwargs.items()
                if not other_dialect_notes(ctx, {k: v}, "table")}
        differ = [name for name, given in (("table_args", op.table_args), ("table_kwargs", mine),
                                           ("naming_convention", op.naming_convention))
                  if given]
        if differ:
            raise ctx.fail(op, f"recreate='always' with {', '.join(differ)} would give the "
                           f"recreated table other constraints, names or options; sqlcompile "
                           f"alters {ctx.dialect.title} tables in place (it recreates tables "
                           "only on SQLite)", hint="state those changes as ops of the block "
                           "(batch_op.create_unique_constraint(...), ...), or branch on the "
                           "dialect")
    return [Note(f"batch_alter_table {table} ({', '.join(op.settings())}): these arguments "
                 f"say how a table is recreated; {ctx.dialect.title} alters it in place, as "
                 "Alembic does when it does not recreate (sqlcompile recreates tables only on "
                 "SQLite)")]


# -- SQL and data ----------------------------------------------------------------------------


def typed_binds(statement: ClauseElement) -> ClauseElement:
    """Give every untyped bound value the type its Python value implies.

    `sa.column('confirmed')` has no type, so its bound values have no literal renderer;
    resolving the type from the value (as a driver would when binding) lets the dialect render
    them as literals instead of failing.
    """

    def replace(element: Any) -> Any:
        if isinstance(element, BindParameter) and element.type._isnull:
            value = element.effective_value
            if value is not None:
                return element._with_binary_element_type(sqltypes._resolve_value_to_type(value))
        return None

    return visitors.replacement_traverse(statement, {}, replace)  # type: ignore[call-overload,no-any-return]


def _inline_literal(element: BindParameter[Any]) -> bool:
    """Whether ``element`` is `op.inline_literal()`'s value (sqlcompile's, or Alembic's own
    when a script imports it), which always renders as a literal."""
    return isinstance(element, InlineLiteral) or type(element).__name__ == "_literal_bindparam"


def unbound_parameters(statement: ClauseElement) -> list[str]:
    """Names of bound parameters that were never given a value.

    Compiled with literal binds they would silently become NULL (what Alembic's offline mode
    does with `:name` in text); sqlcompile refuses instead.
    """
    names = {
        element.key for element in visitors.iterate(statement)
        if isinstance(element, BindParameter) and element.required
        and element.value is None and element.callable is None
        and not _inline_literal(element)  # op.inline_literal(None) is NULL, as in Alembic
    }
    return sorted(names)


def execute_text(op: Execute, text: str, ctx: RenderContext) -> str:
    """``text`` (SQL of ``op``) as written when it is in the target's dialect, else
    transpiled by sqlglot."""
    from sqlcompile.dialects.transpile import same_sql_dialect, transpile

    if op.dialect is None or same_sql_dialect(op.dialect, ctx.dialect):
        return text
    try:
        return transpile(text, op.dialect, ctx.dialect)
    except ValueError as exc:
        raise ctx.fail(op, str(exc), hint=(
            "write the statement for this dialect (branch on "
            "op.get_context().dialect.name), or write this revision's SQL by hand in "
            f"{ctx.hand_written}")) from None


def _text_clause(op: Execute, clause: sa.TextClause, ctx: RenderContext) -> sa.TextClause:
    """A text() construct for the target: its SQL transpiled, its bound values kept."""
    text = execute_text(op, clause.text, ctx)
    if text == clause.text:
        return clause
    binds = [e for e in visitors.iterate(clause) if isinstance(e, BindParameter)]
    return sa.text(text).bindparams(*binds)


#: What starts a comment in one of the dialects' SQL (sqlglot's tokenizers included).
_COMMENT_MARKS = ("--", "/*", "#", "//")


def _statements(text: str, ctx: RenderContext) -> list[str]:
    """``text`` cut into the statements its client would run one by one (psql, mysql and
    sqlite3 all run a string holding several); the whole text when the tokenizer cannot read
    it (validation then says what is wrong with it)."""
    from sqlglot.errors import SqlglotError

    from sqlcompile.dialects.splitting import split_statements

    if (text and ";" not in text and text == text.strip()
            and not any(mark in text for mark in _COMMENT_MARKS)
            and ctx.dialect.split_batches(text) == [text]):
        # One batch with no `;` and no comment: the one statement the tokenizer would find
        # (a text it cannot read is given as it is, which is the same text).
        return [text]
    try:
        return split_statements(text, ctx.dialect) or [text]
    except SqlglotError:
        return [text]


def execute(op: Execute, ctx: RenderContext) -> list[Element]:
    """A string (or text()) holding several statements renders as several, each framed and
    validated on its own; a text() with bound values is cut after they are rendered."""
    if isinstance(op.sql, str):
        return [RawSQL(chunk)
                for chunk in _statements(execute_text(op, statement_text(op.sql), ctx), ctx)]
    if isinstance(op.sql, ClauseElement):
        statement = (_text_clause(op, op.sql, ctx) if isinstance(op.sql, sa.TextClause)
                     else op.sql)
        missing = unbound_parameters(statement)
        if missing:
            listed = ", ".join(f":{name}" for name in missing)
            raise ctx.fail(
                op, f"bound parameter(s) {listed} have no value and would become NULL",
                hint="give the values, e.g. sa.text(...).bindparams(name=value); to keep "
                "a literal colon in text(), escape it as \\:",
            )
        bound = typed_binds(statement)
        if not isinstance(statement, sa.TextClause) or ";" not in statement.text:
            return [bound]
        compiled = str(bound.compile(dialect=ctx.dialect.sa_dialect,
                                     compile_kwargs={"literal_binds": True})).strip()
        chunks = _statements(statement_text(compiled), ctx)
        return [bound] if len(chunks) == 1 else [RawSQL(chunk) for chunk in chunks]
    return [op.sql]


def bulk_insert(op: BulkInsert, ctx: RenderContext) -> list[Element]:
    out: list[Element] = []
    for row in op.rows:
        unknown = sorted(set(row) - set(op.table.c.keys()))
        if unknown:
            raise ctx.fail(op, f"row names columns the table does not have: {unknown}")
        values = {
            key: value if isinstance(value, ClauseElement)
            else sa.literal(value, op.table.c[key].type)
            for key, value in row.items()
        }
        statement = op.table.insert().values(values)
        # Only literals of typed columns: no bound value lacks its type.
        typed = all(isinstance(value, BindParameter) and value is not row[key]
                    and not value.type._isnull for key, value in values.items())
        out.append(statement if typed else typed_binds(statement))
    return out


def transaction_break(op: TransactionBreak, ctx: RenderContext) -> list[Element]:
    return []  # the compiler starts a new segment; no statement of its own


def printed(op: Printed, ctx: RenderContext) -> list[Element]:
    """A comment line, never a statement: what cannot stay inside one line of a comment (CR,
    the other control characters and line separators, bidirectional controls) is escaped."""
    return [Note(f"printed by the script: {one_line(op.text)}".rstrip())]


RENDERERS: dict[type, Renderer] = {
    CreateTable: create_table,
    DropTable: drop_table,
    RenameTable: rename_table,
    AddColumn: add_column,
    DropColumn: drop_column,
    AlterColumn: alter_column,
    CreateTableComment: create_table_comment,
    DropTableComment: drop_table_comment,
    CreateIndex: create_index,
    DropIndex: drop_index,
    AddConstraintOp: add_constraint,
    DropConstraint: drop_constraint,
    BatchAlterTable: batch_alter_table,
    Execute: execute,
    BulkInsert: bulk_insert,
    TransactionBreak: transaction_break,
    Printed: printed,
}


def render_default(op: Any, ctx: RenderContext) -> list[Element]:
    """``op`` as the default renderer of its class (or of its nearest base) renders it."""
    found = by_class(RENDERERS, type(op))
    if found is None:
        raise KeyError(f"no default renderer for {type(op).__name__}")
    return found(op, ctx)
