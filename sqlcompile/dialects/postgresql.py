"""PostgreSQL: transactional DDL, `psql -v ON_ERROR_STOP=1`, every op."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import schema as sa_schema
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import DDLCompiler

from sqlcompile.dialects.base import DialectSupport, drop_column_comment_as_empty
from sqlcompile.ops.base import Op
from sqlcompile.ops.constraint_ops import CreateIndex, DropIndex
from sqlcompile.schema.model import EnumModel


class PostgreSQL(DialectSupport):
    """PostgreSQL 12+."""

    name: ClassVar[str] = "postgresql"
    sqlglot_name: ClassVar[str] = "postgres"
    title: ClassVar[str] = "PostgreSQL"
    apply_command: ClassVar[str] = 'psql -X -v ON_ERROR_STOP=1 -d "$DATABASE_URL" -f {file}'

    def make_sa_dialect(self) -> Dialect:
        dialect = postgresql.dialect(paramstyle="named")  # type: ignore[no-untyped-call]
        # Files set standard_conforming_strings = on, so backslashes in literals stay single.
        dialect._backslash_escapes = False
        return dialect

    def session_setup(self) -> list[str]:
        return [
            "SET client_encoding = 'UTF8'",
            "SET standard_conforming_strings = on",
        ]

    def unsupported_reason(self, op: Op, autocommit: bool) -> str | None:
        if isinstance(op, CreateIndex | DropIndex) and op.kw.get("postgresql_concurrently"):
            if not autocommit:
                return ("CONCURRENTLY cannot run inside a transaction block; put the op in "
                        "`with op.get_context().autocommit_block():`")
        return None

    def enum_ddl(self, enum: EnumModel) -> list[Any]:
        return [postgresql.CreateEnumType(
            postgresql.ENUM(*enum.values, name=enum.name, schema=enum.schema))]

    def raise_error(self, message_sql: str) -> str:
        # A failed cast aborts the statement and quotes the text in the error message.
        return f"CAST({message_sql} AS INTEGER)"

    def string_agg(self, column: str, separator_sql: str) -> str:
        return f"STRING_AGG({column}, {separator_sql} ORDER BY {column})"


# PostgreSQL drops a comment set to NULL or to an empty string alike; sqlglot parses only the
# second form, so it is the one emitted and every comment removal is validated.
compiles(sa_schema.DropColumnComment, "postgresql")(drop_column_comment_as_empty)


@compiles(sa_schema.DropTableComment, "postgresql")
def _drop_table_comment(element: Any, compiler: DDLCompiler, **kw: Any) -> str:
    return f"COMMENT ON TABLE {compiler.preparer.format_table(element.element)} IS ''"


DIALECT = PostgreSQL()
