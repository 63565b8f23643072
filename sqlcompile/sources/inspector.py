"""Schema reads answered offline: `sa.inspect(op.get_bind())`, `checkfirst=True` and
`bind.dialect` answer from the schema model at the point of the script being recorded.

The bind's dialect is the target's SQLAlchemy dialect with its reflection methods
(``get_columns``, ``has_table``, ``has_type`` ...) answered from the model instead of the
catalog, so SQLAlchemy's own :class:`~sqlalchemy.engine.reflection.Inspector`, its DDL
visitors (``Table.create(bind, checkfirst=True)``, ``metadata.create_all``, ``Enum.create``)
and ``Table(..., autoload_with=bind)`` all read the model. What the model does not hold
(views, the server's version) raises the recorder's "needs a live database" error.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable, Iterator
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import interfaces, reflection

from sqlcompile.errors import CompileError

if TYPE_CHECKING:
    from sqlcompile.config import Config
    from sqlcompile.dialects.base import DialectSupport
    from sqlcompile.schema.model import ColumnModel, Schema, TableModel
    from sqlcompile.sources.recorder import Recorder


class TrackedModel:
    """The schema model as the script running now sees it: the model before the revision,
    brought forward by the ops recorded so far whenever it is read (a script that never reads
    it costs nothing)."""

    def __init__(self, recorder: Recorder, model: Schema | None) -> None:
        self._recorder = recorder
        self._model = model
        self._applied = 0
        #: Whether the script asked the model anything: then its recording depends on it.
        self.read = False

    @cached_property
    def url(self) -> sa.URL:
        """`bind.engine.url` (see :func:`offline_url`)."""
        return offline_url(self._recorder.dialect, self._recorder.config)

    @cached_property
    def dialect(self) -> Any:
        """The SQLAlchemy dialect the bind shows the script (see :func:`offline_dialect`)."""
        return offline_dialect(self._recorder.dialect.sa_dialect, self)

    def live(self, what: str) -> Exception:
        """The "needs a live database" error for ``what`` (at the script's line)."""
        return self._recorder.live_database_error(what)

    def current(self, what: str) -> Schema:
        """The model after the ops recorded so far (``what`` asked for it)."""
        self.read = True
        if self._model is None:
            raise self.live(f"{what} (no schema model is known here)")
        ops = self._recorder.ops
        while self._applied < len(ops):
            item = ops[self._applied]
            self._applied += 1
            try:
                item.op.completed(self._model).apply(self._model)
            except CompileError as exc:
                exc.path = exc.path or self._recorder.rel_path
                exc.line = exc.line or item.line
                raise
        return self._model

    def default_schema(self) -> str | None:
        """The schema unqualified names live in, where it is known offline."""
        return self._recorder.dialect.default_schema

    def schemas(self, schema: str | None) -> tuple[str | None, ...]:
        """The model's schema keys that ``schema`` (None: the default) stands for."""
        default = self.default_schema()
        if schema is None or schema == default:
            return (None, default) if default else (None,)
        return (schema,)

    def table(self, name: str, schema: str | None, what: str) -> TableModel | None:
        model = self.current(what)
        for key in self.schemas(schema):
            found = model.table(name, key)
            if found is not None:
                return found
        return None

    def existing(self, name: str, schema: str | None, what: str) -> TableModel:
        """The table, or SQLAlchemy's NoSuchTableError as reflection raises it."""
        found = self.table(name, schema, what)
        if found is None:
            failed = tuple(self._model.failed) if self._model is not None else ()
            raise TableNotInModel(f"{schema}.{name}" if schema else name, _referencing(),
                                  failed)
        return found


class TableNotInModel(sa.exc.NoSuchTableError):
    """Reflection's NoSuchTableError for a table the schema model lacks (a script may catch
    it, as it would on a database); uncaught, :meth:`explained` says why it is missing."""

    def __init__(self, name: str, referenced_by: str | None, failed: tuple[str, ...]) -> None:
        super().__init__(name)
        self.name = name
        #: The table being reflected whose foreign key led to this one, if that is how.
        self.referenced_by = referenced_by
        #: The revisions before this point that failed (the model lacks what they make).
        self.failed = failed

    def explained(self) -> tuple[str, str]:
        """(what is wrong, hint) for the error message."""
        how = (f" (reflecting `{self.referenced_by}` follows its foreign key to it)"
               if self.referenced_by else "")
        if self.failed:
            why = (f"revision {', '.join(self.failed)} failed above, so the schema model "
                   "lacks what it makes; or it was created outside this history")
        else:
            why = ("it was created outside this history, or by a revision that failed or raw "
                   "SQL the model could not follow")
        hint = (f"create `{self.name}` in an earlier revision (op.create_table(), or raw SQL "
                "or a hand-written sql/<dialect>/<rev>.upgrade.sql the model follows), or "
                "set `baseline` past the revisions that need it")
        if self.referenced_by:
            hint += f", or pass resolve_fks=False to sa.Table(\"{self.referenced_by}\", ...)"
        return (f"table `{self.name}` is not in the schema model{how}: {why} "
                "(NoSuchTableError)", hint)


def _referencing() -> str | None:
    """The table SQLAlchemy is reflecting when it follows a foreign key to another table
    (its ``Inspector._reflect_fk`` is on the stack), or None."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "_reflect_fk" and \
                str(frame.f_globals.get("__name__", "")).startswith("sqlalchemy."):
            table = frame.f_locals.get("table")
            return str(getattr(table, "fullname", "")) or None
        frame = frame.f_back  # type: ignore[assignment]
    return None


def offline_url(dialect: DialectSupport, config: Config) -> sa.URL:
    """`bind.engine.url` offline: the configured url where it reaches ``dialect``'s server,
    else a url naming only the dialect (``postgresql://``)."""
    from sqlcompile.dialects import get_dialect, known_dialects

    if config.url:
        try:
            parsed = sa.make_url(config.url)
        except sa.exc.ArgumentError:
            parsed = None
        backend = parsed.get_backend_name() if parsed is not None else ""
        if parsed is not None and backend in known_dialects():
            support = get_dialect(backend)
            if support.name == dialect.name or (
                    support.shares_url_backend
                    and support.server_dialect(dialect.sa_dialect) == dialect.name):
                return parsed
    return sa.make_url(f"{dialect.sa_dialect.name}://")


# -- reflected shapes, as SQLAlchemy's dialects return them -----------------------------------

_IDENTITY = ("always", "on_null", "start", "increment", "minvalue", "maxvalue", "nominvalue",
             "nomaxvalue", "cycle", "cache", "order")


def _autoincrement(table: TableModel, column: ColumnModel) -> bool:
    """Whether the column counts by itself: explicit, an identity, or SQLAlchemy's "auto"
    rule (the only primary key column, an integer, no default and no foreign key)."""
    if column.identity is not None:
        return True
    if isinstance(column.autoincrement, bool):
        return column.autoincrement
    type_ = getattr(column.type, "impl", column.type)
    return bool(
        table.primary_key and table.primary_key.columns == (column.name,)
        and isinstance(type_, sa.Integer) and column.default is None and column.computed is None
        and not any(column.name in fk.columns for fk in table.foreign_keys)
    )


def column_info(table: TableModel, column: ColumnModel) -> dict[str, Any]:
    """One `get_columns()` entry (the type is a copy: the model's own stays untouched)."""
    info: dict[str, Any] = {
        "name": column.name, "type": copy.copy(column.type), "nullable": column.nullable,
        "default": column.default, "comment": column.comment,
        "autoincrement": _autoincrement(table, column),
    }
    if column.identity is not None:
        info["identity"] = {key: getattr(column.identity, key, None) for key in _IDENTITY}
    if column.computed is not None:
        info["computed"] = {"sqltext": str(column.computed.sqltext)}
        if column.computed.persisted is not None:
            info["computed"]["persisted"] = column.computed.persisted
    return info


def _with_options(info: dict[str, Any], options: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    if options:
        info["dialect_options"] = dict(options)
    return info


# -- the dialect the bind shows the script -----------------------------------------------------


def _internal_caller() -> bool:
    """Whether the attribute is read (two frames up) by SQLAlchemy or Alembic's library code
    compiling on a script's behalf (they get what compiling assumes), not by a script."""
    return str(sys._getframe(2).f_globals.get("__name__", "")).startswith(
        ("sqlalchemy.", "alembic."))


class ModelReflection:
    """Reflection methods of a SQLAlchemy dialect answered from the tracked model; mixed in
    before the target's own dialect class (see :func:`offline_dialect`)."""

    _sqlcompile_tracked: TrackedModel
    _sqlcompile_real: Any

    # -- what needs the server ---------------------------------------------------------------
    @property
    def server_version_info(self) -> Any:
        if _internal_caller():
            return self._sqlcompile_real.server_version_info
        raise self._sqlcompile_tracked.live("dialect.server_version_info (the server's "
                                            "version)")

    @property
    def default_schema_name(self) -> str | None:
        found = self._sqlcompile_tracked.default_schema()
        if found is None and not _internal_caller():
            raise self._sqlcompile_tracked.live("the default schema name (the connected "
                                                "database's or user's)")
        return found

    # -- tables ------------------------------------------------------------------------------
    def get_table_names(self, connection: Any, schema: str | None = None,
                        **kw: Any) -> list[str]:
        tracked = self._sqlcompile_tracked
        keys = tracked.schemas(schema)
        model = tracked.current("inspector.get_table_names()")
        return sorted({t.name for t in model.tables.values() if t.schema in keys})

    def has_table(self, connection: Any, table_name: str, schema: str | None = None,
                  **kw: Any) -> bool:
        return self._sqlcompile_tracked.table(table_name, schema, "has_table()") is not None

    def has_multi_table(self, connection: Any, table_names: list[str],
                        schema: str | None = None, **kw: Any,
                        ) -> Iterator[tuple[tuple[str | None, str], bool]]:
        for name in table_names:
            yield (schema, name), self.has_table(connection, name, schema)

    def get_temp_table_names(self, connection: Any, **kw: Any) -> list[str]:
        return []  # a migration's session starts with none

    def get_temp_view_names(self, connection: Any, **kw: Any) -> list[str]:
        return []

    def get_columns(self, connection: Any, table_name: str, schema: str | None = None,
                    **kw: Any) -> list[dict[str, Any]]:
        table = self._sqlcompile_tracked.existing(table_name, schema, "get_columns()")
        return [column_info(table, column) for column in table.columns]

    def get_pk_constraint(self, connection: Any, table_name: str, schema: str | None = None,
                          **kw: Any) -> dict[str, Any]:
        table = self._sqlcompile_tracked.existing(table_name, schema, "get_pk_constraint()")
        key = table.primary_key
        if key is None:
            return {"constrained_columns": [], "name": None}
        # (the name a server gave a key created without one, as its reflection answers; MySQL's
        # is PRIMARY for every table, which its reflection answers as None)
        given = key.server_name if key.server_name != "PRIMARY" else None
        return _with_options({"constrained_columns": list(key.columns),
                              "name": key.name or given}, key.options)

    def get_foreign_keys(self, connection: Any, table_name: str, schema: str | None = None,
                         **kw: Any) -> list[dict[str, Any]]:
        table = self._sqlcompile_tracked.existing(table_name, schema, "get_foreign_keys()")
        found = []
        for fk in table.foreign_keys:
            options = {key: getattr(fk, key) for key in ("onupdate", "ondelete", "deferrable",
                                                           "initially", "match")
                       if getattr(fk, key) is not None}
            found.append(_with_options({
                "name": fk.name or fk.server_name, "constrained_columns": list(fk.columns),
                "referred_schema": fk.ref_schema, "referred_table": fk.ref_table,
                "referred_columns": list(fk.ref_columns), "options": options,
            }, fk.options))
        return found

    def get_indexes(self, connection: Any, table_name: str, schema: str | None = None,
                    **kw: Any) -> list[dict[str, Any]]:
        table = self._sqlcompile_tracked.existing(table_name, schema, "get_indexes()")
        found = []
        for index in table.indexes:
            info: dict[str, Any] = {
                "name": index.name, "unique": index.unique,
                "column_names": [None if p.expression else p.text for p in index.parts],
            }
            if any(p.expression for p in index.parts):
                info["expressions"] = [p.text for p in index.parts]
            found.append(_with_options(info, index.options))
        return found

    def has_index(self, connection: Any, table_name: str, index_name: str,
                  schema: str | None = None, **kw: Any) -> bool:
        table = self._sqlcompile_tracked.table(table_name, schema, "has_index()")
        return table is not None and any(i.name == index_name for i in table.indexes)

    def get_unique_constraints(self, connection: Any, table_name: str,
                               schema: str | None = None, **kw: Any) -> list[dict[str, Any]]:
        table = self._sqlcompile_tracked.existing(table_name, schema,
                                                  "get_unique_constraints()")
        return [_with_options({"name": u.name or u.server_name, "column_names": list(u.columns)},
                              u.options)
                for u in table.uniques]

    def get_check_constraints(self, connection: Any, table_name: str,
                              schema: str | None = None, **kw: Any) -> list[dict[str, Any]]:
        table = self._sqlcompile_tracked.existing(table_name, schema,
                                                  "get_check_constraints()")
        return [_with_options({"name": c.name or c.server_name, "sqltext": c.sqltext}, c.options)
                for c in table.checks]

    def get_table_comment(self, connection: Any, table_name: str, schema: str | None = None,
                          **kw: Any) -> dict[str, Any]:
        table = self._sqlcompile_tracked.existing(table_name, schema, "get_table_comment()")
        return {"text": table.comment}

    def get_table_options(self, connection: Any, table_name: str, schema: str | None = None,
                          **kw: Any) -> dict[str, Any]:
        """The options the history gave the table (what the server adds is not known)."""
        return dict(self._sqlcompile_tracked.existing(table_name, schema,
                                                      "get_table_options()").options)

    # -- types and schemas ---------------------------------------------------------------------
    def has_type(self, connection: Any, type_name: str, schema: str | None = None,
                 **kw: Any) -> bool:
        tracked = self._sqlcompile_tracked
        model = tracked.current("has_type()")
        return any((key, type_name) in model.enums for key in tracked.schemas(schema))

    def has_sequence(self, connection: Any, sequence_name: str, schema: str | None = None,
                     **kw: Any) -> bool:
        return sequence_name in self.get_sequence_names(connection, schema)

    def get_sequence_names(self, connection: Any, schema: str | None = None,
                           **kw: Any) -> list[str]:
        """The sequences raw SQL made (CREATE SEQUENCE, sa.schema.CreateSequence); not those
        a SERIAL or IDENTITY column makes, which SQLAlchemy's own inspector leaves out too."""
        tracked = self._sqlcompile_tracked
        keys = tracked.schemas(schema)
        model = tracked.current("inspector.get_sequence_names()")
        return sorted({o.name for o in model.objects.values()
                       if o.namespace == "sequence" and o.schema in keys})

    def has_schema(self, connection: Any, schema_name: str, **kw: Any) -> bool:
        tracked = self._sqlcompile_tracked
        if schema_name == tracked.default_schema():
            return True
        model = tracked.current("has_schema()")
        if any(key[0] == schema_name for key in (*model.tables, *model.enums)):
            return True
        raise tracked.live(f"has_schema({schema_name!r}) (the schema model knows a schema only "
                           "by the tables and types in it)")


def _multi(single: str) -> Callable[..., Any]:
    def multi(self: Any, connection: Any, **kw: Any) -> Any:
        return self._default_multi_reflect(getattr(self, single), connection, **kw)

    multi.__name__ = multi.__qualname__ = single.replace("get_", "get_multi_", 1)
    return multi


for _single in ("get_columns", "get_pk_constraint", "get_foreign_keys", "get_indexes",
                "get_unique_constraints", "get_check_constraints", "get_table_comment",
                "get_table_options"):
    setattr(ModelReflection, _single.replace("get_", "get_multi_", 1), _multi(_single))

#: What the model does not hold, each with why: reading it needs the database.
_NOT_MODELLED = {
    "get_view_names": "the schema model does not track views",
    "get_materialized_view_names": "the schema model does not track views",
    "get_view_definition": "the schema model does not track views",
    "get_schema_names": "the schema model knows a schema only by the tables and types in it",
}
#: Dialect methods that talk to a connection (DBAPI or SQLAlchemy's).
_CONNECTED = ("initialize", "on_connect", "connect", "do_ping", "get_isolation_level",
              "set_isolation_level", "get_default_isolation_level", "_get_server_version_info",
              "_get_default_schema_name", "get_driver_connection", "do_execute",
              "do_executemany", "do_execute_no_params", "do_begin", "do_commit", "do_rollback",
              "do_close", "do_terminate")


def _needs_server(name: str, why: str) -> Callable[..., Any]:
    """A method of the dialect (or of its inspector) that needs the database."""

    def refuse(self: Any, *args: Any, **kw: Any) -> Any:
        owner = getattr(self, "dialect", self)  # an inspector's answers come from its dialect
        raise owner._sqlcompile_tracked.live(f"{name}() ({why})")

    refuse.__name__ = refuse.__qualname__ = name
    return refuse


for _name in sorted(n for n in dir(interfaces.Dialect)
                    if n.startswith(("get_", "has_"))
                    and callable(getattr(interfaces.Dialect, n, None))
                    and not isinstance(interfaces.Dialect.__dict__.get(n), classmethod)
                    and n not in ModelReflection.__dict__ and n not in _CONNECTED
                    and n != "get_dialect_pool_class"):
    setattr(ModelReflection, _name, _needs_server(
        f"inspector.{_name}", _NOT_MODELLED.get(_name, "the schema model does not hold it")))
for _name in _CONNECTED:
    setattr(ModelReflection, _name, _needs_server(f"dialect.{_name}", "it talks to the server"))


class ModelInspector(reflection.Inspector):
    """`sa.inspect(op.get_bind())`: SQLAlchemy's Inspector over the model-backed dialect."""

    @property
    def default_schema_name(self) -> str | None:
        found: str | None = self.dialect.default_schema_name
        return found

    def reflect_table(self, table: sa.Table, *args: Any, **kw: Any) -> None:
        """`sa.Table(..., autoload_with=bind)`: SQLAlchemy's reflection from the model; a
        table the model lacks (the one named, or one its foreign keys lead to) raises
        :class:`TableNotInModel`."""
        try:
            super().reflect_table(table, *args, **kw)
        except sa.exc.NoSuchTableError as exc:
            if isinstance(exc, TableNotInModel):
                raise
            tracked: TrackedModel = getattr(self.dialect, "_sqlcompile_tracked")  # noqa: B009
            model = tracked._model
            raise TableNotInModel(table.fullname, _referencing(),
                                  tuple(model.failed) if model is not None else ()) from None


class EnumModelInspector(ModelInspector):
    """The inspector of a dialect whose enum types are schema objects of their own."""

    def get_enums(self, schema: str | None = None) -> list[dict[str, Any]]:
        """Enum types (where the dialect has them), as PostgreSQL's inspector lists them;
        ``schema="*"`` lists every schema's."""
        tracked: TrackedModel = getattr(self.dialect, "_sqlcompile_tracked")  # noqa: B009
        model = tracked.current("inspector.get_enums()")
        default = tracked.default_schema()
        keys = None if schema == "*" else tracked.schemas(schema)
        found = []
        for (key, name), enum in sorted(model.enums.items(), key=lambda e: (e[0][0] or "",
                                                                          e[0][1])):
            if keys is None or key in keys:
                found.append({"name": name, "schema": key or default,
                              "visible": key in (None, default), "labels": list(enum.values)})
        return found

    def has_type(self, type_name: str, schema: str | None = None, **kw: Any) -> bool:
        """Whether the model has the enum type ``type_name``."""
        found: bool = getattr(self.dialect, "has_type")(None, type_name, schema)  # noqa: B009
        return found


@cache
def _inspector_class(base: type[reflection.Inspector]) -> type[reflection.Inspector]:
    """``base`` (the dialect's own Inspector) answered from the model: its extra methods
    that read the catalog need the database, and enum types come from the model."""
    own = EnumModelInspector if hasattr(base, "get_enums") else ModelInspector
    extras = {name: _needs_server(f"inspector.{name}", "the schema model does not hold it")
              for name, value in vars(base).items()
              if callable(value) and not name.startswith("_") and not hasattr(own, name)}
    return type(f"Model{base.__name__}", (own, base), extras)


@cache
def _dialect_class(base: type) -> type:
    inspector = _inspector_class(getattr(base, "inspector", reflection.Inspector))
    return type(f"Offline{base.__name__}", (ModelReflection, base),
                {"inspector": inspector, "__module__": __name__})


def offline_dialect(real: Any, tracked: TrackedModel) -> Any:
    """A copy of the SQLAlchemy dialect ``real`` whose schema reads come from ``tracked``."""
    cls: Any = type(real)
    dialect: Any = object.__new__(_dialect_class(cls))
    dialect.__dict__.update(real.__dict__)
    for name in ("server_version_info", "default_schema_name"):
        dialect.__dict__.pop(name, None)
    dialect._sqlcompile_tracked = tracked
    dialect._sqlcompile_real = real
    dialect.name = _shown_name(real.name, tracked)
    return dialect


def _shown_name(name: str, tracked: TrackedModel) -> str:
    """`bind.dialect.name`: for a target whose server goes by other names too (its dialect's
    ``option_aliases``, e.g. a MariaDB reached by mysql:// URLs), the configured url's
    backend when it is one of those, as SQLAlchemy names the dialect of that url; else the
    target's name, which without a url notices the script comparing it with one of those
    (see WatchedName)."""
    from sqlcompile.sources.proxy import WatchedName

    others = tuple(sorted(alias for alias in tracked._recorder.dialect.option_aliases
                          if alias != name))
    if not others:
        return name
    url = tracked.url
    if url.get_backend_name() in others:
        return url.get_backend_name()
    if url != sa.make_url(f"{name}://"):
        return name  # the config's url names this target: how the server is reached is known
    return WatchedName(name, others, tracked._recorder.notice_name)


def inspector_for(bind: Any) -> reflection.Inspector:
    """The inspector `sa.inspect()` returns for the offline connection or engine."""
    init = reflection.Inspector._init_connection if hasattr(bind, "exec_driver_sql") \
        else reflection.Inspector._init_engine
    return reflection.Inspector._construct(init, bind)
