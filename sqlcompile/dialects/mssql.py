"""SQL Server 2017+: transactional DDL under SET XACT_ABORT ON, `GO` batches for `sqlcmd -b`.

Every statement is its own batch (a `GO` line after it). With ``XACT_ABORT ON`` a failing
statement rolls the transaction back and ends the batch; ``sqlcmd -b`` then exits before the
next batch, so nothing after a failure runs. The guard is a SELECT whose conversion of its
message to INT fails when the version table differs, so it aborts like any failing statement.

Defaults are named constraints on SQL Server. A default the script did not name is called
``DF_<table>_<column>`` in the DDL and in the schema model, and dropping or replacing it uses
the name the model holds (which stays what it was when the table or column is renamed).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import schema as sa_schema
from sqlalchemy.dialects import mssql
from sqlalchemy.dialects.mssql.base import MSDDLCompiler, MSSQLCompiler
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import DDLCompiler

from sqlcompile.dialects import ddl
from sqlcompile.dialects import default as defaults
from sqlcompile.dialects.base import NO_EXCLUDE_CONSTRAINTS, NOTHING_CHANGED, DialectSupport
from sqlcompile.dialects.render import Element, Note, RawSQL, RenderContext
from sqlcompile.ops.base import qualified, table_for
from sqlcompile.ops.constraint_ops import CreateExcludeConstraint, DropConstraint
from sqlcompile.ops.index_ops import CreateIndex, DropIndex
from sqlcompile.ops.table_ops import (
    AddColumn,
    AlterColumn,
    CreateTable,
    CreateTableComment,
    DropColumn,
    DropTableComment,
)
from sqlcompile.schema.model import ColumnModel, TableModel, unknown_origin

_ACTION = re.compile(r"^(?:RESTRICT|CASCADE|SET NULL|NO ACTION|SET DEFAULT)$", re.I)
_GO = re.compile(r"(?im)^[ \t]*GO(?:[ \t]+\d+)?[ \t]*(?:\r?\n|\Z)")
NAME_LIMIT = 128  # SQL Server's identifier length


def default_name(table: str, column: str) -> str:
    """The name given to a default constraint the script did not name."""
    return f"DF_{table}_{column}"[:NAME_LIMIT]


class _DDLCompiler(MSDDLCompiler):
    """SQL Server's DDL compiler, writing every server default as a named constraint."""

    def get_column_specification(self, column: sa.Column[Any], **kw: Any) -> str:
        spec = str(super().get_column_specification(column, **kw))  # type: ignore[no-untyped-call]
        default = self.get_column_default_string(column)
        if default is None:
            return spec
        name = getattr(column.server_default, "name", None)
        if not name:
            table = column.table.name if isinstance(column.table, sa.Table) else ""
            name = default_name(table, column.name)
        head, found, tail = spec.rpartition(f" DEFAULT {default}")
        if not found:
            return spec
        return f"{head} CONSTRAINT {self.preparer.quote(name)} DEFAULT {default}{tail}"

    def define_constraint_cascades(self, constraint: Any) -> str:
        """RESTRICT is NO ACTION on SQL Server (checked at once, as it has no deferral)."""
        text = ""
        for event, action in (("DELETE", constraint.ondelete), ("UPDATE", constraint.onupdate)):
            if action is not None:
                action = "NO ACTION" if action.upper() == "RESTRICT" else action.upper()
                if not _ACTION.match(action):
                    raise sa.exc.CompileError(f"unexpected ON {event} action {action!r}")
                text += f" ON {event} {action}"
        return text

    def define_constraint_deferrability(self, constraint: Any) -> str:
        if constraint.deferrable or constraint.initially:
            raise sa.exc.CompileError("SQL Server has no deferrable constraints")
        return ""


class _Compiler(MSSQLCompiler):
    """SQL Server's compiler; a string literal with non-ASCII characters gets the N prefix, so
    the text reaches an NVARCHAR (or UTF-8 collated) column as written."""

    def render_literal_value(self, value: Any, type_: Any) -> str:
        text = str(super().render_literal_value(value, type_))
        if isinstance(value, str) and not value.isascii() and text.startswith("'"):
            text = f"N{text}"
        return text


class DefaultConstraint(ddl.AlterTable):
    """ALTER TABLE t ADD CONSTRAINT name DEFAULT expr FOR c."""

    def __init__(self, table: sa.TableClause, name: str, column: sa.Column[Any]) -> None:
        super().__init__(table)
        self.name = name
        self.column = column


class DropNamedConstraint(ddl.AlterTable):
    """ALTER TABLE t DROP CONSTRAINT [IF EXISTS] name (a default, which SQLAlchemy lacks)."""

    def __init__(self, table: sa.TableClause, name: str, if_exists: bool = False) -> None:
        super().__init__(table)
        self.name = name
        self.if_exists = if_exists


class AlterColumnDefinition(ddl.AlterColumn):
    """ALTER TABLE t ALTER COLUMN c <type> NULL | NOT NULL (type and nullability restated)."""

    def __init__(self, table: sa.TableClause, column_name: str, type_: Any,
                 nullable: bool) -> None:
        super().__init__(table, column_name)
        self.type_ = type_
        self.nullable = nullable


@compiles(DefaultConstraint, "mssql")
def _default_constraint(element: DefaultConstraint, compiler: DDLCompiler, **kw: Any) -> str:
    default = compiler.get_column_default_string(element.column)
    return (f"{ddl.alter_table(compiler, element.table)} ADD CONSTRAINT "
            f"{compiler.preparer.quote(element.name)} DEFAULT {default} "
            f"FOR {compiler.preparer.quote(element.column.name)}")


@compiles(DropNamedConstraint, "mssql")
def _drop_named_constraint(element: DropNamedConstraint, compiler: DDLCompiler,
                           **kw: Any) -> str:
    exists = " IF EXISTS" if element.if_exists else ""
    return (f"{ddl.alter_table(compiler, element.table)} DROP CONSTRAINT{exists} "
            f"{compiler.preparer.quote(element.name)}")


@compiles(AlterColumnDefinition, "mssql")
def _alter_column_definition(element: AlterColumnDefinition, compiler: DDLCompiler,
                             **kw: Any) -> str:
    null = "NULL" if element.nullable else "NOT NULL"
    return f"{ddl.alter_column(compiler, element)} {ddl.type_sql(compiler, element.type_)} {null}"


@compiles(ddl.AddColumn, "mssql")
def _add_column(element: ddl.AddColumn, compiler: DDLCompiler, **kw: Any) -> str:
    spec = compiler.get_column_specification(element.column)
    if element.inline_primary_key:
        spec += " PRIMARY KEY"
    spec += ddl.column_checks(compiler, element.column)
    return f"{ddl.alter_table(compiler, element.table)} ADD {spec}"


def _sp_rename(compiler: DDLCompiler, old: str, new: str, kind: str | None = None) -> str:
    """EXEC sp_rename with the object's current (qualified, quoted) name and its new name."""
    literal = compiler.sql_compiler.render_literal_value
    args = [literal(old, sa.Unicode()), literal(new, sa.Unicode())]
    if kind:
        args.append(f"'{kind}'")
    return f"EXEC sp_rename {', '.join(args)}"


@compiles(ddl.RenameTable, "mssql")
def _rename_table(element: ddl.RenameTable, compiler: DDLCompiler, **kw: Any) -> str:
    return _sp_rename(compiler, compiler.preparer.format_table(element.table), element.new_name)


@compiles(ddl.RenameColumn, "mssql")
def _rename_column(element: ddl.RenameColumn, compiler: DDLCompiler, **kw: Any) -> str:
    old = (f"{compiler.preparer.format_table(element.table)}."
           f"{compiler.preparer.quote(element.column_name)}")
    return _sp_rename(compiler, old, element.new_name, "COLUMN")


@compiles(sa_schema.CreateTable, "mssql")
def _create_table(element: sa_schema.CreateTable, compiler: DDLCompiler, **kw: Any) -> str:
    """SQL Server has no CREATE TABLE IF NOT EXISTS: the version table's creation is wrapped
    in `IF OBJECT_ID(...) IS NULL`."""
    if not element.if_not_exists:
        return str(compiler.visit_create_table(element, **kw))  # type: ignore[no-untyped-call]
    plain = sa_schema.CreateTable(element.element)
    table = element.element
    name = f"{table.schema}.{table.name}" if table.schema else table.name
    create = str(compiler.visit_create_table(plain, **kw)).strip()  # type: ignore[no-untyped-call]
    literal = compiler.sql_compiler.render_literal_value(name, sa.Unicode())
    return f"IF OBJECT_ID({literal}, N'U') IS NULL {create}"


_KEY_COLUMNS = ("FROM sys.index_columns AS k JOIN sys.columns AS col ON col.object_id = "
                "k.object_id AND col.column_id = k.column_id",
                "k.object_id = c.parent_object_id AND k.index_id = c.unique_index_id")
#: Per drop_constraint type_: the catalog view, its type code, and the rows (and the
#: condition tying them to the constraint) listing the constraint's columns.
_CATALOGS = {
    "foreignkey": ("sys.foreign_keys", "",
                   "FROM sys.foreign_key_columns AS k JOIN sys.columns AS col ON col.object_id "
                   "= k.parent_object_id AND col.column_id = k.parent_column_id",
                   "k.constraint_object_id = c.object_id"),
    "unique": ("sys.key_constraints", "UQ", *_KEY_COLUMNS),
    "primary": ("sys.key_constraints", "PK", *_KEY_COLUMNS),
    "check": ("sys.check_constraints", "", "", ""),
}


class MSSQL(DialectSupport):
    """SQL Server 2017+ (STRING_AGG, DROP ... IF EXISTS)."""

    name: ClassVar[str] = "mssql"
    sqlglot_name: ClassVar[str] = "tsql"
    title: ClassVar[str] = "SQL Server"
    default_schema: ClassVar[str | None] = "dbo"  # as make_sa_dialect assumes
    restated_properties: ClassVar[frozenset[str]] = frozenset({"type", "nullable"})
    #: sysname: at most 128 characters.
    identifier_limit: ClassVar[tuple[int, str] | None] = (128, "characters")
    batch_separator: ClassVar[str | None] = "GO"
    apply_command: ClassVar[str] = (
        'sqlcmd -b -x -I -f 65001 -S "$SERVER" -d "$DATABASE" -i {file}')

    def make_sa_dialect(self) -> Dialect:
        dialect = mssql.dialect(  # type: ignore[no-untyped-call]
            paramstyle="named", deprecate_large_types=True)
        dialect.ddl_compiler = _DDLCompiler
        dialect.statement_compiler = _Compiler
        # Offline there is no server to ask: the defaults of SQL Server 2017 with schema dbo.
        dialect.default_schema_name = "dbo"
        dialect.server_version_info = (14,)  # type: ignore[assignment]
        return dialect

    def session_setup(self) -> list[str]:
        # XACT_ABORT: any error rolls the transaction back and ends the batch.
        return ["SET XACT_ABORT ON", "SET NOCOUNT ON"]

    directive_prefix: ClassVar[str | None] = ":"

    def client_setup(self, lock_timeout: int) -> list[str]:
        return [":on error exit"]

    def lock(self, table: sa.Table, timeout: int) -> list[tuple[str, str]]:
        resource = self.render_string(self.lock_resource(table))
        message = self.render_string(self.lock_failed(table, timeout))
        return [
            (f"EXEC sp_getapplock @Resource = {resource}, @LockMode = 'Exclusive', "
             f"@LockOwner = 'Session', @LockTimeout = {timeout * 1000}",
             "migration lock: an application lock of this database's version table, held "
             f"until the end of the file; another apply waits at most {timeout} s for it"),
            (f"SELECT CASE WHEN COALESCE(APPLOCK_MODE('public', {resource}, 'Session'), '') "
             f"<> 'Exclusive' THEN CAST({message} AS INT) END AS lock_check",
             "stop here, having changed nothing, unless this session holds the lock "
             "(sp_getapplock reports a timeout by its return value, not by an error)"),
        ]

    def unlock(self, table: sa.Table) -> list[tuple[str, str]]:
        resource = self.render_string(self.lock_resource(table))
        return [(f"EXEC sp_releaseapplock @Resource = {resource}, @LockOwner = 'Session'",
                 "release the migration lock")]

    def begin(self) -> str:
        return "BEGIN TRANSACTION"

    def commit(self) -> str:
        return "COMMIT TRANSACTION"

    def split_batches(self, text: str) -> list[str]:
        return [chunk for chunk in _GO.split(text) if chunk.strip()] or [text]

    def refusal(self, message: str) -> str:
        """The message converted to INT, as a failed guard does."""
        return f"SELECT CAST({self.render_string(message)} AS INT) AS refusal"

    def guard(self, table: sa.Table, expected: Sequence[str], label: str,
              outcome: str = NOTHING_CHANGED) -> str:
        """A SELECT that fails converting the guard message to INT when the version table
        differs: the error quotes the message (expected and found revisions), XACT_ABORT rolls
        the transaction back and `sqlcmd -b` stops.

        The CASE keeps the conversion from running for rows the WHERE would drop (SQL Server
        may compute the select list before filtering); plain SELECT/CASE/CAST, so sqlglot
        parses all of it (IF ... RAISERROR would parse only as far as the IF).
        """
        p = self.guard_parts(table, expected, label, outcome)
        return (f"SELECT CASE WHEN {p.differs} THEN CAST({p.message} AS INT) END AS guard "
                f"FROM ({p.source}) AS g WHERE {p.differs}")

    def concat(self, *parts: str) -> str:
        return " + ".join(parts)

    def string_agg(self, column: str, separator_sql: str) -> str:
        return f"STRING_AGG({column}, {separator_sql}) WITHIN GROUP (ORDER BY {column})"

    def name_defaults(self, table: TableModel) -> TableModel:
        """Give every unnamed default of ``table`` the name the DDL gave it."""
        if all(c.default is None or c.default_name for c in table.columns):
            return table
        return replace(table, columns=tuple(
            c if c.default is None or c.default_name
            else replace(c, default_name=default_name(table.name, c.name))
            for c in table.columns))

    unsupported = {
        AddColumn: {"if_not_exists": "SQL Server has no ADD COLUMN IF NOT EXISTS"},
        CreateTable: {"if_not_exists": "SQL Server has no CREATE TABLE IF NOT EXISTS"},
        CreateIndex: {"if_not_exists": "SQL Server has no CREATE INDEX IF NOT EXISTS"},
        CreateExcludeConstraint: {"elements": NO_EXCLUDE_CONSTRAINTS},
    }
    needs = {
        DropIndex: {"table_name": "SQL Server drops an index with its table (DROP INDEX ... ON "
                                  "t) and the schema model does not know index "
                                  "{op.index_name}; pass table_name="},
    }

    def _drop_column(self, op: DropColumn, ctx: RenderContext) -> list[Element]:
        """DROP COLUMN, after dropping its default constraint (by the name the model holds):
        SQL Server refuses to drop a column a default constraint is bound to."""
        out: list[Element] = []
        model = self._column(ctx, op.table_name, op.schema, op.column_name)
        if model is not None and model.default_name:
            ref = sa.table(op.table_name, schema=op.schema)
            out.append(DropNamedConstraint(ref, model.default_name, bool(op.if_exists)))
        return [*out, *defaults.drop_column(op, ctx)]

    @staticmethod
    def _column(ctx: RenderContext, table: str, schema: str | None,
                column: str) -> ColumnModel | None:
        model = ctx.schema.table(table, schema) if ctx.schema is not None else None
        return model.column(column) if model is not None else None

    def _table_comment(self, op: CreateTableComment, ctx: RenderContext) -> list[Element]:
        """Comments are the MS_Description extended property: an existing one is dropped
        first (sp_addextendedproperty refuses to overwrite)."""
        model = ctx.schema.table(op.table_name, op.schema) if ctx.schema is not None else None
        existing = model.comment if model is not None else op.existing_comment
        holder = table_for(op.table_name, schema=op.schema, comment=op.comment)
        out: list[Element] = []
        if existing is not None:
            out.append(sa_schema.DropTableComment(holder))
        out.append(sa_schema.SetTableComment(holder))
        return out

    def _drop_table_comment(self, op: DropTableComment, ctx: RenderContext) -> list[Element]:
        holder = table_for(op.table_name, schema=op.schema, comment=None)
        return [sa_schema.DropTableComment(holder)]

    def _alter_column(self, op: AlterColumn, ctx: RenderContext) -> list[Element]:
        """ALTER COLUMN restating type and nullability; defaults dropped by their model name
        and added as named constraints; comments as extended properties; sp_rename."""
        changes = op.changes()
        ref = sa.table(op.table_name, schema=op.schema)
        where = f"{qualified(op.table_name, op.schema)}.{op.column_name}"
        known = op.current(ctx.schema)
        current = op.stated(known, self) if known is not None else None
        out: list[Element] = []
        if "type" in changes or "nullable" in changes:
            type_ = op.type_ if op.type_ is not None else (
                current.type if current is not None else op.existing_type)
            nullable = op.nullable if op.nullable is not None else (
                current.nullable if current is not None else op.existing_nullable)
            if type_ is None or nullable is None:
                raise ctx.fail(
                    op, "SQL Server's ALTER COLUMN restates the type and the nullability, and "
                        f"the schema model does not know column {where} "
                        f"{unknown_origin(ctx.schema)}",
                    hint="pass existing_type= and existing_nullable=")
            out.append(AlterColumnDefinition(ref, op.column_name, type_, nullable))
        if "server_default" in changes:
            out += self._default(op, ctx, current, where)
        if "comment" in changes:
            column = sa.Column(op.column_name, sa.types.NULLTYPE, comment=op.comment)
            table_for(op.table_name, column, schema=op.schema)
            existing = current.comment if current is not None else op.existing_comment
            if existing is not None or op.comment is None:
                out.append(sa_schema.DropColumnComment(column))
            if op.comment is not None:
                out.append(sa_schema.SetColumnComment(column))
        if op.new_column_name is not None:
            out.append(ddl.RenameColumn(ref, op.column_name, op.new_column_name))
        before, after = defaults.type_check_changes(op, ctx)
        return [*before, *out, *after]

    def _default(self, op: AlterColumn, ctx: RenderContext, current: ColumnModel | None,
                 where: str) -> list[Element]:
        ref = sa.table(op.table_name, schema=op.schema)
        out: list[Element] = []
        if current is not None:
            if current.default is not None:
                name = current.default_name or default_name(op.table_name, op.column_name)
                out.append(DropNamedConstraint(ref, name))
        elif op.server_default is None or op.existing_server_default not in (None, False):
            raise ctx.fail(
                op, "SQL Server drops a default by its constraint name, and the schema model "
                    f"does not know column {where} {unknown_origin(ctx.schema)}",
                hint="write this revision's SQL by hand, naming the default constraint, in "
                     f"{ctx.hand_written}")
        if op.server_default is not None:
            type_ = op.type_ if op.type_ is not None else (
                current.type if current is not None else op.existing_type)
            column = sa.Column(op.column_name, type_ or sa.types.NULLTYPE,
                               server_default=op.server_default)
            name = (getattr(column.server_default, "name", None)
                    or default_name(op.table_name, op.new_column_name or op.column_name))
            out.append(DefaultConstraint(ref, name, column))
        return out

    def is_block_start(self, words: list[str]) -> bool:
        """A batch that DECLAREs a variable is one block: its variables last to its end."""
        return words[:1] == ["DECLARE"]

    def _drop_constraint(self, op: DropConstraint, ctx: RenderContext) -> list[Element]:
        """A constraint created without a name has a random one on SQL Server: the batch
        looks it up (the one system-named constraint of that kind on the table, on the same
        columns) and drops it by EXEC; no or several such constraints stop it first."""
        if op.constraint_name is not None:
            return defaults.drop_constraint(op, ctx)
        columns = defaults.unnamed_columns(op, ctx)
        table = self.quote_table(table_for(op.table_name, schema=op.schema))
        catalog, kind, members, owner = _CATALOGS[str(op.type_)]
        where = [f"c.parent_object_id = OBJECT_ID({self.render_string(table)})",
                 "c.is_system_named = 1", *([f"c.type = '{kind}'"] if kind else [])]
        if columns:
            listed = ", ".join(self.render_string(c) for c in columns)
            rows = f"{members} WHERE {owner}"
            where += [f"(SELECT COUNT(*) {rows}) = {len(columns)}",
                      f"NOT EXISTS (SELECT 1 {rows} AND col.name NOT IN ({listed}))"]
        what = defaults.lookup_text(op, columns)
        message = defaults.lookup_failure(op, self, what, "CAST(COUNT(*) AS NVARCHAR(10))")
        drop = self.render_string(f"ALTER TABLE {table} DROP CONSTRAINT ")
        conditions = "\n    AND ".join(where)
        return [Note(f"SQL Server named this constraint itself: the name is looked up at "
                     f"apply time ({what})"),
                RawSQL(
                    "DECLARE @sqlcompile_drop NVARCHAR(MAX) = (\n"
                    f"  SELECT CASE WHEN COUNT(*) = 1 THEN {drop} + QUOTENAME(MAX(c.name))\n"
                    f"    ELSE CAST(CAST({message} AS INT) AS NVARCHAR(MAX)) END\n"
                    f"  FROM {catalog} AS c\n"
                    f"  WHERE {conditions});\n"
                    "EXEC (@sqlcompile_drop)")]

    renderers = {
        AlterColumn: _alter_column,
        DropColumn: _drop_column,
        DropConstraint: _drop_constraint,
        CreateTableComment: _table_comment,
        DropTableComment: _drop_table_comment,
    }


DIALECT = MSSQL()
