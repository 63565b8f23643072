"""MariaDB 10.6+: MySQL's target (:mod:`sqlcompile.dialects.mysql`) with MariaDB's SQLAlchemy
dialect, its IF [NOT] EXISTS, DROP CONSTRAINT for checks and its reading of defaults."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects.mysql.mariadb import MariaDBDialect
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import DDLCompiler

from sqlcompile.dialects import ddl
from sqlcompile.dialects import default as defaults
from sqlcompile.dialects.base import NO_EXCLUDE_CONSTRAINTS
from sqlcompile.dialects.mysql import ModifyColumn, MySQL
from sqlcompile.dialects.render import Element, Note, RenderContext
from sqlcompile.ops.base import table_for
from sqlcompile.ops.constraint_ops import (
    CreateExcludeConstraint,
    CreateForeignKey,
    DropConstraint,
)
from sqlcompile.ops.table_ops import CreateTable
from sqlcompile.schema.convert import ensure_fk_targets, to_sa_column
from sqlcompile.schema.model import CheckModel, TableModel


class MariaDB(MySQL):
    """MariaDB 10.6+ (RENAME COLUMN from 10.5; CHECK constraints dropped by DROP CONSTRAINT)."""

    name: ClassVar[str] = "mariadb"
    title: ClassVar[str] = "MariaDB"
    # IF [NOT] EXISTS on columns, indexes and constraints: MariaDB has them
    unsupported = {CreateExcludeConstraint: {"elements": NO_EXCLUDE_CONSTRAINTS}}
    drop_check: ClassVar[str] = "CONSTRAINT"
    option_aliases: ClassVar[dict[str, str]] = {"mysql": "mariadb"}
    apply_command: ClassVar[str] = (
        'mariadb --binary-mode --default-character-set=utf8mb4 "$DATABASE" < {file}')

    def make_sa_dialect(self) -> Dialect:
        return self._configure(MariaDBDialect(paramstyle="named"))

    def _create_table(self, op: CreateTable, ctx: RenderContext) -> list[Element]:
        """MariaDB takes no CONSTRAINT name inside a column definition: a named CHECK given
        as a column's argument is stated among the table's constraints (the same CHECK)."""
        table = ddl.named_checks_beside_columns(op.table)
        return defaults.create_table(op if table is op.table else CreateTable(
            ensure_fk_targets(table), op.if_not_exists), ctx)

    renderers = {**MySQL.renderers, CreateTable: _create_table}

    check_infix: ClassVar[str] = "CONSTRAINT"  # (no table name: RENAME TABLE keeps them)

    def check_server_name(self, table: TableModel, check: CheckModel,
                          others: list[CheckModel]) -> str:
        """MariaDB names an unnamed CHECK in a column's definition after the column, and one
        among the table's constraints ``CONSTRAINT_<n>``, the lowest n not taken."""
        if check.column is not None:
            return check.column
        taken = {n.lower() for c in others for n in (c.name, c.server_name) if n}
        number = 1
        while f"constraint_{number}" in taken:
            number += 1
        return f"CONSTRAINT_{number}"

    def _taken_over(self, index: str, heir: CreateForeignKey, table: TableModel) -> str | None:
        """MariaDB gives the new key an index of its own (named as the models name it) and
        drops the one it had made for the dropped key, whatever their names (10.11)."""
        return "gets an index of its own, which replaces it"

    def _drop_unnamed_check(self, op: DropConstraint, ctx: RenderContext,
                            name: str) -> list[Element] | None:
        """A CHECK in a column's definition is no constraint DROP CONSTRAINT finds: MODIFY
        restates the column (from the model) without it."""
        found = op.found
        table = ctx.schema.table(op.table_name, op.schema) if ctx.schema is not None else None
        if not isinstance(found, CheckModel) or found.column is None or table is None:
            return None
        column = table.column(found.column)
        if column is None:
            return None
        in_key = table.primary_key is not None and column.name in table.primary_key.columns
        restated = to_sa_column(column, primary_key=in_key)
        table_for(op.table_name, restated, schema=op.schema)
        return [Note(f"the CHECK was given in column {column.name}'s definition, where "
                     "MariaDB keeps it (named after the column): MODIFY restates the column "
                     "without it"),
                ModifyColumn(sa.table(op.table_name, schema=op.schema), column.name,
                             restated)]

    #: mariadb:// reaches MariaDB only; mysql:// is decided by MySQL's server_dialect.
    shares_url_backend: ClassVar[bool] = False

    def type_key(self, type_: Any) -> str:
        """JSON is MariaDB's alias of LONGTEXT in utf8mb4_bin (with a json_valid check,
        which reflection does not show): a reflected column of that type is JSON."""
        key = super().type_key(type_)
        return "JSON" if key == "LONGTEXT CHARACTER SET UTF8MB4 COLLATE UTF8MB4_BIN" else key

    def column_catalog(self, conn: sa.Connection, tables: Sequence[str],
                       ) -> dict[tuple[str, str], tuple[str | None, str | None]]:
        """MariaDB states a default it keeps as an expression (any TEXT column's) with a quote
        escaped by a backslash (``DEFAULT 'it\\'s'``), and SQLAlchemy's reading of SHOW
        CREATE TABLE then loses that default and the comment after it. information_schema
        has both: COLUMN_DEFAULT as an SQL expression (MariaDB 10.2.7+: literals quoted,
        ``NULL`` for none), an ON UPDATE clause in EXTRA (added to the default, as
        SQLAlchemy states it), COLUMN_COMMENT empty for none."""
        if not tables:
            return {}
        query = sa.text(
            "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_DEFAULT, COLUMN_COMMENT, EXTRA "
            "FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN :tables",
        ).bindparams(sa.bindparam("tables", expanding=True))
        found: dict[tuple[str, str], tuple[str | None, str | None]] = {}
        for table, column, default, comment, extra in conn.execute(
                query, {"tables": list(tables)}):
            text = None if default is None or default.upper() == "NULL" else default
            value = _literal_value(text) if text is not None else None
            if value is not None:
                text = self.render_string(value)
            update = re.search(r"\bon update (.+)$", extra or "", re.IGNORECASE)
            if text is not None and update:
                text = f"{text} ON UPDATE {update.group(1)}"
            found[(table, column)] = (text, comment or None)
        return found


#: MariaDB's backslash escapes in a string literal; any other escaped character is itself
#: (``\\%`` and ``\\_`` keep their backslash, for LIKE).
_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a", "%": "\\%",
            "_": "\\_"}


def _literal_value(text: str) -> str | None:
    """The value of ``text`` when all of it is one MariaDB string literal (``'it\\'s'``,
    ``'it''s'``, ``'a\\\\b'``), else None."""
    if not re.fullmatch(r"'(?:[^'\\]|''|\\.)*'", text, re.DOTALL):
        return None
    return re.sub(r"''|\\(.)",
                  lambda m: "'" if m.group(0) == "''" else _ESCAPES.get(m.group(1), m.group(1)),
                  text[1:-1], flags=re.DOTALL)


@compiles(ddl.AddColumn, "mariadb")
def _mariadb_add_column(element: ddl.AddColumn, compiler: DDLCompiler, **kw: Any) -> str:
    """As MariaDB's CREATE TABLE (see MariaDB._create_table): the column's named CHECKs are
    added by the same ALTER TABLE, after the column."""
    checks = [f", ADD {compiler.process(check)}"
              for check in ddl.column_check_constraints(element.column) if check.name]
    return ddl.add_column_sql(element, compiler, named_checks=False) + "".join(checks)


MARIADB = MariaDB()
DIALECT = MARIADB
