"""PostgreSQL: transactional DDL, `psql -v ON_ERROR_STOP=1`, every op."""

from __future__ import annotations

from typing import Any, ClassVar

import sqlalchemy as sa
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

    def named_enum(self, type_: Any) -> EnumModel | None:
        if isinstance(type_, sa.Enum) and type_.native_enum and type_.name:
            return EnumModel(type_.name, type_.schema, tuple(type_.enums))
        return None

    def enum_value_changes(self, old: EnumModel, new: EnumModel, elsewhere_up: list[str],
                           elsewhere_down: list[str]) -> tuple[list[str], list[str], str | None]:
        # ADD VALUE keeps the order the models give; PostgreSQL cannot remove a value.
        qualified = f"{old.schema}.{old.name}" if old.schema else old.name
        up: list[str] = []
        for i, value in enumerate(new.values):
            if value in old.values:
                continue
            after = new.values[i - 1] if i else None
            before = next((v for v in new.values[i + 1:] if v in old.values), None)
            where = (f" AFTER {self.render_string(after)}" if after is not None
                     else f" BEFORE {self.render_string(before)}" if before is not None else "")
            sql = f"ALTER TYPE {qualified} ADD VALUE {self.render_string(value)}{where}"
            up.append(f"op.execute({sql!r})")
        notes = []
        removed = [v for v in old.values if v not in new.values]
        if removed:
            notes.append(f"PostgreSQL cannot remove values from an enum type: {qualified} keeps "
                         f"{', '.join(removed)}; write that change by hand")
        down: list[str] = []
        added = [v for v in new.values if v not in old.values]
        if added:
            text = (f"PostgreSQL cannot remove enum values: {qualified} keeps "
                    f"{', '.join(added)} after this downgrade")
            down.append(f"# {text}")
            notes.append(text)
        return (_on_postgresql(up, elsewhere_up), _on_postgresql(down, elsewhere_down),
                "; ".join(notes) or None)

    def raise_error(self, message_sql: str) -> str:
        # A failed cast aborts the statement and quotes the text in the error message.
        return f"CAST({message_sql} AS INTEGER)"

    def string_agg(self, column: str, separator_sql: str) -> str:
        return f"STRING_AGG({column}, {separator_sql} ORDER BY {column})"


def _on_postgresql(lines: list[str], elsewhere: list[str]) -> list[str]:
    """Script lines running ``lines`` on PostgreSQL and ``elsewhere`` on other dialects."""
    if not elsewhere:
        return lines
    indent = "    "
    body = [indent + line for text in lines for line in text.split("\n")]
    if all(line.lstrip().startswith("#") for line in body):
        body.append(indent + "pass")
    other = [indent + line for text in elsewhere for line in text.split("\n")]
    return ['if op.get_context().dialect.name == "postgresql":', *body, "else:", *other]


# PostgreSQL drops a comment set to NULL or to an empty string alike; sqlglot parses only the
# second form, so it is the one emitted and every comment removal is validated.
compiles(sa_schema.DropColumnComment, "postgresql")(drop_column_comment_as_empty)


@compiles(sa_schema.DropTableComment, "postgresql")
def _drop_table_comment(element: Any, compiler: DDLCompiler, **kw: Any) -> str:
    return f"COMMENT ON TABLE {compiler.preparer.format_table(element.element)} IS ''"


DIALECT = PostgreSQL()
