"""What reading an Alembic project produces, and the helpers its readers share."""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlcompile.config import coerce_setting
from sqlcompile.errors import ConfigError

INI_FILE = "alembic.ini"
MAIN_SECTION = "alembic"
#: What Alembic's version table is called when env.py does not name another.
ALEMBIC_VERSION_TABLE = "alembic_version"


@dataclass
class Adopted:
    """What was read from an Alembic project: settings in the order they are written, one
    environment per extra ini section with a URL, and what was read or left out (for stderr)."""

    root: Path
    settings: dict[str, Any] = field(default_factory=dict)
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)
    read: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def rel(root: Path, text: str) -> str:
    """A path from the ini as the config writes it: relative to the root when under it
    (Alembic resolves a relative path against the current directory, the root here)."""
    path = Path(text)
    if not path.is_absolute():
        return path.as_posix()
    resolved = Path(os.path.normpath(path))
    base = root.resolve()
    return resolved.relative_to(base).as_posix() or "." if resolved.is_relative_to(base) \
        else resolved.as_posix()


def put(adopted: Adopted, key: str, value: Any, where: str, shown: str | None = None) -> None:
    """Set a setting (checked as the config checks it) and say where it was read."""
    adopted.settings[key] = coerce_setting(key, value, where)
    adopted.read.append(f"{key} = {shown if shown is not None else value!r} ({where})")

def ini_value(parser: configparser.ConfigParser, ini: Path, section: str,
              key: str) -> str | None:
    """An option's value after `%(...)s` interpolation, as Alembic reads it."""
    if not parser.has_option(section, key):
        return None
    try:
        return parser.get(section, key).strip()
    except configparser.InterpolationMissingOptionError as exc:
        raise ConfigError(f"[{section}] {key}: %({exc.reference})s names no option", path=ini,
                          hint="write a literal % as %%; %(here)s is the folder of "
                               "alembic.ini") from None
    except configparser.InterpolationError as exc:
        raise ConfigError(f"[{section}] {key}: {exc.message.splitlines()[0]}", path=ini,
                          hint="write a literal % as %%; %(here)s is the folder of "
                               "alembic.ini") from None


