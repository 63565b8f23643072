"""Between the schema model and SQLAlchemy objects.

``*_from_sa`` read what an op carries (a Table, a Column, a constraint) into the model, with SQL
fragments rendered for the dialect; ``to_sa_table`` / ``to_sa_column`` build SQLAlchemy objects
back from the model, for DDL that restates a definition (MySQL's MODIFY, SQLite's rebuilds,
`sqlcompile schema`).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.sql.base import SchemaEventTarget, _NoneName

from sqlcompile.schema.model import (
    CheckModel,
    ColumnModel,
    ForeignKeyModel,
    IndexModel,
    IndexPart,
    KeyModel,
    TableModel,
    _options,
)

if TYPE_CHECKING:
    from sqlcompile.dialects.base import DialectSupport


def sql_text(element: Any, dialect: DialectSupport) -> str:
    """An expression's SQL for the dialect, values inlined (text is kept as written)."""
    if isinstance(element, str):
        return element
    if isinstance(element, sa.TextClause):
        return element.text
    compiled = element.compile(dialect=dialect.sa_dialect,
                               compile_kwargs={"literal_binds": True, "include_table": False})
    return str(compiled)


def default_text(column: sa.Column[Any], dialect: DialectSupport) -> str | None:
    """The column's server default as the dialect's DDL renders it (None for no default)."""
    if column.server_default is None or not hasattr(column.server_default, "arg"):
        return None
    return dialect.default_sql(column)


def _fk_target(fk: sa.ForeignKey) -> tuple[str | None, str, str]:
    parts = fk.target_fullname.split(".")
    return (".".join(parts[:-2]) or None, parts[-2], parts[-1])


def column_from_sa(column: sa.Column[Any], dialect: DialectSupport) -> ColumnModel:
    return ColumnModel(
        name=column.name,
        type=column.type,
        nullable=bool(column.nullable),
        default=default_text(column, dialect),
        default_name=getattr(column.server_default, "name", None),
        comment=column.comment,
        autoincrement=column.autoincrement,
        identity=column.identity,
        computed=column.computed,
        options=_options(dict(column.dialect_kwargs)),
    )


def foreign_key_from_sa(constraint: sa.ForeignKeyConstraint) -> ForeignKeyModel:
    targets = [_fk_target(fk) for fk in constraint.elements]
    ref_schema, ref_table, _ = targets[0]
    return ForeignKeyModel(
        name=constraint_name(constraint.name),
        columns=tuple(constraint.column_keys),
        ref_schema=ref_schema,
        ref_table=ref_table,
        ref_columns=tuple(t[2] for t in targets),
        ondelete=constraint.ondelete,
        onupdate=constraint.onupdate,
        deferrable=constraint.deferrable,
        initially=constraint.initially,
        match=constraint.match,
        options=_options(dict(constraint.dialect_kwargs)),
    )


def constraint_name(name: Any) -> str | None:
    """A constraint name as a plain string (naming-convention markers resolved by then)."""
    if name is None or isinstance(name, _NoneName):
        return None
    return str(name)


def check_from_sa(constraint: sa.CheckConstraint, dialect: DialectSupport) -> CheckModel:
    return CheckModel(constraint_name(constraint.name), sql_text(constraint.sqltext, dialect),
                      _options(dict(constraint.dialect_kwargs)))


def index_from_sa(index: sa.Index, dialect: DialectSupport) -> IndexModel:
    parts = []
    for expr in index.expressions:
        if isinstance(expr, sa.Column):
            parts.append(IndexPart(expr.name))
        elif isinstance(expr, str):
            parts.append(IndexPart(expr))
        else:
            parts.append(IndexPart(sql_text(expr, dialect), expression=True))
    options = {
        key: (sql_text(value, dialect) if key.endswith("_where") and value is not None else value)
        for key, value in index.dialect_kwargs.items()
        if not key.endswith("_concurrently")  # how it is built, not what it is
    }
    return IndexModel(constraint_name(index.name), tuple(parts), bool(index.unique),
                      _options(options))


def ddl_dialects(item: Any) -> tuple[str, ...]:
    """The dialects a constraint or index is restricted to by ``ddl_if(dialect=...)``
    (empty: not restricted by dialect)."""
    ddl_if = getattr(item, "_ddl_if", None)
    if ddl_if is None or ddl_if.dialect is None:
        return ()
    return (ddl_if.dialect,) if isinstance(ddl_if.dialect, str) else tuple(ddl_if.dialect)


def created_on(item: Any, dialect: DialectSupport) -> bool:
    """Whether a constraint or index is created on ``dialect`` (``ddl_if`` conditions other
    than the dialect count as met)."""
    names = ddl_dialects(item)
    return not names or dialect.sa_dialect.name in names or dialect.name in names


def made_by_server(constraint: Any, dialect: DialectSupport) -> bool:
    """Whether ``dialect`` creates ``constraint`` by its create rule: a type's own CHECK
    (Enum / Boolean with create_constraint=True) only where the type is not native, as
    SQLAlchemy's CREATE TABLE and Alembic's add_constraint decide; any other, always."""
    rule = getattr(constraint, "_create_rule", None)
    if rule is None or not getattr(constraint, "_type_bound", False):
        return True
    if getattr(rule, "__name__", "") == "_create_rule_disable":
        return True  # an ALTER TABLE ... ADD CONSTRAINT element made it (SQLAlchemy's mark)
    return bool(rule(SimpleNamespace(dialect=dialect.sa_dialect)))


def type_checks(table_name: str, column_name: str, type_: Any, dialect: DialectSupport,
                schema: str | None = None) -> list[sa.CheckConstraint]:
    """The CHECK constraints ``type_`` makes on column ``column_name`` of table
    ``table_name`` where ``dialect`` creates them (see :func:`made_by_server`), by name then
    condition; none for a type that makes none."""
    if type_ is None:
        return []
    type_ = sa.types.to_instance(type_)
    if not isinstance(type_, SchemaEventTarget):  # (only these can make constraints)
        return []
    column: sa.Column[Any] = sa.Column(column_name, type_)
    table = sa.Table(table_name, sa.MetaData(), column, schema=schema)
    found = [c for c in table.constraints
             if isinstance(c, sa.CheckConstraint) and made_by_server(c, dialect)]
    return sorted(found, key=lambda c: (str(constraint_name(c.name)),
                                        sql_text(c.sqltext, dialect)))


def table_from_sa(table: sa.Table, dialect: DialectSupport,
                  include: Callable[[Any], bool] | None = None) -> TableModel:
    """The model of a Table as create_table defines it (with ``include``, only the
    constraints and indexes it accepts; a type's CHECK only where the dialect makes it)."""
    pk = table.primary_key
    primary = (KeyModel(constraint_name(pk.name), tuple(c.name for c in pk.columns))
               if pk is not None and len(pk.columns) else None)
    # Constraints given as Column arguments stay on the column (CREATE TABLE renders them in
    # the column's definition), not in table.constraints.
    found = {*table.constraints, *(c for col in table.columns for c in col.constraints)}
    found = {c for c in found if made_by_server(c, dialect)}
    if include is not None:
        found = {c for c in found if include(c)}
    constraints = sorted(found, key=lambda c: (type(c).__name__, str(c.name)))
    # By name, then by definition: two unnamed constraints (or two indexes of one name, each
    # for other dialects) keep one order whatever the order of the sets they come from.
    uniques = _sorted(
        KeyModel(constraint_name(c.name), tuple(col.name for col in c.columns),
                 _options(dict(c.dialect_kwargs)))
        for c in constraints if isinstance(c, sa.UniqueConstraint)
    )
    on_column = {id(c): col.name for col in table.columns for c in col.constraints}
    checks = _sorted(replace(check_from_sa(c, dialect), column=on_column.get(id(c)))
                     for c in constraints if isinstance(c, sa.CheckConstraint))
    fks = tuple(foreign_key_from_sa(c) for c in sorted(
        table.foreign_key_constraints, key=lambda c: (str(c.name), tuple(c.column_keys)))
        if include is None or include(c))
    indexes = _sorted(index_from_sa(ix, dialect) for ix in table.indexes
                      if include is None or include(ix))
    return TableModel(
        name=table.name,
        schema=table.schema,
        columns=tuple(column_from_sa(c, dialect) for c in table.columns),
        primary_key=primary,
        foreign_keys=fks,
        uniques=uniques,
        checks=checks,
        indexes=indexes,
        comment=table.comment,
        options=_options(dict(table.dialect_kwargs)),
    )


def _sorted(items: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(sorted(items, key=lambda item: (str(item.name), repr(item))))


def _plain_type(type_: Any) -> Any:
    """The type without the CHECK constraint it would add: the model states checks itself."""
    if isinstance(type_, sa.types.SchemaType) and getattr(type_, "create_constraint", False):
        type_ = copy.copy(type_)
        type_.create_constraint = False
    return type_


#: A colon that text() would read as the start of a bound parameter, or as its escape (`\\:`).
_COLON = re.compile(r"(?<![:\w]):(?=[\w$])")


def sql_fragment(text: str) -> sa.TextClause:
    """SQL text the model keeps (a default, a condition, an index expression), as a text()
    construct that renders it as it is: its colons escaped, so `:name` inside a literal is
    not taken for a bound parameter (which would render as a placeholder, or NULL)."""
    return sa.text(_COLON.sub(r"\\:", text))


def to_sa_column(column: ColumnModel, *, primary_key: bool = False) -> sa.Column[Any]:
    """An SQLAlchemy Column restating the model's column."""
    default: Any = None
    if column.default is not None:
        default = sa.DefaultClause(sql_fragment(column.default))
        if column.default_name:
            default.name = column.default_name
    items: list[Any] = []
    if column.identity is not None:
        items.append(copy.copy(column.identity))
    if column.computed is not None:
        items.append(copy.copy(column.computed))
    return sa.Column(
        column.name,
        _plain_type(column.type),
        *items,
        nullable=column.nullable,
        server_default=default,
        comment=column.comment,
        autoincrement=column.autoincrement,  # type: ignore[arg-type]
        primary_key=primary_key,
        **dict(column.options),
    )


def to_sa_table(table: TableModel, metadata: sa.MetaData | None = None, *,
                name: str | None = None, indexes: bool = True,
                fk_targets: bool = True) -> sa.Table:
    """An SQLAlchemy Table restating the model's table (``name`` overrides its name).

    With ``fk_targets``, foreign key targets get stand-in tables in the same MetaData unless
    already there (without, the caller adds every table first).
    """

    metadata = metadata if metadata is not None else sa.MetaData()
    pk_columns = set(table.primary_key.columns) if table.primary_key else set()
    items: list[Any] = [to_sa_column(c, primary_key=c.name in pk_columns) for c in table.columns]
    if table.primary_key is not None:
        items.append(sa.PrimaryKeyConstraint(*table.primary_key.columns,
                                             name=table.primary_key.name,
                                             **dict(table.primary_key.options)))
    for fk in table.foreign_keys:
        prefix = f"{fk.ref_schema}.{fk.ref_table}" if fk.ref_schema else fk.ref_table
        items.append(sa.ForeignKeyConstraint(
            list(fk.columns), [f"{prefix}.{c}" for c in fk.ref_columns], name=fk.name,
            ondelete=fk.ondelete, onupdate=fk.onupdate, deferrable=fk.deferrable,
            initially=fk.initially, match=fk.match, **dict(fk.options)))
    for unique in table.uniques:
        items.append(sa.UniqueConstraint(*unique.columns, name=unique.name,
                                         **dict(unique.options)))
    for check in table.checks:
        items.append(sa.CheckConstraint(sql_fragment(check.sqltext), name=check.name,
                                        **dict(check.options)))
    result = sa.Table(name or table.name, metadata, *items, schema=table.schema,
                      comment=table.comment, **dict(table.options))
    if indexes:
        for index in table.indexes:
            to_sa_index(index, result)
    return ensure_fk_targets(result) if fk_targets else result


def to_sa_index(index: IndexModel, table: sa.Table) -> sa.Index:
    """An SQLAlchemy Index on ``table`` restating the model's index."""
    exprs = [sql_fragment(p.text) if p.expression else _indexed(table, p.text)
             for p in index.parts]
    options: dict[str, Any] = {
        key: (sql_fragment(value) if key.endswith("_where") and isinstance(value, str)
              else [_indexed(table, c) if isinstance(c, str) else c
                    for c in ([value] if isinstance(value, str) else value)]
              if key.endswith("_include") and value is not None
              else value)
        for key, value in index.options
    }
    result = sa.Index(index.name, *exprs, unique=index.unique, **options)
    if result.table is None:
        result._set_parent(table)
    return result


def _indexed(table: sa.Table, name: str) -> Any:
    """The column ``name`` of ``table``; a column the table lacks (an incomplete model keeps
    an index on a column it never saw) stands as the bare name, as the script gave it."""
    column = table.c.get(name)
    return column if column is not None else sa.column(name)


def ensure_fk_targets(table: sa.Table) -> sa.Table:
    """Give every foreign key of ``table`` a stand-in referenced table in the same MetaData.

    Scripts name FK targets as strings ("authors.id"); the referenced table is not part of the
    op, but SQLAlchemy's compiler needs a table to resolve the column against.
    """
    metadata = table.metadata
    for fk in sorted(table.foreign_keys, key=lambda f: f.target_fullname):
        if not isinstance(fk._colspec, str):
            continue
        parts = fk._colspec.split(".")
        column = parts[-1]
        name = parts[-2]
        schema = ".".join(parts[:-2]) or None
        key = f"{schema}.{name}" if schema else name
        target = metadata.tables.get(key)
        if target is None:
            target = sa.Table(name, metadata, schema=schema)
        if column not in target.c:
            target.append_column(sa.Column(column, sa.types.NULLTYPE))
    return table
