"""DDL elements SQLAlchemy lacks (ALTER TABLE forms), with their standard-SQL compilation.

Dialect modules override a form with ``@compiles(Element, "<dialect>")``; the text always comes
from a compiler, using its identifier preparer and type compiler.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import ExecutableDDLElement
from sqlalchemy.sql.compiler import DDLCompiler
from sqlalchemy.util import OrderedSet


class AlterTable(ExecutableDDLElement):
    """Base of `ALTER TABLE <table> ...` statements."""

    def __init__(self, table: sa.TableClause) -> None:
        self.table = table


class RenameTable(AlterTable):
    """ALTER TABLE old RENAME TO new."""

    def __init__(self, table: sa.TableClause, new_name: str) -> None:
        super().__init__(table)
        self.new_name = new_name


class AddColumn(AlterTable):
    """ALTER TABLE t ADD COLUMN <column specification>."""

    def __init__(
        self,
        table: sa.TableClause,
        column: sa.Column[Any],
        if_not_exists: bool = False,
        inline_references: bool = False,
        inline_primary_key: bool = False,
    ) -> None:
        super().__init__(table)
        self.column = column
        self.if_not_exists = if_not_exists
        self.inline_references = inline_references
        self.inline_primary_key = inline_primary_key


class DropColumn(AlterTable):
    """ALTER TABLE t DROP COLUMN c."""

    def __init__(self, table: sa.TableClause, column_name: str, if_exists: bool = False) -> None:
        super().__init__(table)
        self.column_name = column_name
        self.if_exists = if_exists


class AlterColumn(AlterTable):
    """Base of ALTER TABLE t ALTER COLUMN c ... forms."""

    def __init__(self, table: sa.TableClause, column_name: str) -> None:
        super().__init__(table)
        self.column_name = column_name


class ColumnType(AlterColumn):
    """ALTER COLUMN c TYPE t [USING expr]."""

    def __init__(
        self, table: sa.TableClause, column_name: str, type_: Any, using: str | None = None
    ) -> None:
        super().__init__(table, column_name)
        self.type_ = sa.types.to_instance(type_)
        self.using = using


class ColumnNullable(AlterColumn):
    """ALTER COLUMN c SET NOT NULL / DROP NOT NULL."""

    def __init__(self, table: sa.TableClause, column_name: str, nullable: bool) -> None:
        super().__init__(table, column_name)
        self.nullable = nullable


class ColumnDefault(AlterColumn):
    """ALTER COLUMN c SET DEFAULT expr / DROP DEFAULT (``column`` carries the new default)."""

    def __init__(self, table: sa.TableClause, column: sa.Column[Any]) -> None:
        super().__init__(table, column.name)
        self.column = column


class RenameColumn(AlterColumn):
    """ALTER TABLE t RENAME COLUMN old TO new."""

    def __init__(self, table: sa.TableClause, column_name: str, new_name: str) -> None:
        super().__init__(table, column_name)
        self.new_name = new_name


def alter_table(compiler: DDLCompiler, table: sa.TableClause) -> str:
    """`ALTER TABLE <quoted, qualified name>`."""
    return f"ALTER TABLE {compiler.preparer.format_table(table)}"


def alter_column(compiler: DDLCompiler, element: AlterColumn) -> str:
    """`ALTER TABLE t ALTER COLUMN c`."""
    column = compiler.preparer.quote(element.column_name)
    return f"{alter_table(compiler, element.table)} ALTER COLUMN {column}"


def column_check_constraints(column: sa.Column[Any]) -> list[sa.CheckConstraint]:
    """The CHECK constraints given as the column's arguments, by name."""
    return sorted((c for c in column.constraints if isinstance(c, sa.CheckConstraint)),
                  key=lambda c: str(c.name))


def column_checks(compiler: DDLCompiler, column: sa.Column[Any], named: bool = True) -> str:
    """The CHECK constraints given as the column's arguments (without the named ones unless
    ``named``), as its definition ends with them (` CONSTRAINT ck CHECK (...)`), or nothing."""
    return "".join(f" {compiler.process(check)}" for check in column_check_constraints(column)
                   if named or check.name is None)


def copy_table(table: sa.Table, metadata: sa.MetaData | None = None) -> sa.Table:
    """``table.to_metadata(metadata)`` with its constraints in ``table``'s own order.

    SQLAlchemy copies constraints by walking ``Table.constraints``, a set, so the copies'
    creation order (the order CREATE TABLE lists them in) changed from one run to the next;
    walking them in the table's sorted order keeps the output byte-stable.
    """
    constraints = table.constraints
    table.constraints = OrderedSet(table._sorted_constraints)
    try:
        return table.to_metadata(metadata if metadata is not None else sa.MetaData())
    finally:
        table.constraints = constraints


def named_checks_beside_columns(table: sa.Table) -> sa.Table:
    """``table``, or a copy of it whose named CHECKs given as column arguments are table
    constraints instead (the same conditions and names), for a dialect that takes no
    CONSTRAINT name inside a column definition."""
    if not any(check.name is not None for column in table.columns
               for check in column_check_constraints(column)):
        return table
    copy = copy_table(table)
    for column in copy.columns:
        for check in column_check_constraints(column):
            if check.name is not None:
                column.constraints.discard(check)
                copy.append_constraint(sa.CheckConstraint(
                    check.sqltext, name=check.name, deferrable=check.deferrable,
                    initially=check.initially, **dict(check.dialect_kwargs)))
    return copy


def type_sql(compiler: DDLCompiler, type_: Any) -> str:
    """The dialect's spelling of a type."""
    return str(compiler.dialect.type_compiler_instance.process(type_))


@compiles(RenameTable)
def _rename_table(element: RenameTable, compiler: DDLCompiler, **kw: Any) -> str:
    new_name = compiler.preparer.quote(element.new_name)
    return f"{alter_table(compiler, element.table)} RENAME TO {new_name}"


@compiles(AddColumn)
def _add_column(element: AddColumn, compiler: DDLCompiler, **kw: Any) -> str:
    return add_column_sql(element, compiler)


def add_column_sql(element: AddColumn, compiler: DDLCompiler, named_checks: bool = True) -> str:
    """`ALTER TABLE t ADD COLUMN ...` (without the column's named CHECKs unless
    ``named_checks``)."""
    exists = " IF NOT EXISTS" if element.if_not_exists else ""
    spec = compiler.get_column_specification(element.column)
    if element.inline_primary_key:
        spec += " PRIMARY KEY"
    if element.inline_references:
        for fk in sorted(element.column.foreign_keys, key=lambda f: f.target_fullname):
            target = fk.column
            spec += (f" REFERENCES {compiler.preparer.format_table(target.table)} "
                     f"({compiler.preparer.quote(target.name)})")
    spec += column_checks(compiler, element.column, named_checks)
    return f"{alter_table(compiler, element.table)} ADD COLUMN{exists} {spec}"


@compiles(DropColumn)
def _drop_column(element: DropColumn, compiler: DDLCompiler, **kw: Any) -> str:
    exists = " IF EXISTS" if element.if_exists else ""
    column = compiler.preparer.quote(element.column_name)
    return f"{alter_table(compiler, element.table)} DROP COLUMN{exists} {column}"


@compiles(ColumnType)
def _column_type(element: ColumnType, compiler: DDLCompiler, **kw: Any) -> str:
    using = f" USING {element.using}" if element.using else ""
    return f"{alter_column(compiler, element)} TYPE {type_sql(compiler, element.type_)}{using}"


@compiles(ColumnNullable)
def _column_nullable(element: ColumnNullable, compiler: DDLCompiler, **kw: Any) -> str:
    action = "DROP NOT NULL" if element.nullable else "SET NOT NULL"
    return f"{alter_column(compiler, element)} {action}"


@compiles(ColumnDefault)
def _column_default(element: ColumnDefault, compiler: DDLCompiler, **kw: Any) -> str:
    default = compiler.get_column_default_string(element.column)
    action = f"SET DEFAULT {default}" if default is not None else "DROP DEFAULT"
    return f"{alter_column(compiler, element)} {action}"


@compiles(RenameColumn)
def _rename_column(element: RenameColumn, compiler: DDLCompiler, **kw: Any) -> str:
    old = compiler.preparer.quote(element.column_name)
    new = compiler.preparer.quote(element.new_name)
    return f"{alter_table(compiler, element.table)} RENAME COLUMN {old} TO {new}"
