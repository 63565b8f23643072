"""The incremental render cache: per dialect, each step's compiled, framed and validated file
body, and validation verdicts, kept in `.sqlcompile_cache/` between runs.

A step's entry is keyed on everything its file is made of: the tool's and its parsers'
versions, the installed distributions, the settings, the script's bytes (and a hand-written SQL
file's), the step's place in the graph, and the fingerprint of the schema model it compiled
against (see schema/fingerprint.py; where a model cannot be fingerprinted, a digest of the
inputs that made it). An upgrade's entry also holds the fingerprint of the model after it, so
a run whose revisions are all unchanged reads the fingerprints from the cache and never
replays a script; one edited revision is compiled again, and those after it are again taken
from the cache when the model it leaves is the same as before.

Project modules the scripts import (a type, a helper under the project root) are listed in
the file with their digests: when one changed, nothing in the file is used. What a script
reads by itself at run time (a data file, an environment variable) is not known to the cache:
`--no-cache` renders without it.

Entries are plain data; a run keeps, when it saves, only the entries it used or made, so the
file does not grow with edits.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlcompile import __version__, cachefile

#: Bumped when what an entry holds changes shape.
FORMAT = "render-1"


def distributions() -> str:
    """The installed distributions (name and version, from their metadata folders' names):
    a plugin or library upgrade may change what a script's ops compile to."""
    names: list[str] = []
    for entry in sys.path:
        try:
            listing = os.listdir(entry or ".")
        except OSError:
            continue
        names += [n for n in listing if n.endswith((".dist-info", ".egg-info"))]
    return cachefile.digest(*sorted(names))


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = [__version__, sys.version, sys.implementation.cache_tag or ""]
    for name in ("sqlalchemy", "sqlglot", "sqlglotc", "pglast"):
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} -")
    return cachefile.digest(*found)


def _file_digest(path: Path) -> str:
    try:
        return cachefile.digest(path.read_bytes())
    except OSError:
        return "-"


def project_modules(root: Path, also: tuple[Path, ...] = ()) -> dict[str, str]:
    """Modules now imported from under ``root`` or the folders ``also`` (the config's
    `prepend_sys_path`), not scripts, not installed packages: by path (relative to ``root``
    when under it), with the digest of their file."""
    found: dict[str, str] = {}
    prefix = str(root) + os.sep
    prefixes = (prefix, *(str(folder) + os.sep for folder in also))
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if (not path or not path.startswith(prefixes) or name.startswith("migration_")
                or "site-packages" in path):
            continue
        rel = path[len(prefix):] if path.startswith(prefix) else path
        found[rel] = _file_digest(Path(path))
    return found


@dataclass
class RenderCache:
    """One dialect's entries; ``enabled`` False (``--no-cache``) makes every look-up miss and
    :meth:`save` a no-op."""

    path: Path
    key: str
    root: Path
    enabled: bool = True
    #: the config's `prepend_sys_path` folders (see :func:`project_modules`)
    also: tuple[Path, ...] = ()
    entries: dict[str, Any] = field(default_factory=dict)
    verdicts: dict[str, Any] = field(default_factory=dict)
    modules: dict[str, str] = field(default_factory=dict)
    #: what this run used or made (what :meth:`save` keeps)
    kept: dict[str, Any] = field(default_factory=dict)
    kept_verdicts: dict[str, Any] = field(default_factory=dict)
    changed: bool = False

    @classmethod
    def open(cls, root: Path, dialect: str, settings: str, enabled: bool = True,
             also: tuple[Path, ...] = ()) -> RenderCache:
        """The cache of ``dialect`` for a project at ``root`` rendered with ``settings`` (a
        text naming every setting and option the output depends on)."""
        key = cachefile.digest(FORMAT, dialect, settings, versions(), distributions())
        path = cachefile.cache_dir(root) / f"render-{dialect}"
        cache = cls(path, key, root, enabled, also)
        if not enabled:
            return cache
        stored = cachefile.read(path, key)
        if stored is None or not _well_formed(stored):
            return cache
        modules = stored["modules"]
        if any(_file_digest(root / rel) != digest for rel, digest in modules.items()):
            return cache  # a project module the scripts import changed: nothing is trusted
        cache.entries, cache.verdicts, cache.modules = (stored["entries"], stored["verdicts"],
                                                        modules)
        return cache

    def get(self, key: str) -> Any | None:
        if not self.enabled:
            return None
        found = self.entries.get(key)
        if found is not None:
            self.kept[key] = found
        return found

    def put(self, key: str, entry: Any) -> None:
        if self.enabled:
            self.kept[key] = entry
            self.changed = True

    def merge(self, kept: dict[str, Any], verdicts: dict[str, Any], changed: bool) -> None:
        """Fold in what a worker process used or made."""
        self.kept.update(kept)
        self.kept_verdicts.update(verdicts)
        self.changed = self.changed or changed

    def save(self) -> None:
        """Write what this run used or made, when it differs from what was read."""
        if not self.enabled:
            return
        modules = {**self.modules, **project_modules(self.root, self.also)}
        if (not self.changed and self.kept.keys() == self.entries.keys()
                and modules == self.modules and not self.kept_verdicts.keys()
                - self.verdicts.keys()):
            return
        verdicts = {**self.verdicts, **self.kept_verdicts}
        cachefile.write(self.path, self.key, {"entries": self.kept, "verdicts": verdicts,
                                              "modules": modules})


def _well_formed(stored: Any) -> bool:
    return (isinstance(stored, dict)
            and isinstance(stored.get("entries"), dict)
            and isinstance(stored.get("verdicts"), dict)
            and isinstance(stored.get("modules"), dict)
            and all(isinstance(k, str) and isinstance(v, str)
                    for k, v in stored["modules"].items()))


@dataclass
class ModelStore:
    """Snapshots of one dialect's schema model, by fingerprint, so a revision compiled again
    starts from the nearest snapshot before it, not by replaying every script before it.

    A snapshot is the model's state pickled (models hold SQLAlchemy types), inside a checked
    cache file; one that does not load is ignored. The file is read on first need only.
    """

    path: Path
    key: str
    _stored: dict[str, bytes] | None = None
    made: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def open(cls, root: Path, dialect: str, settings: str) -> ModelStore:
        key = cachefile.digest(FORMAT, "models", dialect, settings, versions(),
                               distributions())
        return cls(cachefile.cache_dir(root) / f"models-{dialect}", key)

    def get(self, fingerprint: str) -> Any | None:
        """The state kept for ``fingerprint`` (as :meth:`add` was given it), or None."""
        import pickle

        if self._stored is None:
            stored = cachefile.read(self.path, self.key)
            self._stored = stored if isinstance(stored, dict) else {}
        blob = self.made.get(fingerprint) or self._stored.get(fingerprint)
        if not isinstance(blob, bytes):
            return None
        try:
            return pickle.loads(blob)
        except Exception:  # a snapshot that no longer loads (a type that moved) is rebuilt
            return None

    def add(self, fingerprint: str, state: Any) -> None:
        import pickle

        if self._stored is not None and fingerprint in self._stored:
            return
        try:
            self.made[fingerprint] = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # a model holding what does not pickle: no snapshot
            pass

    def save(self, wanted: set[str]) -> None:
        """Write the snapshots of ``wanted`` fingerprints (this run's), when new ones were
        made."""
        if not self.made:
            return
        if self._stored is None:
            stored = cachefile.read(self.path, self.key)
            self._stored = stored if isinstance(stored, dict) else {}
        kept = {fp: blob for fp, blob in {**self._stored, **self.made}.items() if fp in wanted}
        cachefile.write(self.path, self.key, kept)


@dataclass
class HeadsStore:
    """The model at every head, kept by the inputs that made it (the scripts' bytes in graph
    order, hand-written SQL, settings, versions, distributions), so a command that needs only
    that model (`revision --autogenerate`, `check` against the models, schema.sql) on an
    unchanged history does not replay it. The project modules the scripts imported are kept
    with it, with their digests: when one changed, the model is replayed."""

    path: Path
    key: str
    root: Path
    also: tuple[Path, ...] = ()
    _read: bool = False
    _state: Any = None

    @classmethod
    def open(cls, root: Path, dialect: str, inputs: str,
             also: tuple[Path, ...] = ()) -> HeadsStore:
        key = cachefile.digest(FORMAT, "heads", dialect, inputs, versions(), distributions())
        return cls(cachefile.cache_dir(root) / f"heads-{dialect}", key, root, also)

    def get(self) -> Any | None:
        """The kept model state (read once; later calls give the same), or None."""
        if not self._read:
            self._read, self._state = True, self._load()
        return self._state

    def _load(self) -> Any | None:
        import pickle

        stored = cachefile.read(self.path, self.key)
        if not (isinstance(stored, tuple) and len(stored) == 2 and isinstance(stored[0], dict)
                and isinstance(stored[1], bytes)):
            return None
        modules, blob = stored
        if any(_file_digest(self.root / rel) != digest for rel, digest in modules.items()):
            return None
        try:
            return pickle.loads(blob)
        except Exception:  # a model that no longer loads (a type that moved) is replayed
            return None

    def put(self, state: Any) -> None:
        import pickle

        try:
            blob = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # a model holding what does not pickle: not kept
            return
        cachefile.write(self.path, self.key, (project_modules(self.root, self.also), blob))
