"""Reading a database's tables and enum types (SQLAlchemy reflection) into a schema model,
each value stated the way the models (or, failing them, the plainest equal form) state it;
:mod:`autogen.reflect` connects and explains what is read and why."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from sqlcompile.schema.convert import table_from_sa
from sqlcompile.schema.model import (
    CheckModel,
    ColumnModel,
    EnumModel,
    ForeignKeyModel,
    IndexModel,
    IndexPart,
    KeyModel,
    Schema,
    TableModel,
)

if TYPE_CHECKING:
    from sqlcompile.autogen.target import Target
    from sqlcompile.config import Config
    from sqlcompile.dialects.base import DialectSupport
    from sqlcompile.pipeline.render import Project


class DatabaseReader:
    """One database's tables and enum types read into a schema model (see the notes of
    :mod:`autogen.reflect`)."""

    def __init__(self, conn: sa.Connection, dialect: DialectSupport, config: Config,
                 target: Target | None, project: Project | None) -> None:
        self.conn = conn
        self.dialect = dialect
        self.config = config
        self.project = project
        self.models = target.schema if target is not None else None
        self.inspector = sa.inspect(conn)
        #: the history's schema at the database's revisions, for what the database cannot keep
        self.history: Schema | None = None
        #: (default, comment) by (table, column) where the dialect reads them from its catalog
        self.catalog: dict[tuple[str, str], tuple[str | None, str | None]] = {}
        self.notes: list[str] = []

    def schema(self) -> Schema:
        default = self.inspector.default_schema_name
        skip = (self.config.version_table
                if self.config.version_table_schema in (None, default) else None)
        names = sorted(n for n in self.inspector.get_table_names() if n != skip)
        metadata = sa.MetaData()
        if names:
            metadata.reflect(self.conn, only=names, resolve_fks=False)
        self.catalog = self.dialect.column_catalog(self.conn, names)
        if not self.dialect.supports_comments:
            self.history = self.history_schema()
        schema = Schema(self.dialect)
        schema.incomplete.extend(self.notes)
        for name in names:
            schema.put(self.table(metadata.tables[name]))
        for enum in self.enums():
            schema.put_enum(enum)
        return schema

    def history_schema(self) -> Schema | None:
        """The history's schema at the revisions the version table names (None, with a note,
        when it names none the history has)."""
        from sqlcompile.pipeline.plan import version_table

        if self.project is None:
            self.notes.append(f"{self.dialect.title} stores no comments: the database's "
                              "comments are taken as the models' (comments are not compared)")
            return None
        table = version_table(self.config)
        rows: list[str] = []
        if self.inspector.has_table(table.name, schema=table.schema):
            rows = sorted(self.conn.execute(sa.select(table.c.version_num)).scalars())
        unknown = [row for row in rows if row not in self.project.graph.scripts]
        if not rows or unknown:
            where = f"revision {', '.join(unknown)}, which the history does not have" \
                if unknown else "no revision"
            self.notes.append(
                f"{self.dialect.title} stores no comments, and the database's version table "
                f"names {where}: its comments are taken as the models' (comments are not "
                "compared)")
            return None
        return self.project.schema_at(self.dialect, rows)

    def enums(self) -> list[EnumModel]:
        """Named enum types of the default schema, where the database has them."""
        get_enums = getattr(self.inspector, "get_enums", None)
        if get_enums is None:
            return []
        found = [EnumModel(e["name"], None, tuple(e["labels"])) for e in get_enums()]
        return sorted(found, key=lambda e: e.name)

    def wanted(self, name: str) -> TableModel | None:
        return self.models.table(name) if self.models is not None else None

    def kept(self, name: str) -> TableModel | None:
        """The history's table where the database cannot keep everything (see history)."""
        return self.history.table(name) if self.history is not None else None

    # -- a table ----------------------------------------------------------------------------

    def table(self, reflected: sa.Table) -> TableModel:
        wanted, kept = self.wanted(reflected.name), self.kept(reflected.name)
        model = table_from_sa(reflected, self.dialect)
        model = replace(model, columns=tuple(
            self.from_catalog(reflected.name, column) for column in model.columns))
        auto = _autoincrement_column(reflected)
        columns = tuple(
            self.column(column, reflected.c[column.name], auto,
                        wanted.column(column.name) if wanted is not None else None,
                        kept.column(column.name) if kept is not None else None)
            for column in model.columns)
        primary = model.primary_key
        if primary is not None:
            name = primary.name
            if name is None and wanted is not None and wanted.primary_key is not None \
                    and wanted.primary_key.columns == primary.columns:
                name = wanted.primary_key.name
            primary = KeyModel(name, primary.columns, _set_options(primary.options))
        uniques, indexes = self.keys_and_indexes(reflected.name, model, wanted)
        comment = model.comment if self.dialect.supports_comments else \
            _comment(self.kept(reflected.name), wanted)
        options = dict(model.options)  # kept where the models state them (not compared)
        return replace(
            model,
            columns=columns,
            primary_key=primary,
            foreign_keys=tuple(self.foreign_key(fk, wanted) for fk in model.foreign_keys),
            uniques=uniques,
            checks=tuple(self.check(check, wanted) for check in model.checks),
            indexes=indexes,
            comment=comment,
            options=tuple((k, options[k]) for k, _ in (wanted.options if wanted else ())
                          if k in options),
        )

    def from_catalog(self, table: str, column: ColumnModel) -> ColumnModel:
        """The column with the default and comment the dialect read from its catalog, where
        SQLAlchemy's reflection misreads them (see ``DialectSupport.column_catalog``)."""
        found = self.catalog.get((table, column.name))
        if found is None:
            return column
        return replace(column, default=found[0], comment=found[1])

    def column(self, column: ColumnModel, reflected: sa.Column[Any], auto: str | None,
               wanted: ColumnModel | None, kept: ColumnModel | None) -> ColumnModel:
        type_ = self.type(reflected.type, wanted)
        default = column.default
        if default is not None and reflected.autoincrement is True and not (
                wanted is not None
                and self.dialect.default_key(wanted.default) == self.dialect.default_key(default)):
            default = None  # the autoincrement's own mechanism (a sequence), not a default
        autoincrement: bool | str = "auto"
        if reflected.autoincrement is True and column.name != auto:
            autoincrement = True
        elif reflected.autoincrement is False and column.name == auto:
            autoincrement = False
        comment = column.comment if self.dialect.supports_comments else \
            _comment(kept, wanted)
        identity, computed = column.identity, column.computed
        if identity is not None:
            identity = wanted.identity if wanted is not None and wanted.identity is not None \
                else _plain_identity(identity)
        if computed is not None and wanted is not None and wanted.computed is not None:
            computed = wanted.computed
        return replace(column, type=type_, default=self.default(default, type_, wanted),
                       comment=comment, autoincrement=autoincrement, identity=identity,
                       computed=computed, options=_set_options(column.options))

    def type(self, reflected: Any, wanted: ColumnModel | None) -> Any:
        """The reflected type, as the models state it or as a generic type where the dialect
        finds them the same."""
        key = self.dialect.type_key(reflected)
        candidates = [wanted.type] if wanted is not None else []
        candidates += _generic_types(reflected)
        for candidate in candidates:
            if _same_enum_values(candidate, reflected) \
                    and self.dialect.type_key(candidate) == key:
                return candidate
        return reflected

    def default(self, text: str | None, type_: Any, wanted: ColumnModel | None) -> str | None:
        """A reflected server default as the models state it, or in its plainest equal form."""
        if text is None or text.strip().upper() == "NULL":
            return None
        key = self.dialect.default_key
        wanted_text = wanted.default if wanted is not None else None
        if wanted_text is not None and (key(wanted_text) == key(text)
                                        or _same_number(wanted_text, text, type_)):
            return wanted_text
        for variant in self.default_variants(text, type_):
            if variant != text and key(variant) == key(text):
                return variant
        return text

    def default_variants(self, text: str, type_: Any) -> list[str]:
        out = []
        plain = _without_literal_cast(text.strip())
        out.append(plain)
        called = re.fullmatch(r"(current_timestamp|current_date|current_time|localtimestamp)"
                              r"\(\)", plain, re.IGNORECASE)
        if called:
            out.append(called.group(1).upper())
        if isinstance(type_, sa.Boolean):
            out += [self.dialect.default_sql(sa.Column("x", sa.Boolean(), server_default=value))
                    for value in (sa.true(), sa.false())]
        number = re.fullmatch(r"'(-?\d+(?:\.\d+)?)'", plain)
        if number and _numeric(type_):
            out.append(number.group(1))
        return out

    def condition(self, text: str, wanted: list[str]) -> str:
        """A check condition, index predicate or expression as the models state it, or with
        the casts and quotes the database added left out, where the dialect finds them
        equal."""
        key = self.dialect.sql_key(text)
        for candidate in wanted:
            if self.dialect.sql_key(candidate) == key:
                return candidate
        preparer = self.dialect.sa_dialect.identifier_preparer
        quote = re.escape(preparer.initial_quote)
        end = re.escape(preparer.final_quote)

        def unquoted(match: re.Match[str]) -> str:
            name = match.group(1)
            return name if preparer.quote(name) == name else match.group(0)

        plain = _outside_literals(text, lambda part: re.sub(
            rf"{quote}([A-Za-z_][A-Za-z0-9_$]*){end}", unquoted, part))
        literal_casts = _without_literal_cast(plain, anywhere=True)
        no_casts = _outside_literals(literal_casts, lambda part: re.sub(
            r"(?<![\w$])\(([A-Za-z_][\w$]*)\)", r"\1", re.sub(_CAST, "", part)))
        for candidate in (no_casts, literal_casts, plain):
            candidate = _strip_parentheses(candidate)
            if self.dialect.sql_key(candidate) == key:
                return candidate
        return text

    def check(self, check: CheckModel, wanted: TableModel | None) -> CheckModel:
        texts = []
        if wanted is not None:
            texts = [c.sqltext for c in sorted(wanted.checks, key=lambda c: c.name != check.name)]
        return replace(check, sqltext=self.condition(check.sqltext, texts),
                       options=_set_options(check.options))

    def foreign_key(self, fk: ForeignKeyModel, wanted: TableModel | None) -> ForeignKeyModel:
        action = self.dialect.fk_action_key
        ondelete, onupdate = fk.ondelete, fk.onupdate
        for other in wanted.foreign_keys if wanted is not None else ():
            if (other.columns, other.ref_key, other.ref_columns) == \
                    (fk.columns, fk.ref_key, fk.ref_columns) \
                    and (other.name == fk.name or None in (other.name, fk.name)):
                if action(other.ondelete) == action(ondelete):
                    ondelete = other.ondelete
                if action(other.onupdate) == action(onupdate):
                    onupdate = other.onupdate
                break
        deferrable = fk.deferrable or None
        return replace(
            fk, ondelete=ondelete or None, onupdate=onupdate or None, deferrable=deferrable,
            initially=fk.initially if deferrable else None,
            match=None if (fk.match or "").upper() in ("", "SIMPLE") else fk.match,
            options=_set_options(fk.options))

    def keys_and_indexes(self, name: str, model: TableModel, wanted: TableModel | None,
                         ) -> tuple[tuple[KeyModel, ...], tuple[IndexModel, ...]]:
        """Unique constraints and indexes, a unique key reported as both counted once, and
        the indexes the database made for foreign keys left out (unless the models have
        them)."""
        wanted_indexes = {i.name: i for i in wanted.indexes} if wanted is not None else {}
        both = {u["name"] for u in self.inspector.get_unique_constraints(name)
                if u.get("duplicates_index")}
        uniques = [replace(u, options=_set_options(u.options)) for u in model.uniques]
        indexes = []
        for index in model.indexes:
            ours = wanted_indexes.get(index.name)
            if index.unique and index.name in both and not (ours is not None and ours.unique):
                uniques.append(KeyModel(index.name, index.columns,
                                        _set_options(index.options)))
                continue
            if ours is None and self.dialect.creates_foreign_key_indexes and any(
                    not index.unique and index.columns == fk.columns
                    and not any(p.expression for p in index.parts)
                    and index.name in (fk.name, fk.columns[0]) for fk in model.foreign_keys):
                continue
            indexes.append(self.index(index, ours))
        return (tuple(sorted(uniques, key=lambda u: (str(u.name), repr(u)))),
                tuple(sorted(indexes, key=lambda i: (str(i.name), repr(i)))))

    def index(self, index: IndexModel, wanted: IndexModel | None) -> IndexModel:
        parts = []
        for i, part in enumerate(index.parts):
            if part.expression:
                theirs = [wanted.parts[i].text] if wanted is not None \
                    and i < len(wanted.parts) and wanted.parts[i].expression else []
                part = IndexPart(self.condition(part.text, theirs), expression=True)
            parts.append(part)
        wanted_options = dict(wanted.options) if wanted is not None else {}
        options = []
        for key, value in _set_options(index.options):
            if key.endswith("_where") and isinstance(value, str):
                given = wanted_options.get(key)
                value = self.condition(value, [given] if isinstance(given, str) else [])
            options.append((key, value))
        return replace(index, parts=tuple(parts), unique=bool(index.unique),
                       options=tuple(options))


# -- helpers ----------------------------------------------------------------------------------


def _comment(kept: TableModel | ColumnModel | None,
             wanted: TableModel | ColumnModel | None) -> str | None:
    """A comment the database cannot keep: the history's, else the models'."""
    if kept is not None:
        return kept.comment
    return wanted.comment if wanted is not None else None


def _autoincrement_column(table: sa.Table) -> str | None:
    """The column ``autoincrement="auto"`` makes autoincrementing: a one-column integer key."""
    columns = list(table.primary_key.columns)
    if len(columns) == 1 and isinstance(columns[0].type, sa.Integer):
        return columns[0].name
    return None


def _generic_types(reflected: Any) -> list[Any]:
    """Generic SQLAlchemy types the reflected (dialect's) type may be the same as."""
    found: list[Any] = []
    if isinstance(reflected, sa.Enum):
        found.append(sa.Enum(*reflected.enums, name=reflected.name,
                             native_enum=reflected.native_enum))
    try:
        found.append(reflected.as_generic())
    except NotImplementedError:
        pass
    found.append(sa.Boolean())
    return found


def _same_enum_values(candidate: Any, reflected: Any) -> bool:
    """An enum type stands for the reflected type only if that is an enum of the same values
    (a dialect may state only an enum's name, or store it as a plain string)."""
    if not isinstance(candidate, sa.Enum) and not isinstance(reflected, sa.Enum):
        return True
    return isinstance(candidate, sa.Enum) and isinstance(reflected, sa.Enum) \
        and tuple(candidate.enums) == tuple(reflected.enums)


def _numeric(type_: Any) -> bool:
    """A number type (Float is no Numeric in SQLAlchemy 2.1), or a boolean one."""
    return isinstance(type_, sa.Integer | sa.Numeric | sa.Float | sa.Boolean)


def _number(text: str) -> Decimal | None:
    """The number a default states, quoted or not, with or without a cast (``0``, ``'0'``,
    ``0.00``, PostgreSQL's ``'7'::bigint``); None for anything else."""
    match = re.fullmatch(r"\(*'?(-?\d+(?:\.\d+)?)'?\)*",
                         _without_literal_cast(text.strip()))
    if match is None:
        return None
    try:
        return Decimal(match.group(1))
    except InvalidOperation:
        return None


def _same_number(a: str, b: str, type_: Any) -> bool:
    """Whether two defaults of a numeric column are the same number (``0`` and ``0.00``,
    ``'7'`` and PostgreSQL's ``'7'::bigint``); on a column of another type they are not (a
    text column's ``'7'`` is no ``7``)."""
    if not _numeric(type_) or isinstance(type_, sa.Boolean):
        return False
    x, y = _number(a), _number(b)
    return x is not None and x == y


#: A cast as `::integer`, `::character varying(20)`, `::timestamp with time zone`, `::text[]`.
_CAST = (r"::(?:\"[^\"]+\"|[A-Za-z_][A-Za-z0-9_]*(?: (?:varying|precision|with time zone"
         r"|without time zone))?)(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])*")
_LITERAL = r"'(?:[^']|'')*'"


def _without_literal_cast(text: str, anywhere: bool = False) -> str:
    """``text`` without the casts of its literals (``'x'::text``, ``(0)::numeric``); all of
    them with ``anywhere``, else only a cast of the whole text."""
    if not anywhere:
        match = re.fullmatch(rf"\(?({_LITERAL}|-?\d+(?:\.\d+)?)\)?{_CAST}", text)
        return match.group(1) if match else text
    text = re.sub(rf"({_LITERAL}){_CAST}", r"\1", text)
    return re.sub(rf"\((-?\d+(?:\.\d+)?)\){_CAST}", r"\1", text)


def _outside_literals(text: str, change: Any) -> str:
    parts = text.split("'")
    return "'".join(change(p) if i % 2 == 0 else p for i, p in enumerate(parts))


def _strip_parentheses(text: str) -> str:
    """``text`` without parentheses around all of it."""
    value = text.strip()
    while value.startswith("(") and value.endswith(")"):
        depth = 0
        for char in value[1:-1]:
            depth += (char == "(") - (char == ")")
            if depth < 0:
                return value
        value = value[1:-1].strip()
    return value


def _set_options(options: tuple[tuple[str, Any], ...]) -> tuple[tuple[str, Any], ...]:
    """Options that are set: reflection also lists the defaults (an empty INCLUDE list,
    NULLS NOT DISTINCT false)."""
    return tuple((k, v) for k, v in options if v not in (None, False, "", [], (), {}))


def _plain_identity(identity: Any) -> Any:
    """An identity without the values that are its defaults (start 1, increment 1, no cycle,
    the type's own bounds), as the models write it."""
    bounds = {2**15 - 1, 2**31 - 1, 2**63 - 1}
    return sa.Identity(
        always=bool(identity.always),
        on_null=identity.on_null or None,
        start=None if identity.start in (None, 1) else identity.start,
        increment=None if identity.increment in (None, 1) else identity.increment,
        minvalue=None if identity.minvalue in (None, 1) else identity.minvalue,
        maxvalue=None if identity.maxvalue is None or identity.maxvalue in bounds
        else identity.maxvalue,
        cycle=identity.cycle or None,
        cache=None if identity.cache in (None, 1) else identity.cache,
    )
