"""Target dialects: the only package where dialect names appear. One module per dialect."""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlcompile.dialects.base import DialectSupport

# name -> module under sqlcompile.dialects; modules are imported only when used.
_MODULES = {
    "postgresql": "postgresql",
    "mariadb": "mariadb",
    "mysql": "mysql",
    "mssql": "mssql",
    "oracle": "oracle",
    "sqlite": "sqlite",
}


#: The dialect a new project targets, and the database the dev loop uses when none is configured
#: (a file beside the config, so `sqlcompile upgrade` works out of the box).
DEFAULT_DIALECT = "postgresql"
DEFAULT_DEV_URL = "sqlite:///sqlcompile_dev.db"


def known_dialects() -> list[str]:
    """Names accepted by `--dialect` and the `dialects` setting, sorted."""
    return sorted(_MODULES)


@cache
def get_dialect(name: str) -> DialectSupport:
    """The support object for dialect ``name`` (imported on first use)."""
    from sqlcompile.errors import ConfigError

    if name not in _MODULES:
        raise ConfigError(
            f"unknown dialect {name!r}", hint=f"known dialects: {', '.join(known_dialects())}"
        )
    module = importlib.import_module(f"sqlcompile.dialects.{_MODULES[name]}")
    support: DialectSupport = module.DIALECT
    return support


def enum_type_dialect() -> DialectSupport:
    """The dialect whose enum types are schema objects of their own (CREATE TYPE), whose
    values a script changes with statements of their own."""
    return get_dialect("postgresql")


def conversion_options(column: str, type_: Any) -> dict[str, str]:
    """The alter_column options every dialect needs to convert ``column``'s values to a type
    of another kind (a script runs on each configured dialect)."""
    options: dict[str, str] = {}
    for name in known_dialects():
        options.update(get_dialect(name).conversion_options(column, type_))
    return dict(sorted(options.items()))
