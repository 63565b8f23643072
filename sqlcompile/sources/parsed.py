"""From sqlglot trees to SQLAlchemy objects: the types, columns and constraints of raw DDL.

Types are resolved the way reflection resolves them: the name as written, looked up in the
model dialect's ``ischema_names`` (with a few common spellings), else SQLAlchemy's generic type
of that name; a type neither knows is kept as its SQL text. Expressions (defaults, checks,
index expressions) become SQL text for the model's dialect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlglot import exp

if TYPE_CHECKING:
    from sqlcompile.schema.model import Schema

#: Spellings of a type that reflection tables list under another name.
_ALIASES = {
    "int": "integer", "int4": "integer", "int8": "bigint", "int2": "smallint",
    "varchar": "character varying", "char": "character", "decimal": "numeric",
    "bool": "boolean", "float8": "double precision", "float4": "real",
    "double": "double precision", "timestamptz": "timestamp with time zone",
    "timetz": "time with time zone", "character varying": "varchar", "character": "char",
    "double precision": "double", "integer": "int",
}
_SERIALS = {"SMALLSERIAL": sa.SmallInteger, "SERIAL": sa.Integer, "BIGSERIAL": sa.BigInteger}
_WITH_TIME_ZONE = {"TIMESTAMPTZ", "TIMETZ"}


class SQLType(sa.types.UserDefinedType):  # type: ignore[type-arg]
    """A column type the model keeps as the SQL text that declared it."""

    cache_ok = True

    def __init__(self, text: str) -> None:
        self.text = text

    def get_col_spec(self, **kw: Any) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"SQLType({self.text!r})"


@dataclass
class Reader:
    """Reads one statement's parts for the model: ``read`` is the sqlglot dialect it is
    written in; ``skipped`` collects clauses the model cannot hold."""

    schema: Schema
    read: str
    skipped: list[str] = field(default_factory=list)

    def sql(self, node: exp.Expression) -> str:
        """An expression as SQL text for the model's dialect."""
        return node.sql(dialect=self.schema.dialect.sqlglot_name)

    # -- types -----------------------------------------------------------------------------

    def sa_type(self, dtype: exp.DataType) -> tuple[Any, bool]:
        """The SQLAlchemy type of ``dtype``, and whether it is an auto-incrementing serial."""
        kind = dtype.this.name if hasattr(dtype.this, "name") else str(dtype.this)
        if kind in _SERIALS:
            return _SERIALS[kind](), True
        written = dtype.sql(dialect=self.read)
        params = dtype.expressions
        if dtype.args.get("nested") or not all(
                isinstance(p, exp.DataTypeParam) and isinstance(p.this, exp.Literal)
                and not p.this.is_string for p in params):
            return SQLType(self.sql(dtype)), False
        args = [int(p.this.this) for p in params]
        # sqlglot's own spelling first: a dialect's may be lossy (SQLite writes VARCHAR as TEXT).
        bases = [dtype.sql().split("(")[0].strip().lower(),
                 written.split("(")[0].strip().lower()]
        kw = {"timezone": True} if kind in _WITH_TIME_ZONE else {}
        found = self._lookup(bases, args, kw)
        if found is not None:
            return found, False
        if kind == "USERDEFINED":
            enum = self._enum(dtype)
            if enum is not None:
                return enum, False
        return SQLType(self.sql(dtype)), False

    def _lookup(self, bases: list[str], args: list[int], kw: dict[str, Any]) -> Any:
        """The type class for the first of ``bases`` the dialect's reflection table (or else
        SQLAlchemy's generic types) knows, instantiated with ``args``."""
        names: dict[str, Any] = getattr(self.schema.dialect.sa_dialect, "ischema_names", {})
        candidates: list[Any] = []
        for base in bases:
            for name in (base, _ALIASES.get(base)):
                if name is not None:
                    candidates += [names.get(name), names.get(name.upper())]
        candidates += [getattr(sa.types, base.upper().replace(" ", "_"), None) for base in bases]
        for cls in candidates:
            if isinstance(cls, type) and issubclass(cls, sa.types.TypeEngine):
                for extra in (kw, {}):
                    try:
                        return cls(*args, **extra)
                    except TypeError:
                        continue
        return None

    def _enum(self, dtype: exp.DataType) -> Any:
        kind = dtype.args.get("kind")
        name = kind.name if isinstance(kind, exp.Expression) else str(kind or "")
        for (schema, enum_name), enum in sorted(self.schema.enums.items(),
                                                key=lambda item: (item[0][0] or "", item[0][1])):
            if enum_name == name:
                return sa.Enum(*enum.values, name=enum_name, schema=schema)
        return None

    # -- columns and constraints -----------------------------------------------------------

    def column(self, coldef: exp.ColumnDef) -> tuple[sa.Column[Any], list[sa.Constraint]]:
        """The column a definition declares, and the constraints it declares inline."""
        name = coldef.name
        kind = coldef.args.get("kind")
        type_: Any = sa.types.NULLTYPE
        autoincrement: bool | str = "auto"
        if isinstance(kind, exp.DataType):
            type_, serial = self.sa_type(kind)
            autoincrement = True if serial else "auto"
        options: dict[str, Any] = {}
        items: list[Any] = []
        extra: list[sa.Constraint] = []
        for constraint in coldef.args.get("constraints") or []:
            if not isinstance(constraint, exp.ColumnConstraint):
                self.skipped.append(f"column {name}: {constraint.sql(dialect=self.read)}")
                continue
            cname = constraint.name or None
            clause = constraint.args.get("kind")
            if isinstance(clause, exp.NotNullColumnConstraint):
                options["nullable"] = bool(clause.args.get("allow_null"))
            elif isinstance(clause, exp.DefaultColumnConstraint):
                options["server_default"] = sa.text(self.sql(clause.this))
            elif isinstance(clause, exp.PrimaryKeyColumnConstraint):
                options["primary_key"] = True
            elif isinstance(clause, exp.UniqueColumnConstraint):
                extra.append(sa.UniqueConstraint(name, name=cname))
            elif isinstance(clause, exp.CheckColumnConstraint):
                extra.append(sa.CheckConstraint(sa.text(self.sql(clause.this)), name=cname))
            elif isinstance(clause, exp.Reference):
                fk = self.foreign_key([name], clause, cname)
                if fk is not None:
                    extra.append(fk)
            elif isinstance(clause, exp.CommentColumnConstraint):
                options["comment"] = clause.this.name
            elif isinstance(clause, exp.AutoIncrementColumnConstraint):
                autoincrement = True
            elif isinstance(clause, exp.GeneratedAsIdentityColumnConstraint):
                start, step = clause.args.get("start"), clause.args.get("increment")
                items.append(sa.Identity(
                    always=bool(clause.this),
                    start=int(start.this) if isinstance(start, exp.Literal) else None,
                    increment=int(step.this) if isinstance(step, exp.Literal) else None))
            elif isinstance(clause, exp.ComputedColumnConstraint):
                items.append(sa.Computed(sa.text(self.sql(clause.this)),
                                         persisted=bool(clause.args.get("persisted")) or None))
            elif isinstance(clause, exp.CollateColumnConstraint) and hasattr(type_, "collation"):
                type_.collation = clause.this.name
            else:
                self.skipped.append(f"column {name}: {constraint.sql(dialect=self.read)}")
        column = sa.Column(name, type_, *items, autoincrement=autoincrement,  # type: ignore[arg-type]
                           **options)
        return column, extra

    def table_constraint(self, node: exp.Expression) -> sa.Constraint | None:
        """A table-level constraint (named with CONSTRAINT or not); None if not understood."""
        name: str | None = None
        if isinstance(node, exp.Constraint):
            name = node.name or None
            if len(node.expressions) != 1:
                return None
            node = node.expressions[0]
        if isinstance(node, exp.PrimaryKey):
            return sa.PrimaryKeyConstraint(*column_names(node.expressions), name=name)
        if isinstance(node, exp.UniqueColumnConstraint) and isinstance(node.this, exp.Schema):
            return sa.UniqueConstraint(*column_names(node.this.expressions), name=name)
        if isinstance(node, exp.CheckColumnConstraint):
            return sa.CheckConstraint(sa.text(self.sql(node.this)), name=name)
        if isinstance(node, exp.ForeignKey):
            reference = node.args.get("reference")
            if isinstance(reference, exp.Reference):
                return self.foreign_key(column_names(node.expressions), reference, name)
        return None

    def foreign_key(self, columns: list[str], reference: exp.Reference,
                    name: str | None) -> sa.ForeignKeyConstraint | None:
        """A foreign key from ``columns`` to what ``reference`` names (its primary key when it
        names no columns)."""
        target = reference.this
        ref_columns: list[str] = []
        if isinstance(target, exp.Schema):
            ref_columns = column_names(target.expressions)
            target = target.this
        if not isinstance(target, exp.Table):
            return None
        ref_schema, ref_table = target.db or None, target.name
        if not ref_columns:
            known = self.schema.table(ref_table, ref_schema)
            if known is None or known.primary_key is None:
                self.skipped.append(f"REFERENCES {ref_table} without columns, and the model does "
                                    "not know its primary key")
                return None
            ref_columns = list(known.primary_key.columns)
        prefix = f"{ref_schema}.{ref_table}" if ref_schema else ref_table
        kw: dict[str, Any] = {}
        for option in reference.args.get("options") or []:
            text = " ".join(str(option).upper().split())
            for head, key in (("ON DELETE ", "ondelete"), ("ON UPDATE ", "onupdate"),
                              ("INITIALLY ", "initially"), ("MATCH ", "match")):
                if text.startswith(head):
                    kw[key] = text[len(head):]
            if text in ("DEFERRABLE", "NOT DEFERRABLE"):
                kw["deferrable"] = text == "DEFERRABLE"
        return sa.ForeignKeyConstraint(columns, [f"{prefix}.{c}" for c in ref_columns],
                                       name=name, **kw)


def column_names(nodes: list[exp.Expression]) -> list[str]:
    """Column names from identifiers, columns or ordered columns."""
    out = []
    for node in nodes:
        while isinstance(node, exp.Ordered):
            node = node.this
        out.append(node.name)
    return out


def lowercase_unquoted(tree: exp.Expression, read: str) -> exp.Expression:
    """Unquoted identifiers as SQLAlchemy names them (lower case) where the dialect folds case.

    Dialects that keep the case of unquoted names (MySQL's table names) are left as written.
    """
    from sqlglot.dialects.dialect import Dialect, NormalizationStrategy

    strategy = Dialect.get_or_raise(read).NORMALIZATION_STRATEGY
    if strategy == NormalizationStrategy.CASE_SENSITIVE:
        return tree
    for identifier in tree.find_all(exp.Identifier):
        if not identifier.quoted:
            identifier.set("this", identifier.this.lower())
    return tree
