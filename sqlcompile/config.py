"""Settings from `[tool.sqlcompile]` in pyproject.toml or sqlcompile.toml, with environments."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from sqlcompile.dialects import DEFAULT_DIALECT
from sqlcompile.errors import ConfigError

CONFIG_FILE = "sqlcompile.toml"
PYPROJECT = "pyproject.toml"


@dataclass(frozen=True)
class Config:
    """Resolved settings; paths are relative to ``root`` (the folder holding the config file)."""

    root: Path = field(default_factory=Path.cwd)
    source: Path | None = None
    script_location: str = "migrations"
    output_dir: str = "sql_out"
    dialects: tuple[str, ...] = (DEFAULT_DIALECT,)
    version_table: str = "sqlcompile_version"
    version_table_schema: str | None = None
    transaction_per_migration: bool = True
    target_metadata: str | None = None
    url: str | None = None
    main_options: tuple[tuple[str, str], ...] = ()
    x_arguments: tuple[str, ...] = ()
    env: str | None = None

    @property
    def scripts_dir(self) -> Path:
        """Folder holding the migration scripts (Alembic's `versions/`)."""
        return self.root / self.script_location / "versions"

    @property
    def output_path(self) -> Path:
        """Folder the compiled SQL is written to."""
        return self.root / self.output_dir

    def hand_written_sql(self, dialect: str, revision: str, direction: str) -> Path:
        """Where a hand-written replacement for a revision's compiled SQL lives."""
        return self.root / self.script_location / "sql" / dialect / f"{revision}.{direction}.sql"

    def main_option(self, name: str, default: str | None = None) -> str | None:
        """Answer `config.get_main_option()` the way Alembic's ini file would."""
        if name == "script_location":
            return self.script_location
        if name == "sqlalchemy.url":
            return self.url if self.url is not None else default
        return dict(self.main_options).get(name, default)


def _check_str(key: str, value: Any, where: str, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigError(f"`{key}` must be a non-empty string, got {value!r}", path=where)
    return value


def coerce_setting(key: str, value: Any, where: str) -> Any:
    """Check one setting's value and convert it to the type `Config` holds."""
    if key in ("script_location", "output_dir", "version_table"):
        return _check_str(key, value, where)
    if key in ("version_table_schema", "target_metadata", "url"):
        text = _check_str(key, value, where, optional=True)
        if key == "target_metadata" and text is not None and ":" not in text:
            raise ConfigError(
                f"`target_metadata` must look like `module:attribute`, got {value!r}", path=where
            )
        return text
    if key == "transaction_per_migration":
        if not isinstance(value, bool):
            raise ConfigError(f"`{key}` must be true or false, got {value!r}", path=where)
        return value
    if key == "dialects":
        from sqlcompile.dialects import known_dialects

        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value:
            raise ConfigError(f"`dialects` must be a non-empty list, got {value!r}", path=where)
        for name in value:
            if name not in known_dialects():
                raise ConfigError(
                    f"`dialects` names unknown dialect {name!r}",
                    path=where,
                    hint=f"known dialects: {', '.join(known_dialects())}",
                )
        return tuple(dict.fromkeys(value))
    if key == "main_options":
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ConfigError("`main_options` must be a table of strings", path=where)
        return tuple(sorted(value.items()))
    if key == "x_arguments":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError("`x_arguments` must be a list of strings", path=where)
        return tuple(value)
    raise AssertionError(key)


_KEYS = frozenset(f.name for f in fields(Config)) - {"root", "source", "env"}


def _apply(config: Config, table: dict[str, Any], where: str) -> Config:
    changes: dict[str, Any] = {}
    for key, value in table.items():
        if key == "environments":
            continue
        if key == "dialect":  # an environment naming its single target
            key = "dialects"
        if key not in _KEYS:
            raise ConfigError(
                f"unknown setting `{key}`",
                path=where,
                hint=f"known settings: {', '.join(sorted(_KEYS))}",
            )
        changes[key] = coerce_setting(key, value, where)
    return replace(config, **changes)


def _read_table(path: Path) -> dict[str, Any] | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=path) from None
    if path.name == PYPROJECT:
        table = data.get("tool", {}).get("sqlcompile")
        return table if isinstance(table, dict) else None
    return data


def find_config(cwd: Path) -> Path | None:
    """The config file in ``cwd``: sqlcompile.toml first, then a pyproject.toml with our table."""
    candidate = cwd / CONFIG_FILE
    if candidate.is_file():
        return candidate
    candidate = cwd / PYPROJECT
    if candidate.is_file() and _read_table(candidate) is not None:
        return candidate
    return None


def load_config(
    path: Path | None = None,
    *,
    env: str | None = None,
    cwd: Path | None = None,
    x_arguments: tuple[str, ...] = (),
) -> Config:
    """Read settings from ``path`` (or the config found in ``cwd``), then environment ``env``."""
    cwd = cwd or Path.cwd()
    if path is not None and not path.is_file():
        raise ConfigError("config file not found", path=path)
    path = path or find_config(cwd)
    if path is None:
        config = Config(root=cwd.resolve())
        if env is not None:
            raise ConfigError(
                f"environment {env!r} requested but no config file was found in {cwd}",
                hint=f"create {CONFIG_FILE} (sqlcompile init does)",
            )
        return replace(config, x_arguments=x_arguments or config.x_arguments)
    table = _read_table(path) or {}
    where = str(path)
    config = _apply(Config(root=path.parent.resolve(), source=path), table, where)
    environments = table.get("environments", {})
    if not isinstance(environments, dict):
        raise ConfigError("`environments` must be a table of tables", path=where)
    if env is not None:
        if env not in environments:
            known = ", ".join(sorted(environments)) or "none defined"
            raise ConfigError(f"unknown environment {env!r}", path=where, hint=f"known: {known}")
        if not isinstance(environments[env], dict):
            raise ConfigError(f"environment {env!r} must be a table of settings", path=where)
        config = _apply(config, environments[env], f"{where} [environments.{env}]")
        config = replace(config, env=env)
    if x_arguments:
        config = replace(config, x_arguments=x_arguments)
    return config
