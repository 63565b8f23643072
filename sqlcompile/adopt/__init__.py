"""`sqlcompile init --from-alembic`: the sqlcompile.toml equivalent to an Alembic project.

Reads `alembic.ini` as Alembic does (section `[alembic]`, then `[tool.alembic]` of
pyproject.toml, `%(here)s` interpolation, Alembic's own splitting of `version_locations`) and
the project's env.py statically (see :mod:`sqlcompile.adopt.envpy`), and renders the settings
as TOML. The scripts stay where they are: the config points at them.
"""

from __future__ import annotations

import configparser
import importlib.util
import os
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

from sqlcompile.adopt.common import (
    ALEMBIC_VERSION_TABLE,
    INI_FILE,
    MAIN_SECTION,
    Adopted,
    ini_value,
    put,
    rel,
)
from sqlcompile.adopt.envpy import read_env
from sqlcompile.config import CONFIG_FILE, coerce_setting, find_config
from sqlcompile.errors import ConfigError

__all__ = ["Adopted", "adopt", "read_alembic", "render_toml"]

#: `[alembic]` keys Alembic itself reads; any other key is the project's own and is carried
#: over in `main_options` (scripts read it with `config.get_main_option`).
ALEMBIC_KEYS = frozenset({
    "script_location", "prepend_sys_path", "version_locations", "path_separator",
    "version_path_separator", "sqlalchemy.url", "file_template", "timezone",
    "truncate_slug_length", "revision_environment", "sourceless", "output_encoding",
    "recursive_version_locations", "databases", "here",
})
#: Sections of the logging configuration, which alembic.ini shares.
_LOGGING = re.compile(r"(loggers|handlers|formatters|logger_.*|handler_.*|formatter_.*"
                      r"|post_write_hooks)$")
#: Alembic's `path_separator` / `version_path_separator` values.
_SEPARATORS = {"space": " ", "newline": "\n", "os": os.pathsep, ":": ":", ";": ";"}
#: Alembic's split of `version_locations` when no separator is configured.
_LEGACY_SPLIT = re.compile(r", *|(?: +)")
#: ... and of `prepend_sys_path`, which also splits at colons.
_LEGACY_SYS_PATH_SPLIT = re.compile(r", *|(?: +)|\:")


def _parser(ini: Path, root: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser({"here": root.resolve().as_posix()})
    try:
        text = ini.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text: {exc}", path=ini, hint="save the file as UTF-8") \
            from None
    except OSError as exc:
        raise ConfigError(f"cannot read the file: {exc.strerror or exc}", path=ini) from None
    try:
        parser.read_string(text, source=str(ini))
    except configparser.MissingSectionHeaderError as exc:
        raise ConfigError("not an ini file: text before the first [section] header", path=ini,
                          line=exc.lineno, hint="alembic.ini starts with an [alembic] "
                                                "section") from None
    except configparser.ParsingError as exc:
        line = exc.errors[0][0] if exc.errors else None
        raise ConfigError("cannot parse this line of the ini file", path=ini, line=line,
                          hint="each line is `key = value`, a [section] header, or a "
                               "comment") from None
    except configparser.Error as exc:
        raise ConfigError(f"not a valid ini file: {exc.message}", path=ini,
                          line=getattr(exc, "lineno", None)) from None
    return parser


def _split_locations(value: str, separator: str | None, ini: Path,
                     legacy: re.Pattern[str]) -> list[str]:
    if separator is None:
        return [part for part in legacy.split(value) if part.strip()]
    if separator not in _SEPARATORS:
        raise ConfigError(f"path_separator {separator!r} is not one Alembic knows", path=ini,
                          hint="use one of: " + ", ".join(sorted(_SEPARATORS)))
    return [part.strip() for part in value.split(_SEPARATORS[separator]) if part.strip()]


def _package_folder(location: str, root: Path, sys_paths: list[str], ini: Path) -> Path:
    """The folder of a `package:path` script_location, found without running the package."""
    package, *parts = location.split(":")
    added = [str(root / entry) for entry in [*sys_paths, "."]]
    sys.path[:0] = added
    try:
        spec = importlib.util.find_spec(package) if package else None
    except (ImportError, ValueError):
        spec = None
    finally:
        del sys.path[:len(added)]
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    if not folders:
        raise ConfigError(f"script_location {location!r} names package {package!r}, which "
                          "cannot be found", path=ini,
                          hint="write script_location as a folder path instead")
    return Path(folders[0]).joinpath(*parts)


def _dialect_of(url: str) -> str | None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from sqlcompile.dialects import known_dialects

    try:
        backend = make_url(url).get_backend_name()
    except (ArgumentError, ValueError):
        return None
    backend = {"postgres": "postgresql"}.get(backend, backend)
    return backend if backend in known_dialects() else None


def _shown_url(url: str) -> str:
    """``url`` with its password hidden, for what is printed."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return re.sub(r":[^:@/]*@", ":***@", url)


class _Options:
    """Alembic's options as `Config.get_alembic_option` finds them: `[alembic]` of the ini
    first, then `[tool.alembic]` of pyproject.toml (Alembic 1.16 and later)."""

    def __init__(self, root: Path, ini: Path, parser: configparser.ConfigParser,
                 table: dict[str, Any]) -> None:
        self.root, self.ini, self.parser, self.table = root, ini, parser, table

    def where(self, key: str) -> str:
        if self.parser.has_option(MAIN_SECTION, key) or key not in self.table:
            return f"{INI_FILE} [{MAIN_SECTION}]"
        return "pyproject.toml [tool.alembic]"

    def _substituted(self, key: str, value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if not isinstance(value, str):
            raise ConfigError(f"`{key}` must be a string, got {value!r}",
                              path=self.root / "pyproject.toml", hint="[tool.alembic]")
        try:
            return value % {"here": self.root.resolve().as_posix()}
        except (KeyError, ValueError, TypeError):
            raise ConfigError(f"[tool.alembic] {key}: bad %-substitution in {value!r}",
                              path=self.root / "pyproject.toml",
                              hint="write a literal % as %%; %(here)s is the folder of "
                                   "pyproject.toml") from None

    def get(self, key: str, section: str = MAIN_SECTION) -> str | None:
        value = ini_value(self.parser, self.ini, section, key)
        if value is None and section == MAIN_SECTION and key in self.table:
            value = self._substituted(key, self.table[key])
        return value

    def get_list(self, key: str, legacy: re.Pattern[str]) -> list[str]:
        """A list option: split as Alembic splits the ini's text, or the TOML list."""
        text = ini_value(self.parser, self.ini, MAIN_SECTION, key)
        if text:
            separator = self.get("path_separator")
            if separator is None and key == "version_locations":
                separator = self.get("version_path_separator")
            return _split_locations(text, separator, self.ini, legacy)
        value = self.table.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise ConfigError(f"`{key}` must be a list of strings, got {value!r}",
                              path=self.root / "pyproject.toml", hint="[tool.alembic]")
        return [self._substituted(key, item) for item in value]


def _tool_alembic(root: Path) -> dict[str, Any]:
    path = root / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read [tool.alembic]: {exc}", path=path) from None
    table = data.get("tool", {}).get("alembic", {}) if isinstance(data.get("tool"), dict) \
        else {}
    return table if isinstance(table, dict) else {}


def read_alembic(root: Path) -> Adopted:
    """Read ``root``/alembic.ini (and [tool.alembic] of pyproject.toml) and the project's env.py
    into sqlcompile settings."""
    ini = root / INI_FILE
    if not ini.is_file():
        raise ConfigError(f"no {INI_FILE} in {root}", hint="run this in the folder holding "
                          f"{INI_FILE}, or give it: sqlcompile init --from-alembic DIR")
    parser = _parser(ini, root)
    table = _tool_alembic(root)
    if not parser.has_section(MAIN_SECTION) and not table:
        raise ConfigError(f"no [{MAIN_SECTION}] section", path=ini,
                          hint="Alembic reads its settings from [alembic]")
    if not parser.has_section(MAIN_SECTION):
        parser.add_section(MAIN_SECTION)
    options = _Options(root, ini, parser, table)
    adopted = Adopted(root=root)

    location = options.get("script_location")
    where = options.where("script_location")
    if not location:
        raise ConfigError(f"[{MAIN_SECTION}] has no script_location", path=ini,
                          hint="script_location = the folder holding env.py and versions/")
    sys_paths = options.get_list("prepend_sys_path", _LEGACY_SYS_PATH_SPLIT)
    if not Path(location).is_absolute() and ":" in location:
        folder = _package_folder(location, root, sys_paths, ini)
        adopted.read.append(f"script_location = {location} ({where}), package folder {folder}")
        location = folder.as_posix()
    script_location = rel(root, location)
    if not (root / script_location).is_dir():
        raise ConfigError(f"script_location {script_location!r} is not a folder", path=ini,
                          hint="point it at the folder holding env.py and versions/")
    put(adopted, "script_location", script_location, where)

    _read_locations(adopted, options, script_location)
    _read_urls(adopted, parser, options.get, ini)
    # Alembic itself reads no version_table from the ini: only what env.py passes counts.
    adopted.settings["version_table"] = ALEMBIC_VERSION_TABLE
    if options.get("file_template") is not None:
        adopted.notes.append(f"file_template ({options.where('file_template')}) is not "
                             "carried over: new scripts are named REVISION_SLUG.py")
    if sys_paths:  # relative to the ini's folder (%(here)s), which is the project's root
        put(adopted, "prepend_sys_path", [rel(root, entry) for entry in sys_paths],
            options.where("prepend_sys_path"))
    own = {key: value for key in parser.options(MAIN_SECTION)
           if key not in ALEMBIC_KEYS and key != "version_table"
           and (value := options.get(key)) is not None}
    if own:
        put(adopted, "main_options", own, f"{INI_FILE} [{MAIN_SECTION}]")
    read_env(adopted, root / script_location / "env.py", parser, ini, sys_paths)
    return adopted


def _read_locations(adopted: Adopted, options: _Options, script_location: str) -> None:
    folders = [rel(adopted.root, part)
               for part in options.get_list("version_locations", _LEGACY_SPLIT)]
    if (options.get("recursive_version_locations") or "") == "true":
        tops = folders or [f"{script_location}/versions"]
        folders = []
        for top in tops:
            base = adopted.root / top
            below = sorted({path.parent for path in base.rglob("*.py")
                            if "__pycache__" not in path.parts} - {base})
            folders += [top, *(f"{top}/{sub.relative_to(base).as_posix()}" for sub in below)]
        adopted.notes.append("recursive_version_locations: the folders holding scripts now "
                             "are listed in version_locations; add new subfolders by hand")
    if folders:
        put(adopted, "version_locations", folders, options.where("version_locations"))


def _read_urls(adopted: Adopted, parser: configparser.ConfigParser, get: Any,
               ini: Path) -> None:
    dialects: list[str] = []
    url = get("sqlalchemy.url")
    if url:
        dialect = _dialect_of(url)
        if dialect is None:
            adopted.notes.append(f"sqlalchemy.url {_shown_url(url)!r} "
                                 f"({INI_FILE} [{MAIN_SECTION}]) names no dialect sqlcompile "
                                 "knows; it is not carried over")
        else:
            dialects.append(dialect)
            put(adopted, "url", url, f"{INI_FILE} [{MAIN_SECTION}]", _shown_url(url))
    for section in parser.sections():
        if section == MAIN_SECTION or _LOGGING.match(section):
            continue
        other = get("sqlalchemy.url", section)
        if not other:
            continue
        dialect = _dialect_of(other)
        if dialect is None:
            adopted.notes.append(f"sqlalchemy.url {_shown_url(other)!r} "
                                 f"({INI_FILE} [{section}]) names no dialect sqlcompile "
                                 "knows; it is not carried over")
            continue
        dialects.append(dialect)
        where = f"{INI_FILE} [{section}]"
        adopted.environments[section] = {"dialect": dialect,
                                         "url": coerce_setting("url", other, where)}
        adopted.read.append(f"environment {section}: url = {_shown_url(other)} ({where})")
    if get("databases"):
        adopted.notes.append("databases (Alembic's multidb template): each database is an "
                             "environment; scripts' upgrade_<name>() functions are not run")
    if "mysql" in dialects:
        adopted.notes.append("a mysql URL: if the server is MariaDB, write dialect mariadb")
    if dialects:
        adopted.settings["dialects"] = coerce_setting("dialects", dialects, INI_FILE)
        adopted.read.append(f"dialects = {list(adopted.settings['dialects'])!r} (from the "
                            "URLs)")
    else:
        adopted.notes.append("no sqlalchemy.url names a dialect: dialects is postgresql; "
                             "set dialects by hand (or pass --dialect)")


def _toml_string(text: str) -> str:
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(char, f"\\u{ord(char):04x}"))
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_string(k)} = {_toml_value(v)}"
                                for k, v in value.items()) + " }"
    raise AssertionError(type(value))


def render_toml(adopted: Adopted) -> str:
    """The sqlcompile.toml text; it reads back as exactly the adopted settings."""
    lines = [f"# sqlcompile settings, read from the Alembic project's {INI_FILE} and env.py",
             "# by `sqlcompile init --from-alembic`. The scripts stay where they are."]
    settings = dict(adopted.settings)
    if isinstance(settings.get("main_options"), tuple):
        settings["main_options"] = dict(settings["main_options"])
    for key, value in settings.items():
        lines.append(f"{key} = {_toml_value(value)}")
    if "target_metadata" not in settings:
        lines.append('# target_metadata = "myapp.models:metadata"')
    for name, table in adopted.environments.items():
        lines += ["", f"[environments.{_toml_string(name)}]"]
        lines += [f"{key} = {_toml_value(value)}" for key, value in table.items()]
    text = "\n".join(lines) + "\n"
    expected = {key: list(value) if isinstance(value, tuple) else value
                for key, value in settings.items()}
    if adopted.environments:
        expected["environments"] = adopted.environments
    if tomllib.loads(text) != expected:
        raise AssertionError("the rendered sqlcompile.toml does not read back as written")
    return text


def adopt(root: Path, dialects: tuple[str, ...] = ()) -> tuple[Path, Adopted]:
    """Write ``root``/sqlcompile.toml from the Alembic project there (never over a config);
    ``dialects`` (from --dialect) replace the ones the URLs name."""
    from sqlcompile.pipeline.output import write_atomic

    existing = find_config(root)
    if existing is not None:
        raise ConfigError("a sqlcompile config exists already; nothing was changed",
                          path=existing, hint="remove it first, or edit it by hand")
    adopted = read_alembic(root)
    if dialects:
        adopted.settings["dialects"] = coerce_setting("dialects", list(dialects), "--dialect")
        adopted.read.append(f"dialects = {list(adopted.settings['dialects'])!r} (--dialect)")
        adopted.notes = [note for note in adopted.notes if "set dialects by hand" not in note]
    text = render_toml(adopted)
    path = root / CONFIG_FILE
    write_atomic(path, text)
    return path, adopted
