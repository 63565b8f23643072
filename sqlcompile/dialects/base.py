"""What every target dialect provides: SQLAlchemy dialect, framing, guard and capabilities."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import DDLCompiler, SQLCompiler

if TYPE_CHECKING:
    from sqlcompile.ops.base import Op


class DialectSupport:
    """Base of the per-dialect modules; a dialect overrides only what differs.

    Class attributes are flags read by the planner and the writer; methods return SQL text
    built with SQLAlchemy's compiler for the dialect (literals are rendered by its literal
    renderer, never by hand).
    """

    name: ClassVar[str]
    #: sqlglot's name for the dialect, used by validation.
    sqlglot_name: ClassVar[str]
    #: DDL can be rolled back, so guard + DDL + version update form one transaction.
    transactional_ddl: ClassVar[bool] = True
    #: Comments and tables can carry comments (COMMENT ON ...).
    supports_comments: ClassVar[bool] = True
    #: Command line a DBA uses to apply a file; ``{file}`` is replaced by the file name.
    apply_command: ClassVar[str]
    #: Human name used in messages.
    title: ClassVar[str]

    @cached_property
    def sa_dialect(self) -> Dialect:
        """The SQLAlchemy dialect the compilers run with (named paramstyle, offline)."""
        return self.make_sa_dialect()

    def make_sa_dialect(self) -> Dialect:
        raise NotImplementedError

    @cached_property
    def _literal_compiler(self) -> SQLCompiler:
        compiler: SQLCompiler = self.sa_dialect.statement_compiler(self.sa_dialect, None)
        return compiler

    def render_string(self, value: str) -> str:
        """An SQL string literal for ``value``, as the dialect's compiler renders it."""
        cached = self._literals.get(value)
        if cached is None:
            cached = self._literal_compiler.render_literal_value(value, sa.String())
            self._literals[value] = cached
        return cached

    @cached_property
    def _literals(self) -> dict[str, str]:
        return {}

    @cached_property
    def _ddl_compiler(self) -> DDLCompiler:
        return self.sa_dialect.ddl_compiler(self.sa_dialect, None)  # type: ignore[arg-type]

    def default_sql(self, column: sa.Column[Any]) -> str:
        """The column's server default as this dialect's DDL renders it."""
        return str(self._ddl_compiler.get_column_default_string(column))

    def quote_table(self, table: sa.Table) -> str:
        """The table name, schema-qualified and quoted as the dialect requires."""
        return self.sa_dialect.identifier_preparer.format_table(table)

    def project_url(self, url: sa.URL, root: Path) -> sa.URL:
        """The dev-loop URL with any project-relative part resolved against ``root``."""
        return url

    def session_setup(self) -> list[str]:
        """Statements at the top of every file that make literals read back exactly."""
        return []

    def begin(self) -> str:
        return "BEGIN"

    def commit(self) -> str:
        return "COMMIT"

    def raise_error(self, message_sql: str) -> str:
        """An expression that aborts the statement with ``message_sql`` in the error text."""
        raise NotImplementedError

    def string_agg(self, column: str, separator_sql: str) -> str:
        """Aggregate expression joining ``column`` values with a separator."""
        raise NotImplementedError

    def guard(self, table: sa.Table, expected: Sequence[str], label: str) -> str:
        """A statement that fails unless the version table holds exactly ``expected``.

        It selects one row only when the table differs, and that row evaluates
        :meth:`raise_error` with a message naming the expected and the found revisions.
        """
        column = self.sa_dialect.identifier_preparer.quote("version_num")
        expected_text = ", ".join(expected) if expected else "no revision (empty)"
        prefix = (
            f"sqlcompile guard: {label} expects the version table to hold "
            f"[{expected_text}] but found ["
        )
        found = "COALESCE(g.found, '')"
        message = (
            f"{self.render_string(prefix)} || {found} || "
            f"{self.render_string(']; nothing was changed')}"
        )
        matched = "0"
        if expected:
            listed = ", ".join(self.render_string(rev) for rev in expected)
            matched = f"SUM(CASE WHEN {column} IN ({listed}) THEN 1 ELSE 0 END)"
        count = len(expected)
        return (
            f"SELECT {self.raise_error(message)} FROM ("
            f"SELECT COUNT(*) AS n, {matched} AS m, "
            f"{self.string_agg(column, self.render_string(', '))} AS found "
            f"FROM {self.quote_table(table)}) AS g "
            f"WHERE g.n <> {count} OR COALESCE(g.m, 0) <> {count}"
        )

    def unsupported_reason(self, op: Op, autocommit: bool) -> str | None:
        """Why this dialect cannot express ``op`` (None when it can); ``autocommit`` tells
        whether the op was recorded inside an autocommit_block()."""
        return None
