"""Python source for `op.*` calls: types, columns, constraints and indexes as a migration script
states them, with the imports they need."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from sqlcompile.schema.model import (
    CheckModel,
    ColumnModel,
    ForeignKeyModel,
    IndexModel,
    KeyModel,
    TableModel,
)

#: Width the script's lines aim for; calls longer than this get one argument per line.
WIDTH = 99
INDENT = "    "


@dataclass
class Imports:
    """The imports a script needs beyond `op` and `sqlalchemy as sa`."""

    lines: set[str] = field(default_factory=set)

    def sorted(self) -> list[str]:
        return sorted(self.lines)


def q(text: str) -> str:
    """A Python string literal, double-quoted where that needs no escapes."""
    literal = repr(text)
    if literal.startswith("'") and '"' not in text and "\\" not in literal:
        return '"' + literal[1:-1].replace("\\'", "'") + '"'
    return literal


def call(name: str, args: list[str], depth: int = 1, suffix: str = "") -> str:
    """``name(arg, ...)`` on one line when it fits at indentation ``depth`` (1: a statement
    of `upgrade()`), else one argument per line (arguments are formatted for ``depth + 1``)."""
    one = f"{name}({', '.join(args)}){suffix}"
    if len(one) + len(INDENT) * depth <= WIDTH and "\n" not in one:
        return one
    lines = [f"{name}("]
    for arg in args:
        arg_lines = arg.split("\n")
        lines.append(f"{INDENT}{arg_lines[0]}")
        lines.extend(f"{INDENT}{rest}" for rest in arg_lines[1:])
        lines[-1] += ","
    lines.append(f"){suffix}")
    return "\n".join(lines)


#: the dialects an item of the models is restricted to (``ddl_if(dialect=...)``), or None
Restriction = tuple[str, ...] | None


def only_on(dialects: Restriction, statement: str) -> str:
    """``statement`` run only on ``dialects`` (as the models' ``ddl_if`` says), or as is."""
    if not dialects:
        return statement
    body = "\n".join(f"{INDENT}{line}" if line else "" for line in statement.split("\n"))
    return f"if op.get_context().dialect.name in {_tuple(dialects)}:\n{body}"


def _tuple(names: tuple[str, ...]) -> str:
    return f"({q(names[0])},)" if len(names) == 1 else f"({', '.join(map(q, names))})"


def ddl_if(dialects: Restriction) -> str:
    """The ``.ddl_if(...)`` suffix of a constraint created only on ``dialects``."""
    if not dialects:
        return ""
    return f".ddl_if(dialect={_tuple(dialects)})"


def _module_prefix(cls: type, imports: Imports) -> str:
    module = cls.__module__
    if module.startswith("sqlalchemy.dialects."):
        dialect = module.split(".")[2]
        imports.lines.add(f"from sqlalchemy.dialects import {dialect}")
        return f"{dialect}."
    if module.startswith("sqlalchemy."):
        return "sa."
    imports.lines.add(f"import {module}")
    return f"{module}."


def py_type(type_: Any, imports: Imports) -> str:
    """A type as Python source (``sa.String(length=40)``, ``postgresql.JSONB()``, ...)."""
    prefix = _module_prefix(type(type_), imports)
    if isinstance(type_, sa.ARRAY):
        args = [py_type(type_.item_type, imports)]
        if type_.dimensions:
            args.append(f"dimensions={type_.dimensions}")
        return f"{prefix}{type(type_).__name__}({', '.join(args)})"
    if isinstance(type_, sa.Enum):
        args = [q(str(v)) for v in type_.enums]
        for attr in ("name", "schema"):
            value = getattr(type_, attr)
            if value:
                args.append(f"{attr}={q(value)}")
        if not type_.native_enum:
            args.append("native_enum=False")
        if type_.create_constraint:
            args.append("create_constraint=True")
        return f"{prefix}{type(type_).__name__}({', '.join(args)})"
    text = repr(type_)
    # Nested reprs of SQLAlchemy types (a variant's base, say) name classes of `sa`.
    return prefix + re.sub(r"(?<=\()([A-Z][A-Za-z]*)\(", r"sa.\1(", text) if "(" in text \
        else prefix + text


def py_default(value: Any) -> str:
    """A server default as the script passes it: a string, ``sa.text(...)`` or an expression."""
    if isinstance(value, str):
        return f"sa.text({q(value)})"
    if isinstance(value, sa.DefaultClause):
        value = value.arg
    if isinstance(value, str):
        return q(value)
    if isinstance(value, sa.TextClause):
        return f"sa.text({q(value.text)})"
    if isinstance(value, sa.sql.elements.True_):
        return "sa.true()"
    if isinstance(value, sa.sql.elements.False_):
        return "sa.false()"
    if isinstance(value, sa.sql.functions.FunctionElement) and not list(value.clauses):
        return f"sa.func.{value.name}()"
    return f"sa.text({q(str(value.compile(compile_kwargs={'literal_binds': True})))})"


def name_arg(name: str | None) -> list[str]:
    """``name=op.f("...")``: the name as given, not run through a naming convention again."""
    return [f"name=op.f({q(name)})"] if name else []


def py_column(column: ColumnModel, imports: Imports, origin: sa.Column[Any] | None = None,
              ) -> str:
    """``sa.Column(...)`` restating a column (server default as the models wrote it when
    ``origin``, the model's Column, is given)."""
    args = [q(column.name), py_type(column.type, imports)]
    if column.identity is not None:
        args.append(py_identity(column.identity))
    if column.computed is not None:
        computed = column.computed
        extra = f", persisted={computed.persisted}" if computed.persisted is not None else ""
        args.append(f"sa.Computed({q(str(computed.sqltext))}{extra})")
    if column.autoincrement is not True and column.autoincrement != "auto":
        args.append(f"autoincrement={column.autoincrement!r}")
    args.append(f"nullable={column.nullable}")
    default = server_default_arg(column, origin)
    if default is not None:
        args.append(f"server_default={default}")
    if column.comment is not None:
        args.append(f"comment={q(column.comment)}")
    args.extend(f"{key}={value!r}" for key, value in column.options)
    return call("sa.Column", args, depth=2)


def server_default_arg(column: ColumnModel, origin: sa.Column[Any] | None) -> str | None:
    if column.default is None:
        return None
    if origin is not None and origin.server_default is not None:
        return py_default(origin.server_default)
    return py_default(column.default)


def py_identity(identity: Any) -> str:
    args = []
    for attr in ("always", "on_null", "start", "increment", "minvalue", "maxvalue", "cycle",
                 "cache", "order"):
        value = getattr(identity, attr, None)
        if value is not None and not (attr == "always" and value is False):
            args.append(f"{attr}={value!r}")
    return f"sa.Identity({', '.join(args)})"


def _options(options: tuple[tuple[str, Any], ...]) -> list[str]:
    out = []
    for key, value in options:
        if key.endswith("_where") and isinstance(value, str):
            out.append(f"{key}=sa.text({q(value)})")
        else:
            out.append(f"{key}={value!r}")
    return out


def _target(fk: ForeignKeyModel, column: str) -> str:
    prefix = f"{fk.ref_schema}.{fk.ref_table}" if fk.ref_schema else fk.ref_table
    return q(f"{prefix}.{column}")


def _fk_extras(fk: ForeignKeyModel) -> list[str]:
    args = []
    for attr in ("ondelete", "onupdate", "initially", "match"):
        value = getattr(fk, attr)
        if value:
            args.append(f"{attr}={q(value)}")
    if fk.deferrable is not None:
        args.append(f"deferrable={fk.deferrable}")
    return args + _options(fk.options)


def py_primary_key(key: KeyModel, only: Restriction = None) -> str:
    return call("sa.PrimaryKeyConstraint", [*map(q, key.columns), *name_arg(key.name),
                                            *_options(key.options)], 2, ddl_if(only))


def py_foreign_key(fk: ForeignKeyModel, only: Restriction = None) -> str:
    args = [f"[{', '.join(map(q, fk.columns))}]",
            f"[{', '.join(_target(fk, c) for c in fk.ref_columns)}]"]
    return call("sa.ForeignKeyConstraint", [*args, *name_arg(fk.name), *_fk_extras(fk)], 2,
                ddl_if(only))


def py_unique(key: KeyModel, only: Restriction = None) -> str:
    return call("sa.UniqueConstraint", [*map(q, key.columns), *name_arg(key.name),
                                        *_options(key.options)], 2, ddl_if(only))


def py_check(check: CheckModel, only: Restriction = None) -> str:
    return call("sa.CheckConstraint", [q(check.sqltext), *name_arg(check.name),
                                       *_options(check.options)], 2, ddl_if(only))


def _table_args(table: TableModel) -> list[str]:
    return [f"schema={q(table.schema)}"] if table.schema else []


def create_table(table: TableModel, imports: Imports, origin: sa.Table | None,
                 foreign_keys: tuple[ForeignKeyModel, ...],
                 only: Callable[[Any], Restriction] = lambda item: None) -> str:
    """``op.create_table(...)`` with columns, keys, the given foreign keys, checks, comment
    (``only`` tells which dialects a key is restricted to)."""
    args = [q(table.name)]
    for column in table.columns:
        args.append(py_column(column, imports, origin.c.get(column.name) if origin is not None
                              else None))
    if table.primary_key is not None:
        args.append(py_primary_key(table.primary_key, only(table.primary_key)))
    args.extend(py_foreign_key(fk, only(fk)) for fk in foreign_keys)
    args.extend(py_unique(u, only(u)) for u in table.uniques)
    args.extend(py_check(c, only(c)) for c in table.checks)
    args.extend(_table_args(table))
    if table.comment is not None:
        args.append(f"comment={q(table.comment)}")
    args.extend(f"{key}={value!r}" for key, value in table.options)
    return call("op.create_table", args)


def drop_table(table: TableModel) -> str:
    return call("op.drop_table", [q(table.name), *_table_args(table)])


def create_index(table: TableModel, index: IndexModel, only: Restriction = None) -> str:
    parts = ", ".join(f"sa.text({q(p.text)})" if p.expression else q(p.text)
                      for p in index.parts)
    args = [f"op.f({q(index.name)})" if index.name else "None",
            q(table.name), f"[{parts}]", f"unique={index.unique}", *_table_args(table),
            *_options(index.options)]
    return only_on(only, call("op.create_index", args, 2 if only else 1))


def drop_index(table: TableModel, index: IndexModel, only: Restriction = None) -> str:
    return only_on(only, call("op.drop_index", [f"op.f({q(index.name or '')})",
                                                f"table_name={q(table.name)}",
                                                *_table_args(table)], 2 if only else 1))


def add_column(table: TableModel, column: ColumnModel, imports: Imports,
               origin: sa.Column[Any] | None = None) -> str:
    return call("op.add_column", [q(table.name), py_column(column, imports, origin),
                                  *_table_args(table)])


def drop_column(table: TableModel, column: ColumnModel) -> str:
    return call("op.drop_column", [q(table.name), q(column.name), *_table_args(table)])


def create_constraint(table: TableModel, kind: str, item: Any, only: Restriction = None) -> str:
    return only_on(only, _create_constraint(table, kind, item, 2 if only else 1))


def _create_constraint(table: TableModel, kind: str, item: Any, depth: int) -> str:
    """``op.create_primary_key`` / ``create_unique_constraint`` / ``create_check_constraint``
    / ``create_foreign_key`` for a key of ``table``."""
    name = f"op.f({q(item.name)})" if item.name else "None"
    where = _table_args(table)
    if kind == "primary":
        return call("op.create_primary_key",
                    [name, q(table.name), f"[{', '.join(map(q, item.columns))}]", *where], depth)
    if kind == "unique":
        return call("op.create_unique_constraint",
                    [name, q(table.name), f"[{', '.join(map(q, item.columns))}]", *where,
                     *_options(item.options)], depth)
    if kind == "check":
        return call("op.create_check_constraint",
                    [name, q(table.name), q(item.sqltext), *where, *_options(item.options)],
                    depth)
    fk: ForeignKeyModel = item
    args = [name, q(table.name), q(fk.ref_table), f"[{', '.join(map(q, fk.columns))}]",
            f"[{', '.join(map(q, fk.ref_columns))}]"]
    if table.schema:
        args.append(f"source_schema={q(table.schema)}")
    if fk.ref_schema:
        args.append(f"referent_schema={q(fk.ref_schema)}")
    return call("op.create_foreign_key", [*args, *_fk_extras(fk)], depth)


def drop_constraint(table: TableModel, kind: str, name: str, only: Restriction = None) -> str:
    return only_on(only, call("op.drop_constraint", [f"op.f({q(name)})", q(table.name),
                                                     f"type_={q(kind)}", *_table_args(table)],
                              2 if only else 1))
