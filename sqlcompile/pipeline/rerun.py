"""The answer of a render or check whose inputs and outputs are all as they were: what it
printed, read back from `.sqlcompile_cache/`, without loading a script or SQLAlchemy.

A run is remembered once it changed nothing (a render that wrote and removed no file, a check
that passed): its key names the command and its options, the settings, the tool's and its
parsers' versions, the installed distributions, and the bytes of every migration script and
hand-written SQL file; the project modules the scripts imported are listed with their
digests, and so are the generated files it found. A later run with the same key answers from
it only while each of those modules and files is still the same bytes and no other generated
file appeared; otherwise it runs in full (and the render cache makes that quick).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from sqlcompile import cachefile
from sqlcompile.config import Config
from sqlcompile.pipeline.cache import distributions, project_modules, versions

_NAME = "rerun"


def _tree(folder: Path) -> Iterable[tuple[str, bytes]]:
    """(path, bytes) of every file under ``folder``, sorted."""
    if not folder.is_dir():
        return
    for base, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            path = Path(base) / name
            try:
                yield path.as_posix(), path.read_bytes()
            except OSError:
                yield path.as_posix(), b"\x00unreadable"


def inputs(config: Config) -> str:
    """The digest of what any run on the project depends on besides its command and options:
    the settings, versions, distributions, and every script and hand-written SQL file."""
    parts: list[str | bytes] = [repr(config), versions(), distributions()]
    for folder in (*config.version_dirs, config.root / config.script_location / "sql"):
        for path, data in _tree(folder):
            if path.endswith((".py", ".sql")):
                parts += [path, data]
    return cachefile.digest(*parts)


def key(inputs_digest: str, command: str, options: Mapping[str, object]) -> str:
    """What a run of ``command`` with ``options`` depends on (see the module docstring), on
    a project whose :func:`inputs` are ``inputs_digest``."""
    return cachefile.digest(inputs_digest, command, repr(sorted(options.items())))


#: pipeline/output.py's names (not imported: it needs SQLAlchemy, which this module avoids)
DIRECTIONS = ("upgrade", "downgrade")
BASELINE_FILE = "baseline.sql"


def _outputs(config: Config, dialects: Iterable[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for dialect in dialects:
        folder = config.output_path / dialect
        names = [folder / "schema.sql", folder / BASELINE_FILE]
        for direction in DIRECTIONS:
            sub = folder / direction
            if sub.is_dir():
                names += sorted(sub.glob("*.sql"))
        for path in names:
            try:
                found[path.as_posix()] = cachefile.digest(path.read_bytes())
            except OSError:
                continue
    return found


def answer(config: Config, command: str, run_key: str, dialects: Iterable[str]) -> str | None:
    """What the remembered run printed, if everything it depends on is unchanged."""
    stored = cachefile.read(cachefile.cache_dir(config.root) / f"{_NAME}-{command}", run_key)
    if not isinstance(stored, dict):
        return None
    text, modules, outputs = stored.get("text"), stored.get("modules"), stored.get("outputs")
    if not (isinstance(text, str) and isinstance(modules, dict)
            and isinstance(outputs, dict)):
        return None
    for rel, digest in modules.items():
        try:
            if cachefile.digest((config.root / rel).read_bytes()) != digest:
                return None
        except (OSError, TypeError):
            return None
    if _outputs(config, dialects) != outputs:
        return None
    return text


def remember(config: Config, command: str, run_key: str, dialects: Iterable[str],
             text: str) -> None:
    """Keep what an unchanged run printed, with the modules and files it depended on."""
    cachefile.write(cachefile.cache_dir(config.root) / f"{_NAME}-{command}", run_key, {
        "text": text, "modules": project_modules(config.root, config.sys_path_dirs),
        "outputs": _outputs(config, dialects)})
