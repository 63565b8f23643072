"""The scripts' metadata cache: a history whose script files are all as they were loads
without executing a module (their ids come from `.sqlcompile_cache/scripts`); the modules
run, all of them and in order, the first time one is needed (see :class:`Modules`)."""

from __future__ import annotations

import hashlib
import os
import sys
import weakref
from contextlib import suppress
from pathlib import Path
from typing import Any

from sqlcompile.errors import ScriptError
from sqlcompile.sources.scripts import (
    Script,
    _rel_path,
    _rel_paths,
    load_script,
    precompile,
    user_code,
)

#: The metadata cache's file in the project's cache folder (see :mod:`sqlcompile.cachefile`).
CACHE_FILE = "scripts"

#: What the cache records of a script that loaded: the sha256 of its bytes, revision,
#: down_revisions, branch_labels, depends_on, message and docstring.
Entry = tuple[str, str, tuple[str, ...], tuple[str, ...], tuple[str, ...], str, str | None]


def entry_of(script: Script) -> Entry:
    return (script.sha256, script.revision, script.down_revisions, script.branch_labels,
            script.depends_on, script.message, script.docstring)


def _isentry_of(value: Any) -> bool:
    def texts(item: Any) -> bool:
        return isinstance(item, tuple) and all(isinstance(text, str) for text in item)

    return (isinstance(value, tuple) and len(value) == 7
            and all(isinstance(value[i], str) for i in (0, 1, 5))
            and all(texts(value[i]) for i in (2, 3, 4))
            and (value[6] is None or isinstance(value[6], str)))


class ScriptCache:
    """What the scripts that loaded held, by path relative to the root, in one file of the
    project's cache folder, under a key naming the sqlcompile version and Python's cache tag
    (another Python, or another sqlcompile, may read a module differently)."""

    def __init__(self, root: Path) -> None:
        from sqlcompile import __version__, cachefile

        self.path = cachefile.cache_dir(root) / CACHE_FILE
        self.key = f"scripts {__version__} {sys.implementation.cache_tag}"
        found = cachefile.read(self.path, self.key)
        self.entries: dict[str, Entry] = {}
        if isinstance(found, dict):
            self.entries = {rel: entry for rel, entry in found.items()
                            if isinstance(rel, str) and _isentry_of(entry)}
        #: What the file holds: saving writes only when the entries differ from it.
        self.stored = None if found is None else dict(self.entries)

    def scripts(self, paths: list[Path], root: Path) -> list[Script] | None:
        """The scripts at ``paths`` from the cache, their modules not executed (see
        :class:`Modules`); None if any is new or changed (or unreadable: loading it says
        why). Entries for other paths are dropped."""
        modules = Modules(root, self)
        scripts: list[Script] = []
        for path, rel_path in zip(paths, _rel_paths(paths, root), strict=True):
            entry = self.entries.get(rel_path)
            if entry is None:
                return None
            try:
                data = path.read_bytes()
            except OSError:
                return None
            if hashlib.sha256(data).hexdigest() != entry[0]:
                return None
            sha256, revision, parents, labels, depends, message, docstring = entry
            script = Script(path, rel_path, revision, parents, labels, depends, message,
                            sha256, docstring=docstring, modules=modules)
            modules.add(script)
            scripts.append(script)
        wanted = {script.rel_path for script in scripts}
        self.entries = {rel: entry for rel, entry in self.entries.items() if rel in wanted}
        return scripts

    def save(self) -> None:
        """Write the entries if they differ from the file's (a read-only folder: not)."""
        from sqlcompile import cachefile

        if self.entries != self.stored:
            cachefile.write(self.path, self.key, self.entries)
            self.stored = dict(self.entries)


class Modules:
    """The modules of one load's scripts that came from the cache, not executed yet.

    Alembic executes every script module before any migration runs, and a module's code may
    register what another one uses (a plugin's operations, a type). So the first read of any
    of their namespaces (or failures) executes all of them, in the order the load would have;
    a module that fails now makes its script a stand-in for its error, as at load time (see
    :func:`_stand_in`), and leaves the cache. A fork executes them first (see
    :func:`_before_fork`): forked workers share them, as they share eagerly loaded ones.
    """

    def __init__(self, root: Path, cache: ScriptCache) -> None:
        self.root = root
        self.cache = cache
        self.paths: list[Path] = []
        self.expected: list[Entry] = []
        #: The scripts, weakly: a load nobody holds any more is never executed.
        self.scripts: list[weakref.ref[Script]] = []
        #: "pending", "running" or "done"; or the exception executing them raised, raised
        #: again to whoever needs one of them after.
        self.state: str | BaseException = "pending"
        _pending.add(self)

    def add(self, script: Script) -> None:
        self.paths.append(script.path)
        self.expected.append(entry_of(script))
        self.scripts.append(weakref.ref(script))

    def execute(self, forking: bool = False) -> None:
        """Execute every module, once (``forking``: from the fork hook, where compiling
        cannot itself fork workers)."""
        if isinstance(self.state, BaseException):
            raise self.state
        if self.state != "pending":
            return  # done, or a module reading a script's namespace while they run
        self.state = "running"
        _pending.discard(self)
        try:
            self._run(forking)
        except BaseException as exc:
            self.state = exc
            raise
        self.state = "done"

    def _run(self, forking: bool) -> None:
        import multiprocessing

        from sqlcompile.sources.proxy import alembic_compat

        # A pool's worker cannot fork workers of its own; nor can the fork hook.
        workers = not forking and multiprocessing.parent_process() is None
        codes = precompile(self.paths) if workers else [None] * len(self.paths)
        dropped = False
        with alembic_compat(), user_code():
            for path, code, expected, ref in zip(self.paths, codes, self.expected,
                                                 self.scripts, strict=True):
                namespace: dict[str, Any] = {}
                failure: ScriptError | None = None
                try:
                    loaded = load_script(path, self.root, code)
                except ScriptError as exc:
                    failure = exc
                else:
                    namespace = loaded.namespace
                    failure = _differs(loaded, expected)
                if failure is not None:
                    dropped = self.cache.entries.pop(_rel_path(path, self.root), None) \
                        is not None or dropped
                script = ref()
                if script is not None:
                    script.namespace = namespace if failure is None else {}
                    script.failure = failure
                    script.modules = None
        if dropped:
            self.cache.save()


def _differs(loaded: Script, expected: Entry) -> ScriptError | None:
    """The error for a script whose module, executed after its ids came from the cache, gave
    other ones (or whose file changed meanwhile); None when they agree."""
    if entry_of(loaded) == expected:
        return None
    if loaded.sha256 != expected[0]:
        return ScriptError("the file changed while sqlcompile was running",
                           path=loaded.rel_path, hint="run the command again")
    return ScriptError(
        "executing the script gave other ids or message than when it was last loaded "
        f"(revision {loaded.revision!r}, down_revision {loaded.down_revisions!r}): they "
        "depend on more than the file's text", path=loaded.rel_path,
        hint="write them as literals; or run with --no-cache, or delete the .sqlcompile_cache "
             "folder")


#: Loads whose modules are not executed yet (weakly: a load nobody holds is not).
_pending: weakref.WeakSet[Modules] = weakref.WeakSet()


def _before_fork() -> None:
    """Execute every pending load's modules before this process forks, so that forked
    workers (rendering chunks of a history) share their namespaces rather than each
    executing every module. What executing raises is raised again where one is needed."""
    for modules in list(_pending):
        with suppress(BaseException):
            modules.execute(forking=True)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork)
