"""SQLite: transactional DDL, `sqlite3 -bail`, the ops SQLite can perform in place."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect

from sqlcompile.dialects.base import DialectSupport
from sqlcompile.ops.base import Op
from sqlcompile.ops.constraint_ops import AddConstraintOp, DropConstraint
from sqlcompile.ops.table_ops import AddColumn, AlterColumn, DropColumn

# What SQLite's ALTER TABLE ADD COLUMN accepts as a default: a literal, not an expression.
_CONSTANT = re.compile(r"(?is)[-+]?\d+(\.\d+)?([eE][-+]?\d+)?|'([^']|'')*'|NULL|TRUE|FALSE")

_REBUILD = "SQLite cannot do this in place; it needs a table rebuild"


class SQLite(DialectSupport):
    """SQLite 3.35+ (DROP COLUMN); the json1 functions are used by the guard."""

    name: ClassVar[str] = "sqlite"
    sqlglot_name: ClassVar[str] = "sqlite"
    title: ClassVar[str] = "SQLite"
    supports_comments: ClassVar[bool] = False
    apply_command: ClassVar[str] = "sqlite3 -bail app.db < {file}"

    def make_sa_dialect(self) -> Dialect:
        return sqlite.dialect(paramstyle="named")

    def project_url(self, url: sa.URL, root: Path) -> sa.URL:
        """A relative database file lives beside the project's config."""
        database = url.database
        if database and database != ":memory:" and not Path(database).is_absolute():
            return url.set(database=str(root / database))
        return url

    def _constant_default(self, column: sa.Column[Any]) -> bool:
        return _CONSTANT.fullmatch(self.default_sql(column).strip()) is not None

    def raise_error(self, message_sql: str) -> str:
        # SQLite has no RAISE outside triggers; an invalid JSON path aborts the statement
        # and its error message quotes the path, which carries our message.
        return f"json_extract('{{}}', {message_sql})"

    def string_agg(self, column: str, separator_sql: str) -> str:
        return f"group_concat({column}, {separator_sql})"

    def unsupported_reason(self, op: Op, autocommit: bool) -> str | None:
        if isinstance(op, AlterColumn):
            changes = [c for c in op.changes() if c not in ("name", "comment")]
            if changes:
                return f"changing a column's {', '.join(changes)}: {_REBUILD}"
        if isinstance(op, AddConstraintOp | DropConstraint):
            return f"adding or dropping a constraint on an existing table: {_REBUILD}"
        if isinstance(op, AddColumn | DropColumn) and (
            getattr(op, "if_not_exists", None) or getattr(op, "if_exists", None)
        ):
            return "SQLite has no ADD COLUMN IF NOT EXISTS / DROP COLUMN IF EXISTS"
        if isinstance(op, AddColumn):
            column = op.column
            default = column.server_default
            if default is not None and not self._constant_default(column):
                return ("SQLite cannot ADD COLUMN with a non-constant default "
                        f"({self.default_sql(column)}); it needs a table rebuild")
            if column.primary_key or column.unique or column.foreign_keys:
                return f"adding a key or unique column: {_REBUILD}"
            if not column.nullable and column.server_default is None:
                return ("adding a NOT NULL column needs a server_default on SQLite "
                        "(existing rows need a value)")
        return None


DIALECT = SQLite()


