"""PostgreSQL: transactional DDL, `psql -v ON_ERROR_STOP=1`, every op."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import schema as sa_schema
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import DDLCompiler

from sqlcompile.dialects import default as defaults
from sqlcompile.dialects.base import DialectSupport, drop_column_comment_as_empty
from sqlcompile.dialects.render import Element, Note, RenderContext
from sqlcompile.ops.base import Op
from sqlcompile.ops.index_ops import CreateIndex, DropIndex
from sqlcompile.ops.table_ops import AlterColumn
from sqlcompile.schema.model import EnumModel, KeyModel, Schema, TableModel


def _concurrently(op: Op) -> bool:
    """Whether ``op`` builds or drops an index CONCURRENTLY."""
    return isinstance(op, CreateIndex | DropIndex) and bool(op.kw.get("postgresql_concurrently"))


class PostgreSQL(DialectSupport):
    """PostgreSQL 12+."""

    name: ClassVar[str] = "postgresql"
    sqlglot_name: ClassVar[str] = "postgres"
    server_parser: ClassVar[str | None] = "pglast"  # libpg_query: the server's own grammar
    title: ClassVar[str] = "PostgreSQL"
    default_schema: ClassVar[str | None] = "public"  # the default search_path's schema
    #: NAMEDATALEN - 1: longer names are cut silently by the server.
    identifier_limit: ClassVar[tuple[int, str] | None] = (63, "bytes")
    apply_command: ClassVar[str] = 'psql -X -v ON_ERROR_STOP=1 -d "$DATABASE_URL" -f {file}'

    def make_sa_dialect(self) -> Dialect:
        dialect = postgresql.dialect(paramstyle="named")  # type: ignore[no-untyped-call]
        # Files set standard_conforming_strings = on, so backslashes in literals stay single.
        dialect._backslash_escapes = False
        return dialect

    def nul_refusal(self) -> str:
        return "PostgreSQL text cannot hold a NUL character"

    def session_setup(self) -> list[str]:
        return [
            "SET client_encoding = 'UTF8'",
            "SET standard_conforming_strings = on",
        ]

    directive_prefix: ClassVar[str | None] = "\\"

    def client_setup(self, lock_timeout: int) -> list[str]:
        return ["\\set ON_ERROR_STOP on"]

    def _lock_key(self, table: sa.Table) -> int:
        """The advisory-lock key of the version table: 64 bits of its name's SHA-256
        (advisory locks are per database already)."""
        digest = hashlib.sha256(self.lock_resource(table).encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big", signed=True)

    def lock(self, table: sa.Table, timeout: int) -> list[tuple[str, str]]:
        key = self._lock_key(table)
        return [
            (f"SET lock_timeout = '{timeout}s'",
             f"migration lock: wait at most {timeout} s for another apply of this database "
             "to finish, then stop here, having changed nothing"),
            (f"SELECT pg_advisory_lock({key})",
             f"session advisory lock {key} ({self.lock_resource(table)}), held until the end "
             "of the file"),
            ("SET lock_timeout = DEFAULT", ""),
        ]

    def unlock(self, table: sa.Table) -> list[tuple[str, str]]:
        return [(f"SELECT pg_advisory_unlock({self._lock_key(table)})",
                 "release the migration lock")]

    def needs_autocommit(self, op: Op) -> str | None:
        if _concurrently(op):
            return "PostgreSQL refuses CONCURRENTLY inside a transaction block"
        return None

    def enum_ddl(self, enum: EnumModel) -> list[Any]:
        return [postgresql.CreateEnumType(
            postgresql.ENUM(*enum.values, name=enum.name, schema=enum.schema))]

    def named_enum(self, type_: Any) -> EnumModel | None:
        if isinstance(type_, sa.Enum) and type_.native_enum and type_.name:
            return EnumModel(type_.name, type_.schema, tuple(type_.enums))
        return None

    def conversion_options(self, column: str, type_: Any) -> dict[str, str]:
        # No implicit cast from text to boolean, integer to boolean, ...: ALTER ... TYPE
        # needs USING. Only across kinds: within one, an explicit cast would truncate
        # silently where the implicit one refuses (varchar(20) to varchar(10)).
        quoted = self.sa_dialect.identifier_preparer.quote(column)
        return {f"{self.name}_using": f"{quoted}::{type_.compile(dialect=self.sa_dialect)}"}

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

    def type_key(self, type_: Any) -> str:
        """FLOAT without a precision, or with more than 24 bits, is DOUBLE PRECISION; with up to
        24 bits it is REAL (as the server stores them)."""
        key = super().type_key(type_)
        bits = re.fullmatch(r"FLOAT(?:\((\d+)\))?", key)
        if bits is None:
            return key
        return "REAL" if bits.group(1) and int(bits.group(1)) <= 24 else "DOUBLE PRECISION"

    def default_key(self, text: str | None) -> str | None:
        """PostgreSQL states a default with the casts it added: ``'pending'::character
        varying``, ``'-1'::integer``; without them it is the default the models write."""
        return super().default_key(None if text is None else _without_casts(text))

    def sql_key(self, text: str) -> str:
        """PostgreSQL restates a condition in its own words: casts added (``b::text``,
        ``0::numeric``), ``IN (...)`` as ``= ANY (ARRAY[...])``, ``LIKE`` as ``~~``,
        ``BETWEEN`` as two comparisons, each comparison of an index predicate in
        parentheses; the key undoes all of that on both sides."""
        return super().sql_key(_plain_condition(text))

    def type_aliases(self) -> dict[str, str]:
        # SQLAlchemy's upper-case types compile as written; PostgreSQL has these under other
        # names (a script's `existing_type=sa.DATETIME` means the TIMESTAMP column it has).
        return {"DATETIME": "TIMESTAMP WITHOUT TIME ZONE", "BLOB": "BYTEA"}

    def raise_error(self, message_sql: str) -> str:
        # A failed cast aborts the statement and quotes the text in the error message.
        return f"CAST({message_sql} AS INTEGER)"

    def string_agg(self, column: str, separator_sql: str) -> str:
        return f"STRING_AGG({column}, {separator_sql} ORDER BY {column})"

    def _alter_column(self, op: AlterColumn, ctx: RenderContext) -> list[Element]:
        """alter_column; a change from a string type to an enum type gets the USING cast
        PostgreSQL needs (it has no implicit cast from text to an enum, so the statement
        Alembic writes fails on every table): each value becomes the label it spells, and one
        that is no label stops the statement."""
        new = op.type_
        if new is None or f"{self.name}_using" in op.kw or not (
                isinstance(new, sa.Enum) and new.native_enum and new.name):
            return defaults.alter_column(op, ctx)
        known = op.current(ctx.schema)
        old = op.existing_type if op.existing_type is not None else (
            known.type if known is not None else None)
        old = sa.types.to_instance(old) if old is not None else None
        if not isinstance(old, sa.String) or isinstance(old, sa.Enum):
            return defaults.alter_column(op, ctx)
        using = self.conversion_options(op.column_name, new)
        note = Note(f"PostgreSQL casts text to enum {new.name} only when asked: "
                    f"USING {using[f'{self.name}_using']}")
        return [note, *defaults.alter_column(replace(op, kw={**op.kw, **using}), ctx)]

    renderers = {AlterColumn: _alter_column}

    def name_constraints(self, table: TableModel, schema: Schema) -> TableModel:
        """The names PostgreSQL gives unnamed constraints (``<table>_<columns>_fkey``,
        ``_key``, ``_check``, ``<table>_pkey``), as its ChooseConstraintName and
        ChooseRelationName do: see :func:`_pg_names`."""
        if not any(c.server_name is None for c in table.unnamed_constraints(None)):
            return table
        return _pg_names(table, schema)


NAMEDATALEN = 64


def _utf8(text: str) -> bytes:
    """``text`` as UTF-8; a lone surrogate (a name the compile refuses, with its own message,
    after the model has it) is kept, so that naming never fails first."""
    return text.encode("utf-8", errors="surrogatepass")


def _clipped(text: str, size: int) -> str:
    """The longest start of ``text`` of at most ``size`` UTF-8 bytes (pg_mbcliplen)."""
    data = _utf8(text)[:size]
    while True:  # (a character cut in two at the end is left out: at most 3 bytes)
        try:
            return data.decode("utf-8", errors="surrogatepass")
        except UnicodeDecodeError:
            data = data[:-1]


def _object_name(name1: str, name2: str | None, label: str) -> str:
    """PostgreSQL's makeObjectName: ``name1_name2_label`` cut to 63 bytes, each of the two
    names shortened in turn (the longer first) until it fits."""
    chars1 = len(_utf8(name1))
    chars2 = len(_utf8(name2)) if name2 is not None else 0
    overhead = len(label) + 1 + (1 if name2 is not None else 0)
    available = NAMEDATALEN - 1 - overhead
    while chars1 + chars2 > available:
        if chars1 > chars2:
            chars1 -= 1
        else:
            chars2 -= 1
    parts = [_clipped(name1, chars1)]
    if name2 is not None:
        parts.append(_clipped(name2, chars2))
    return "_".join([*parts, label])


def _column_addition(columns: tuple[str, ...]) -> str:
    """ChooseForeignKeyConstraintNameAddition / ChooseIndexNameAddition: the column names
    joined by `_`, no further once the text reaches NAMEDATALEN bytes."""
    text = ""
    for column in columns:
        text = f"{text}_{column}" if text else column
        if len(_utf8(text)) >= NAMEDATALEN:
            break
    return text


def _check_column(table: TableModel, sqltext: str) -> tuple[bool, str | None]:
    """The column a CHECK's name is built from: its only column when the condition uses
    exactly one (PostgreSQL's rule), else None; (False, None) when it cannot be told."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sqltext, read="postgres")
    except sqlglot.errors.SqlglotError:
        return False, None
    names = {c.name for c in table.columns}
    used: set[str] = set()
    for column in tree.find_all(exp.Column):
        ident = column.this
        quoted = isinstance(ident, exp.Identifier) and bool(ident.quoted)
        name = column.name if quoted else column.name.lower()
        if name not in names and not quoted:
            name = next((n for n in sorted(names) if n.lower() == name), name)
        used.add(name)
    return True, (next(iter(used)) if len(used) == 1 else None)


def _pg_names(table: TableModel, schema: Schema) -> TableModel:
    """``table`` with the server name of each new unnamed constraint: ``name1_name2_label``
    (:func:`_object_name`), the label numbered (``fkey1``, ``fkey2``...) while the name is
    taken in the table's schema: by any constraint for a foreign key or a check, by any
    constraint or relation (table, index) for a primary or unique key, whose index it
    names. New constraints are named in the model's order."""
    namespace = table.schema or "public"
    constraints: set[str] = set()
    relations: set[str] = set()
    others = [t for t in schema.tables.values()
              if (t.schema or "public") == namespace and t.key != table.key]
    for each in [*others, table]:  # (the table as it is now, not as the model had it)
        relations.add(each.name)
        relations.update(i.name for i in each.indexes if i.name)
        for item in _constraints(each):
            name = item.name or item.server_name
            if name:
                constraints.add(name)
                if isinstance(item, KeyModel):
                    relations.add(name)

    def choose(name2: str | None, label: str, relation: bool) -> str:
        number = 0
        while True:
            name = _object_name(table.name, name2, f"{label}{number or ''}")
            if name not in constraints and not (relation and name in relations):
                constraints.add(name)
                if relation:
                    relations.add(name)
                return name
            number += 1

    primary = table.primary_key
    if primary is not None and primary.name is None and primary.server_name is None:
        primary = replace(primary, server_name=choose(None, "pkey", True))
    uniques = tuple(
        replace(u, server_name=choose(_column_addition(u.columns), "key", True))
        if u.name is None and u.server_name is None else u for u in table.uniques)
    checks = []
    for check in table.checks:
        if check.name is None and check.server_name is None:
            known, column = _check_column(table, check.sqltext)
            if known:
                check = replace(check, server_name=choose(column, "check", False))
        checks.append(check)
    fks = tuple(
        replace(f, server_name=choose(_column_addition(f.columns), "fkey", False))
        if f.name is None and f.server_name is None else f for f in table.foreign_keys)
    return replace(table, primary_key=primary, uniques=uniques, checks=tuple(checks),
                   foreign_keys=fks)


def _constraints(table: TableModel) -> list[Any]:
    """Every key, foreign key and check of ``table``."""
    keys = [table.primary_key] if table.primary_key is not None else []
    return [*keys, *table.uniques, *table.foreign_keys, *table.checks]


#: A cast as PostgreSQL prints it: `::integer`, `::character varying(20)`, `::text[]`.
_CAST = (r"::(?:\"[^\"]+\"|[a-z_][a-z0-9_]*(?: (?:varying|precision|with time zone"
         r"|without time zone))?)(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])*")
_NUMBER = r"-?\d+(?:\.\d+)?"
#: Casts PostgreSQL adds to a column or an expression for an operator of another type.
_IMPLICIT_CAST = r"::(?:text|bpchar|character varying|varchar)(?:\[\])?(?![\w(])"
_LITERAL = re.compile(r"'(?:[^']|'')*'")


def _masked(text: str) -> tuple[str, list[str]]:
    """``text`` with each string literal replaced by a placeholder, and the literals."""
    literals: list[str] = []

    def keep(match: re.Match[str]) -> str:
        literals.append(match.group(0))
        return f"\x00{len(literals) - 1}\x00"

    return _LITERAL.sub(keep, text), literals


def _unmasked(text: str, literals: list[str]) -> str:
    return re.sub(r"\x00(\d+)\x00", lambda m: literals[int(m.group(1))], text)


def _without_casts(text: str) -> str:
    """``text`` without the casts PostgreSQL adds: any cast of a literal (a quoted number
    cast to a number type loses its quotes), and casts of columns to text."""
    text = re.sub(rf"'({_NUMBER})'::(?:integer|bigint|smallint|numeric|real|double precision)"
                  r"(?![\w(])", r"\1", text)
    masked, literals = _masked(text)
    masked = re.sub(rf"(\x00\d+\x00|\]){_CAST}", r"\1", masked)
    masked = re.sub(rf"\(({_NUMBER})\){_CAST}", r"\1", masked)
    masked = re.sub(rf"(?<![\w.])({_NUMBER}){_CAST}", r"\1", masked)
    masked = re.sub(_IMPLICIT_CAST, "", masked)
    return _unmasked(masked, literals)


def _plain_condition(text: str) -> str:
    """A condition as written rather than as PostgreSQL prints it (see ``sql_key``)."""
    masked, literals = _masked(_without_casts(text))
    flags = re.IGNORECASE
    masked = re.sub(r"\s*!~~\*\s*", " NOT ILIKE ", masked)
    masked = re.sub(r"\s*~~\*\s*", " ILIKE ", masked)
    masked = re.sub(r"\s*!~~\s*", " NOT LIKE ", masked)
    masked = re.sub(r"\s*~~\s*", " LIKE ", masked)
    masked = re.sub(r"\s*=\s*ANY\s*\(\s*ARRAY\s*\[([^\]]*)\]\s*\)", r" IN (\1)", masked,
                    flags=flags)
    masked = re.sub(r"\s*<>\s*ALL\s*\(\s*ARRAY\s*\[([^\]]*)\]\s*\)", r" NOT IN (\1)", masked,
                    flags=flags)
    operand = r"(-?[\w.\x00]+)"
    masked = re.sub(rf"{operand}\s+NOT\s+BETWEEN\s+{operand}\s+AND\s+{operand}",
                    r"(\1 < \2 OR \1 > \3)", masked, flags=flags)
    masked = re.sub(rf"{operand}\s+BETWEEN\s+{operand}\s+AND\s+{operand}",
                    r"\1 >= \2 AND \1 <= \3", masked, flags=flags)
    masked = re.sub(r"\s*,\s*", ", ", masked)
    return _unmasked(_without_redundant_parentheses(masked), literals)


#: Words after which a parenthesis opens a group (after any other word: a call, an IN list).
_GROUP_AFTER = {"and", "or", "not", "is", "like", "ilike", "when", "then", "else", "case"}


def _without_redundant_parentheses(text: str) -> str:
    """``text`` (literals masked) without the parentheses around one operand or one
    comparison (those around AND/OR stay, and so do a call's and an IN list's)."""
    changed = True
    while changed:
        changed = False
        stack: list[int] = []
        for i, char in enumerate(text):
            if char == "(":
                stack.append(i)
            elif char == ")" and stack:
                start = stack.pop()
                word = re.search(r"([\w\x00]+)\s*$", text[:start])
                if word and word.group(1).lower() not in _GROUP_AFTER:
                    continue
                inner = text[start + 1:i]
                if _removable(inner):
                    text = f"{text[:start]}{inner.strip()}{text[i + 1:]}"
                    changed = True
                    break
    return text


def _removable(inner: str) -> bool:
    """Whether parentheses around ``inner`` (a group's text) change nothing."""
    depth = 0
    top = []
    for char in inner:
        depth += char == "("
        depth -= char == ")"
        top.append(char if depth == 0 else " ")
    level = "".join(top)
    if not inner.strip() or "," in level:
        return False
    # NOT as part of an operator (IS NOT, NOT LIKE, NOT IN) is no logical NOT
    logic = re.sub(r"\bis\s+not\b|\bnot\s+(?=(?:like|ilike|in)\b)", " ", level,
                   flags=re.IGNORECASE)
    if re.search(r"\b(?:and|or|not)\b", logic, re.IGNORECASE):
        return False
    if re.fullmatch(r"\s*[-\w.\x00]+\s*", inner):
        return True  # one operand
    # one comparison: nothing binds more loosely inside it than the comparison itself
    return re.search(r"(<>|!=|<=|>=|=|<|>|\bis\b|\blike\b|\bilike\b|\bin\b)", level,
                     re.IGNORECASE) is not None


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
