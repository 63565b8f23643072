"""PostgreSQL: transactional DDL, `psql -v ON_ERROR_STOP=1`, every op."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect

from sqlcompile.dialects.base import DialectSupport


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

    def raise_error(self, message_sql: str) -> str:
        # A failed cast aborts the statement and quotes the text in the error message.
        return f"CAST({message_sql} AS INTEGER)"

    def string_agg(self, column: str, separator_sql: str) -> str:
        return f"STRING_AGG({column}, {separator_sql} ORDER BY {column})"


DIALECT = PostgreSQL()
