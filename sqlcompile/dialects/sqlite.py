"""SQLite: transactional DDL, `sqlite3 -bail`, the ops SQLite can perform in place."""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import Dialect

from sqlcompile.dialects import sqlite_rebuild as rebuild
from sqlcompile.dialects.base import NO_EXCLUDE_CONSTRAINTS, DialectSupport, FrameSQL
from sqlcompile.ops.constraint_ops import AddConstraintOp, CreateExcludeConstraint, DropConstraint
from sqlcompile.ops.table_ops import AddColumn, AlterColumn, CreateTable, DropColumn

if TYPE_CHECKING:
    from sqlcompile.ops.base import Recorded


#: Characters the sqlite3 shell does not read back from a literal as written: it stops reading a
#: line at a NUL and drops a CR before a LF.
_UNREADABLE = re.compile("[\x00\r]+")


class _Compiler(SQLiteCompiler):
    """SQLite's compiler, with NUL and CR in string literals written as ``char(...)``.

    ``'l1' || char(13) || '\nl2'`` is the same text as the value, and holds no byte the shell
    could change; it is parenthesised, so it stands wherever the literal stood (DEFAULT takes
    an expression in parentheses).
    """

    def render_literal_value(self, value: Any, type_: Any) -> str:
        if not isinstance(value, str) or _UNREADABLE.search(value) is None:
            return str(super().render_literal_value(value, type_))
        parts: list[str] = []
        start = 0
        for match in _UNREADABLE.finditer(value):
            if match.start() > start:
                parts.append(str(super().render_literal_value(value[start:match.start()],
                                                              type_)))
            codes = ", ".join(str(ord(char)) for char in match.group(0))
            parts.append(f"char({codes})")
            start = match.end()
        if start < len(value):
            parts.append(str(super().render_literal_value(value[start:], type_)))
        return f"({' || '.join(parts)})"


class SQLite(DialectSupport):
    """SQLite 3.35+ (DROP COLUMN); the json1 functions are used by the guard."""

    name: ClassVar[str] = "sqlite"
    sqlglot_name: ClassVar[str] = "sqlite"
    title: ClassVar[str] = "SQLite"
    default_schema: ClassVar[str | None] = "main"
    supports_comments: ClassVar[bool] = False
    apply_command: ClassVar[str] = "sqlite3 -bail app.db < {file}"
    identifier_cr_lost: ClassVar[str | None] = (
        "the sqlite3 shell drops a CR before a line feed, and a name has no escapes")

    def make_sa_dialect(self) -> Dialect:
        dialect = sqlite.dialect(paramstyle="named")
        dialect.statement_compiler = _Compiler
        return dialect

    def project_url(self, url: sa.URL, root: Path) -> sa.URL:
        """A relative database file lives beside the project's config."""
        database = url.database
        if database and database != ":memory:" and not Path(database).is_absolute():
            return url.set(database=str(root / database))
        return url

    def reflection_url(self, url: sa.URL) -> sa.URL:
        """The file opened read-only (an SQLite URI with mode=ro): a missing file is an error,
        not a new empty database."""
        database = url.database
        if not database or database == ":memory:" or url.query.get("uri"):
            return url
        return url.set(database=f"file:{quote(database)}",
                       query={**url.query, "mode": "ro", "uri": "true"})

    #: The lock (EXCLUSIVE locking mode) lasts as long as the connection.
    dev_loop_locks: ClassVar[bool] = False

    directive_prefix: ClassVar[str | None] = "."

    def client_setup(self, lock_timeout: int) -> list[str]:
        return [".bail on", f".timeout {lock_timeout * 1000}"]

    def lock(self, table: sa.Table, timeout: int) -> list[tuple[str, str]]:
        return [("PRAGMA locking_mode = EXCLUSIVE",
                 "migration lock: the first BEGIN EXCLUSIVE takes the database's write lock "
                 "and this mode keeps it, across COMMITs, until the client exits; another apply "
                 f"waits at most {timeout} s (.timeout) for it, then stops, having changed "
                 "nothing")]

    def begin(self) -> str:
        return "BEGIN EXCLUSIVE"

    def raise_error(self, message_sql: str) -> str:
        # SQLite has no RAISE outside triggers; an invalid JSON path aborts the statement
        # and its error message quotes the path, which carries our message.
        return f"json_extract('{{}}', {message_sql})"

    def string_agg(self, column: str, separator_sql: str) -> str:
        return f"group_concat({column}, {separator_sql})"

    _no_if_exists = "SQLite has no ADD COLUMN IF NOT EXISTS / DROP COLUMN IF EXISTS"
    unsupported = {
        AddColumn: {"if_not_exists": _no_if_exists},
        DropColumn: {"if_exists": _no_if_exists},
        CreateExcludeConstraint: {"elements": NO_EXCLUDE_CONSTRAINTS},
    }

    def group_ops(self, recorded: list[Recorded]) -> list[Recorded]:
        """The ops of one batch_alter_table block become one op (one rebuild if needed), and
        so do the ops of a migration on one table that each may need a rebuild."""
        return rebuild.merge_rebuilds(rebuild.group_batches(recorded), self)

    decided_by_model = {
        DropConstraint: {"if_exists": "the table is rebuilt from the schema model, which "
                                      "decides whether the constraint is there"},
    }

    # A table rebuild for what SQLite cannot change in place; CHECKs for Enum columns.
    renderers = {
        CreateTable: lambda self, op, ctx: rebuild.create_table_elements(op, ctx),
        **{kind: lambda self, op, ctx: rebuild.render_in_place_or_rebuilt(op, ctx)
           for kind in (AlterColumn, AddColumn, DropColumn, AddConstraintOp, DropConstraint)},
        rebuild.TableChanges: lambda self, op, ctx: rebuild.render_table_changes(op, ctx),
    }

    def frame_sql(self, framing: Collection[str]) -> FrameSQL:
        if rebuild.FOREIGN_KEYS_OFF not in framing:
            return FrameSQL()
        found = self.render_string("sqlcompile: foreign key check failed after a table rebuild: "
                                   "a row of table ")
        tail = self.render_string(" references a missing parent; nothing was changed")
        check = (f"SELECT {self.raise_error(f'{found} || fk.{chr(34)}table{chr(34)} || {tail}')}"
                 " FROM pragma_foreign_key_check() AS fk LIMIT 1")
        return FrameSQL(
            before_begin=(("PRAGMA foreign_keys = OFF",
                           "table rebuild: foreign keys off, outside the transaction (the pragma "
                           "does nothing inside one), so that DROP TABLE deletes and cascades "
                           "nothing"),),
            before_commit=((check, "foreign key check: abort unless every foreign key of "
                                   "the database holds"),),
            after_commit=(("PRAGMA foreign_keys = ON", "foreign keys back on"),),
        )


DIALECT = SQLite()


