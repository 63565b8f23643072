"""The models' side of a comparison: `target_metadata` imported and read into a schema model."""

from __future__ import annotations

import importlib
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from sqlcompile.errors import ConfigError, ScriptError
from sqlcompile.schema.convert import created_on, ddl_dialects, table_from_sa
from sqlcompile.schema.model import Schema, TableKey, TableModel
from sqlcompile.sources.scripts import escape_error, is_script_failure, user_code

if TYPE_CHECKING:
    from sqlcompile.config import Config
    from sqlcompile.dialects.base import DialectSupport


@dataclass
class Target:
    """The models as a schema model for one dialect, with the SQLAlchemy tables they came from
    (a script restates server defaults as the models wrote them, not as one dialect renders
    them)."""

    schema: Schema
    tables: dict[TableKey, sa.Table] = field(default_factory=dict)
    #: tables with the keys and indexes of every dialect (``ddl_if`` ignored), where they differ
    every_dialect: dict[TableKey, TableModel] = field(default_factory=dict)
    #: keys and indexes restricted with ``ddl_if(dialect=...)`` (by :func:`item_key`): the
    #: dialects they are for
    restrictions: dict[Any, tuple[str, ...]] = field(default_factory=dict)

    def only(self, item: Any) -> tuple[str, ...] | None:
        """The dialects a key or index of the models is restricted to (None: every one)."""
        return self.restrictions.get(item_key(item))

    def column(self, key: TableKey, name: str) -> sa.Column[Any] | None:
        table = self.tables.get(key)
        return table.c.get(name) if table is not None else None


def load_metadata(config: Config, setting: str | None = None) -> sa.MetaData:
    """Import ``module:attribute`` (the `target_metadata` setting) with the project's
    `prepend_sys_path` folders and its root first on sys.path; the attribute may be a
    MetaData or a declarative base (its ``.metadata``)."""
    spec = setting or config.target_metadata
    where = str(config.source) if config.source else None
    if not spec:
        raise ConfigError(
            "autogenerate needs the models: `target_metadata` is not set", path=where,
            hint='set target_metadata = "package.models:metadata" in the config file')
    module_name, _, attribute = spec.partition(":")
    root = str(config.root)
    # The project root, then its `prepend_sys_path` folders, as when its scripts load.
    added = [entry for entry in dict.fromkeys([*map(str, config.sys_path_dirs), root])
             if entry not in sys.path]
    sys.path[:0] = added
    try:
        with user_code():
            module = importlib.import_module(module_name)
    except ImportError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise ConfigError(f"target_metadata: cannot import module {module_name!r}",
                              path=where, hint=f"it is looked up from {root} and sys.path"
                              ) from None
        raise _import_error(exc, module_name) from None
    except BaseException as exc:
        if not is_script_failure(exc):
            raise
        raise _import_error(exc, module_name) from None
    finally:
        for entry in added:
            if entry in sys.path:
                sys.path.remove(entry)
    value = module
    for part in attribute.split("."):
        if not hasattr(value, part):
            raise ConfigError(f"target_metadata: module {module_name!r} has no {attribute!r}",
                              path=where)
        value = getattr(value, part)
    if not isinstance(value, sa.MetaData):
        value = getattr(value, "metadata", value)
    if not isinstance(value, sa.MetaData):
        raise ConfigError(f"target_metadata: {spec} is a {type(value).__name__}, not a "
                          "MetaData or a declarative base", path=where)
    return value


def _import_error(exc: BaseException, module_name: str) -> ScriptError:
    """The error raised while importing the models, at its line in the user's code."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if "importlib" not in f.filename]
    last = frames[-1] if frames else None
    escape = escape_error(exc, f"importing the models ({module_name})",
                          last.filename if last else None, last.lineno if last else None,
                          who="their code")
    if escape is not None:
        return escape
    return ScriptError(f"importing the models ({module_name}) failed: "
                       f"{type(exc).__name__}: {exc}",
                       path=last.filename if last else None, line=last.lineno if last else None)


def target_schema(metadata: sa.MetaData, dialect: DialectSupport) -> Target:
    """The models as the schema model for ``dialect``."""
    schema = Schema(dialect)
    target = Target(schema)
    for table in sorted(metadata.tables.values(), key=lambda t: (t.schema or "", t.name)):
        model = table_from_sa(table, dialect, include=lambda item: created_on(item, dialect))
        schema.put(model)
        target.tables[model.key] = table
        restricted = _keys_and_indexes(table, ddl_dialects)
        if restricted:
            target.every_dialect[model.key] = dialect.name_defaults(table_from_sa(table, dialect))
        for item in restricted:
            alone = table_from_sa(table, dialect, include=_only(item))
            for found in (*alone.indexes, *alone.checks, *alone.uniques, *alone.foreign_keys):
                target.restrictions[item_key(found)] = ddl_dialects(item)
        for column in table.columns:
            enum = dialect.named_enum(column.type)
            if enum is not None and (enum.schema, enum.name) not in schema.enums:
                schema.put_enum(enum)
    return target


def item_key(item: Any) -> Any:
    """A key or index of the model as a dict key: itself, or its text where a dialect option
    holds a list or a dict (``postgresql_include=[...]``, ``postgresql_with={...}``)."""
    try:
        hash(item)
    except TypeError:
        return (type(item).__name__, repr(item))
    return item


def _only(item: Any) -> Callable[[Any], bool]:
    return lambda other: other is item


def _keys_and_indexes(table: sa.Table, which: Callable[[Any], Any]) -> list[Any]:
    """The table's constraints and indexes that ``which`` accepts, by kind then name."""
    found = {*table.constraints, *table.indexes,
             *(c for column in table.columns for c in column.constraints)}
    return sorted((c for c in found if which(c)), key=lambda c: (type(c).__name__, str(c.name)))
