"""Settings from `[tool.sqlcompile]` in pyproject.toml or sqlcompile.toml, with environments."""

from __future__ import annotations

import re
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
    #: Seconds a file waits for the migration lock (another apply holding it) before it
    #: stops, having changed nothing.
    lock_timeout: int = 60
    target_metadata: str | None = None
    url: str | None = None
    main_options: tuple[tuple[str, str], ...] = ()
    x_arguments: tuple[str, ...] = ()
    #: Revisions whose downgrade is irreversible: their downgrade files refuse to run (see
    #: pipeline/compiler.py `record`), whatever the script's downgrade() does.
    irreversible: tuple[str, ...] = ()
    #: Folders holding migration scripts, as Alembic's `version_locations` (relative to the
    #: root); empty: `<script_location>/versions`.
    version_locations: tuple[str, ...] = ()
    #: Folders put in front of sys.path while the project's code runs (scripts loading and
    #: running, in forked workers too), as Alembic's `prepend_sys_path` (relative to the root).
    prepend_sys_path: tuple[str, ...] = ()
    #: The revision every database already has (adopting an existing history): it and its
    #: ancestors get no files, only replayed into the schema model, and `baseline.sql` creates
    #: a database directly at it (see pipeline/render.py `render_baseline`).
    baseline: str | None = None
    env: str | None = None

    @property
    def scripts_dir(self) -> Path:
        """Folder new migration scripts go to: the first version location, else Alembic's
        `<script_location>/versions/`."""
        return self.version_dirs[0]

    @property
    def version_dirs(self) -> tuple[Path, ...]:
        """Every folder holding migration scripts (one history across them)."""
        if self.version_locations:
            return tuple(self.root / location for location in self.version_locations)
        return (self.root / self.script_location / "versions",)

    @property
    def sys_path_dirs(self) -> tuple[Path, ...]:
        """The `prepend_sys_path` folders, as absolute paths."""
        return tuple((self.root / entry).resolve() for entry in self.prepend_sys_path)

    @property
    def output_path(self) -> Path:
        """Folder the compiled SQL is written to."""
        return self.root / self.output_dir

    def hand_written_sql(self, dialect: str, revision: str, direction: str) -> Path:
        """Where a hand-written replacement for a revision's compiled SQL lives."""
        return self.root / self.script_location / "sql" / dialect / f"{revision}.{direction}.sql"

    @property
    def source_name(self) -> str:
        """How messages name the config file: relative to the root when it is under it."""
        if self.source is None:
            return "the config"
        path = self.source.resolve()
        return path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) \
            else path.as_posix()

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


#: How each setting is written, for the hint of an error about its value.
_EXAMPLES = {
    "script_location": 'script_location = "migrations"',
    "output_dir": 'output_dir = "sql_out"',
    "dialects": 'dialects = ["postgresql", "sqlite"]',
    "version_table": 'version_table = "sqlcompile_version"',
    "version_table_schema": 'version_table_schema = "public"',
    "transaction_per_migration": "transaction_per_migration = true",
    "lock_timeout": "lock_timeout = 60",
    "target_metadata": 'target_metadata = "myapp.models:metadata"',
    "url": 'url = "postgresql+psycopg://app@db/app"',
    "main_options": 'main_options = { "my.option" = "value" }',
    "x_arguments": 'x_arguments = ["tenant=acme"]',
    "irreversible": 'irreversible = ["1975ea83b712"]',
    "version_locations": 'version_locations = ["migrations/versions", "plugins/versions"]',
    "prepend_sys_path": 'prepend_sys_path = ["."]',
    "baseline": 'baseline = "1975ea83b712"',
}


def coerce_setting(key: str, value: Any, where: str) -> Any:
    """Check one setting's value and convert it to the type `Config` holds."""
    try:
        return _coerce(key, value, where)
    except ConfigError as exc:
        if exc.hint is None and key in _EXAMPLES:
            exc.hint = f"for example: {_EXAMPLES[key]}"
        raise


def _coerce(key: str, value: Any, where: str) -> Any:
    if key in ("script_location", "output_dir", "version_table"):
        return _check_str(key, value, where)
    if key in ("version_table_schema", "target_metadata", "url", "baseline"):
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
    if key == "lock_timeout":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 86400:
            raise ConfigError(f"`{key}` must be a whole number of seconds from 1 to 86400, "
                              f"got {value!r}", path=where)
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
    if key == "version_locations":
        if isinstance(value, str):  # Alembic's ini takes a space- or comma-separated list
            value = [part for part in value.replace(",", " ").split() if part]
        if not isinstance(value, list) or not value or not all(
                isinstance(v, str) and v for v in value):
            raise ConfigError("`version_locations` must be a non-empty list of folders, got "
                              f"{value!r}", path=where)
        return tuple(dict.fromkeys(value))
    if key == "prepend_sys_path":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError("`prepend_sys_path` must be a list of folders, got "
                              f"{value!r}", path=where)
        return tuple(dict.fromkeys(value))
    if key == "irreversible":
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f"`irreversible` must be a list of revision ids, got {value!r}",
                              path=where)
        return tuple(dict.fromkeys(value))
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
        found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        raise ConfigError(f"not valid TOML: {exc}", path=path,
                          line=int(found.group(1)) if found else None,
                          hint="fix the syntax there (https://toml.io describes TOML)") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text: {exc}", path=path,
                          hint="save the file as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"cannot read the config file: {exc.strerror or exc}", path=path,
                          hint="make it readable, or point --config elsewhere") from None
    if path.name == PYPROJECT:
        tool = data.get("tool")
        if tool is None:
            return None
        if not isinstance(tool, dict):
            raise ConfigError(f"`tool` must be a table, got {tool!r}", path=path,
                              hint="tools' settings go under [tool.NAME] headers")
        table = tool.get("sqlcompile")
        if table is not None and not isinstance(table, dict):
            raise ConfigError(f"`tool.sqlcompile` must be a table of settings, got {table!r}",
                              path=path, hint="write the settings under a [tool.sqlcompile] "
                                              "header")
        return table
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
        raise ConfigError("is a folder, not a config file" if path.is_dir()
                          else "config file not found", path=path,
                          hint=f"point --config at a {CONFIG_FILE} or {PYPROJECT} file")
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
        raise ConfigError("`environments` must be a table of tables", path=where,
                          hint="write each environment under an [environments.NAME] header")
    if env is not None:
        if env not in environments:
            known = ", ".join(sorted(environments)) or "none defined"
            raise ConfigError(f"unknown environment {env!r}", path=where, hint=f"known: {known}")
        if not isinstance(environments[env], dict):
            raise ConfigError(f"environment {env!r} must be a table of settings", path=where,
                              hint=f"write its settings under an [environments.{env}] header")
        config = _apply(config, environments[env], f"{where} [environments.{env}]")
        config = replace(config, env=env)
    if x_arguments:
        config = replace(config, x_arguments=x_arguments)
    return config
