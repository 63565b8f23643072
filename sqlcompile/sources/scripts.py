"""Loading Alembic-format migration scripts into `Script` records."""

from __future__ import annotations

import hashlib
import marshal
import os
import re
import signal
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType
from typing import TYPE_CHECKING, Any

from sqlcompile.errors import ScriptError, SqlcompileError
from sqlcompile.sources.inspector import TableNotInModel

if TYPE_CHECKING:
    from sqlcompile.sources.script_cache import Modules


@dataclass
class Script:
    """One migration script: its identity, graph edges and migration functions."""

    path: Path
    rel_path: str  # POSIX path relative to the project root, for headers and messages
    revision: str
    down_revisions: tuple[str, ...]
    branch_labels: tuple[str, ...]
    depends_on: tuple[str, ...]
    message: str
    sha256: str
    #: The module's globals. A script whose ids came from the metadata cache has none until it
    #: is first read (see :class:`~sqlcompile.sources.script_cache.Modules`), nor does it
    #: know its `failure`.
    namespace: dict[str, Any] = field(repr=False, default_factory=dict)
    #: Why the script could not be loaded, when its ids could still be read from its text (see
    #: :func:`load_scripts`): running either function raises it.
    failure: SqlcompileError | None = field(default_factory=lambda: None, repr=False)
    #: The module's docstring (`show` prints it), None when it has none or could not load.
    docstring: str | None = field(default=None, repr=False)
    #: The not-yet-executed modules of the load this script came from, or None: executed.
    modules: Modules | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.modules is not None:  # read on demand, by __getattr__
            del self.namespace, self.failure

    def __getattr__(self, name: str) -> Any:
        # Only reached for an attribute the instance lacks: `namespace` and `failure` of a
        # script read from the cache, before its load's modules are executed.
        modules = self.__dict__.get("modules")
        if name not in _ON_DEMAND or modules is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        modules.execute()
        return self.__dict__.get(name, {} if name == "namespace" else None)

    @property
    def is_merge(self) -> bool:
        return len(self.down_revisions) > 1

    def function(self, direction: str) -> Callable[[], None]:
        """The script's `upgrade` or `downgrade` function."""
        fn = self.namespace.get(direction)
        if not callable(fn):
            raise ScriptError(f"the script defines no {direction}() function", path=self.rel_path)
        return fn  # type: ignore[no-any-return]


#: The fields a script read from the cache fills when its modules are executed.
_ON_DEMAND = ("namespace", "failure")


class MissingModule(ScriptError):
    """A script (or what it imports) imports a module that is not installed: a plugin, a
    dependency of the project, or the project's own package not on the path."""


class UnknownOperation(ScriptError):
    """A script calls an `op.*` (or `batch_op.*`) method that no operation provides: one a
    plugin registers, or a misspelt name."""


def _tuple(value: Any, name: str, rel_path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ScriptError(f"`{name}` must be None, a string or a tuple of strings, got {value!r}",
                      path=rel_path)


#: Set once a SIGINT arrived while user code ran: a KeyboardInterrupt after it is the user's
#: Ctrl-C, not something a script raised.
_interrupted = False
#: How many :func:`user_code` blocks are open in this process (only the outermost redirects).
_depth = 0
#: The project's `prepend_sys_path` folders (set by :func:`load_scripts`; forked workers
#: inherit them): in front of sys.path while its code runs.
_project_paths: tuple[str, ...] = ()


def _note_interrupt(previous: Callable[[int, Any], Any]) -> Callable[[int, Any], Any]:
    def handler(signum: int, frame: Any) -> Any:
        global _interrupted
        _interrupted = True
        return previous(signum, frame)

    return handler


@contextmanager
def user_code() -> Iterator[None]:
    """Run the project's code (a script's module body, upgrade() or downgrade(), the models):
    what it writes to standard output goes to standard error, so `render --stdout` carries
    SQL only, and a SIGINT arriving meanwhile is remembered (see :func:`is_script_failure`).

    Both Python's ``sys.stdout`` and file descriptor 1 are redirected (a C extension or a
    child process writes to the descriptor), and the project's `prepend_sys_path` folders are
    in front of sys.path. Blocks nest; the outermost one does the work.
    """
    global _depth
    if _depth:
        _depth += 1
        try:
            yield
        finally:
            _depth -= 1
        return
    stdout = sys.stdout
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    saved: int | None = None
    try:
        saved = os.dup(1)
        os.dup2(2, 1)
    except OSError:  # descriptor 1 or 2 closed: leave the descriptors as they are
        if saved is not None:
            os.close(saved)
            saved = None
    previous = signal.getsignal(signal.SIGINT)
    catch = callable(previous) and threading.current_thread() is threading.main_thread()
    if catch:
        signal.signal(signal.SIGINT, _note_interrupt(previous))  # type: ignore[arg-type]
    sys.stdout = sys.stderr
    _depth = 1
    added = [entry for entry in _project_paths if entry not in sys.path]
    sys.path[:0] = added
    try:
        yield
    finally:
        _depth = 0
        for entry in added:
            with suppress(ValueError):
                sys.path.remove(entry)
        for stream in (stdout, sys.stderr):  # while descriptor 1 still leads to stderr
            if stream is not None:
                stream.flush()
        sys.stdout = stdout
        if catch:
            signal.signal(signal.SIGINT, previous)
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)


@contextmanager
def scripts_code(scripts: Iterable[Script]) -> Iterator[None]:
    """:func:`user_code` around work that calls into ``scripts`` beyond their functions
    (their types' methods while compiling, say): a SystemExit or a KeyboardInterrupt it raised
    is an error at the innermost line of a script in the traceback."""
    with user_code():
        try:
            yield
        except (SystemExit, KeyboardInterrupt) as exc:
            if not is_script_failure(exc):
                raise
            by_path = {str(script.path): script for script in scripts}
            found: tuple[Script, int | None] | None = None
            for frame in traceback.extract_tb(exc.__traceback__):
                if frame.filename in by_path:
                    found = by_path[frame.filename], frame.lineno
            error = escape_error(exc, "compiling", found[0].rel_path if found else None,
                                 found[1] if found else None,
                                 who="the script" if found else "the project's code")
            assert error is not None
            raise error from None


def is_script_failure(exc: BaseException) -> bool:
    """Whether ``exc``, raised out of :func:`user_code`, is the code's own failure, to report
    as its error: any exception, a SystemExit (`sys.exit()` in a script must not end the
    program as if it had succeeded) and a KeyboardInterrupt the code raised itself. A
    KeyboardInterrupt after a real SIGINT (the user's Ctrl-C) is not: it stops the program."""
    if isinstance(exc, KeyboardInterrupt):
        return not _interrupted
    return isinstance(exc, Exception | SystemExit)


def script_error_from(exc: BaseException, rel_path: str, path: Path, what: str) -> ScriptError:
    """A ScriptError at the innermost traceback line inside the script file."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == str(path):
            line = frame.lineno
    escape = escape_error(exc, what, rel_path, line)
    if escape is not None:
        return escape
    if isinstance(exc, SqlcompileError):
        if exc.path is None:
            exc.path = rel_path
        if exc.line is None:
            exc.line = line
        return exc if isinstance(exc, ScriptError) else ScriptError(
            exc.message, path=exc.path, line=exc.line, hint=exc.hint
        )
    if isinstance(exc, TableNotInModel):
        wrong, hint = exc.explained()
        return ScriptError(f"{what} failed: {wrong}", path=rel_path, line=line, hint=hint)
    kind = type(exc).__name__
    message = f"{what} failed: {kind}: {_ADDRESS.sub('', str(exc))}"
    legacy = sqlalchemy_1x_hint(exc)
    if legacy is not None:
        return ScriptError(message, path=rel_path, line=line, hint=legacy)
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        return MissingModule(message, path=rel_path, line=line, hint=(
            f"install the package that provides `{exc.name}` where sqlcompile runs (a plugin "
            "the script uses, or a dependency of the project); if it is the project's own "
            "package, put its folder on the path: prepend_sys_path = [\".\"] in the config "
            "(folders relative to the config file, as in alembic.ini), or PYTHONPATH"))
    name = _unknown_operation(exc)
    if name is not None:
        return UnknownOperation(message, path=rel_path, line=line, hint=(
            f"`{name}` is not one of Alembic's operations: if a plugin package provides it, "
            "install that package and import it in the script (importing it registers the "
            "operation); otherwise correct the name"))
    return ScriptError(message, path=rel_path, line=line)


#: A Python object's repr carries its memory address, different on every run.
_ADDRESS = re.compile(r" (?:object )?at 0x[0-9a-fA-F]+")

_BY_HAND = ("; or write this revision's SQL by hand in "
            "<script_location>/sql/<dialect>/<revision>.<upgrade|downgrade>.sql")

#: What SQLAlchemy 2 says when it meets an API that only 1.x had, and what to write instead.
_SQLALCHEMY_1X: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("TypeError", re.compile(r"unexpected keyword argument 'bind'"),
     "MetaData(bind=...) (and bind= elsewhere) is gone: write sa.MetaData(), and give the "
     "connection where the schema is read: sa.Table(name, meta, autoload_with=op.get_bind())"),
    ("TypeError", re.compile(r"got 'autoload'"),
     "Table(..., autoload=True) is gone: write sa.Table(name, sa.MetaData(), "
     "autoload_with=op.get_bind())"),
    ("ArgumentError", re.compile(r"Did you mean to say select\("),
     "select([col, ...]) is gone: pass the columns themselves, sa.select(col, ...)"),
    ("AttributeError", re.compile(r"(?:'Engine' object|the offline engine) has no attribute "
                                r"'execute'"),
     "engine.execute() is gone: run SQL with op.execute(sa.text(...))"),
)


def sqlalchemy_1x_hint(exc: BaseException) -> str | None:
    """The hint for a script failing on SQLAlchemy 1.x code that SQLAlchemy 2 removed
    (recognised by the error SQLAlchemy 2 raises for it), or None."""
    kinds = {cls.__name__ for cls in type(exc).__mro__}
    for kind, pattern, instead in _SQLALCHEMY_1X:
        if kind in kinds and pattern.search(str(exc)):
            return f"this is SQLAlchemy 1.x code, which SQLAlchemy 2 refuses: {instead}{_BY_HAND}"
    return None


def _unknown_operation(exc: BaseException) -> str | None:
    """The name of the `op.*` method ``exc`` says does not exist (an AttributeError raised by
    the recorder's lookup), or None."""
    if not isinstance(exc, AttributeError):
        return None
    frames = traceback.extract_tb(exc.__traceback__)
    ours = str(Path(__file__).resolve().parent)
    lookup = bool(frames) and frames[-1].name == "__getattr__" \
        and frames[-1].filename.startswith(ours)
    found = re.search(r"has no operation '([^']+)'", str(exc))
    return found.group(1) if found and lookup else None


def own_refusal(exc: BaseException, script_path: Path) -> tuple[str, int | None] | None:
    """(message, line) when ``exc``, raised out of a script's downgrade(), is the script
    refusing to run: an exception its own code raised with a `raise` (or `assert`)
    statement, in the script or another module of the project, such as
    `raise NotImplementedError("cannot undo")`. None for anything else: our errors, an
    AttributeError or a TypeError (calling `op` wrongly), an escape (sys.exit), and an
    exception a call raised (a bug, such as a KeyError or a NameError)."""
    if (not isinstance(exc, Exception) or isinstance(exc, SqlcompileError | AttributeError
                                                         | TypeError)):
        return None
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames or user_frame(exc) != f"{frames[-1].filename}:{frames[-1].lineno}":
        return None
    statement = (frames[-1].line or "").lstrip()
    if not re.match(r"(raise|assert)\b", statement):
        return None
    text = str(exc).strip()
    message = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    line = None
    for frame in frames:
        if frame.filename == str(script_path):
            line = frame.lineno
    return message, line


def escape_error(exc: BaseException, what: str, path: Path | str | None, line: int | None,
                 who: str = "the script") -> ScriptError | None:
    """The error for user code (``who``) that tried to end or interrupt the program; None
    for other exceptions. ``what`` is what ran, e.g. `upgrade()`."""
    if isinstance(exc, SystemExit):
        code = "" if exc.code is None else repr(exc.code)
        return ScriptError(
            f"{what} failed: {who} called sys.exit({code}) (SystemExit); it cannot end "
            "sqlcompile, which would stop having checked nothing", path=path, line=line,
            hint="raise an exception to make it fail, or return to end it early",
        )
    if isinstance(exc, KeyboardInterrupt):
        return ScriptError(
            f"{what} failed: {who} raised KeyboardInterrupt; it cannot interrupt sqlcompile",
            path=path, line=line, hint="raise an ordinary exception to make it fail",
        )
    return None


def compiled(path: Path, data: bytes, digest: str) -> CodeType:
    """The script's code object, from a bytecode cache in __pycache__ when it is current.

    Compiling source is most of the cost of loading a large history. The cache entry is keyed
    by the source's sha256 and its path (tracebacks and line lookups use the path), so an edit
    within the same second, or a moved project, never runs stale code.
    """
    tag = sys.implementation.cache_tag or "py"
    cache = path.parent / "__pycache__" / f"{path.stem}.sqlcompile-{tag}.pyc"
    key = f"{digest}\n{path}\n".encode()
    try:
        blob = cache.read_bytes()
        if blob.startswith(key):
            code = marshal.loads(blob[len(key):])
            if isinstance(code, CodeType):
                return code
    except (OSError, ValueError, EOFError, TypeError):
        pass
    code = compile(data.decode("utf-8"), str(path), "exec", dont_inherit=True)
    if not sys.dont_write_bytecode:
        try:
            cache.parent.mkdir(exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=cache.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(key + marshal.dumps(code))
            os.replace(tmp, cache)
        except OSError:
            pass  # a read-only checkout just compiles every time
    return code


def load_script(path: Path, root: Path, code: CodeType | None = None,
                rel_path: str | None = None) -> Script:
    """Execute one script file and read its revision identifiers (``code``: precompiled;
    ``rel_path``: its :func:`_rel_path`, known)."""
    rel_path = rel_path or _rel_path(path, root)
    data = path.read_bytes()
    module_name = f"migration_{path.stem}"
    digest = hashlib.sha256(data).hexdigest()
    try:
        code = code or compiled(path, data, digest)
    except UnicodeDecodeError as exc:
        raise ScriptError(f"not UTF-8 text: {exc}", path=rel_path) from None
    except SyntaxError as exc:
        raise ScriptError(
            f"cannot parse the script: {exc.msg}", path=rel_path, line=exc.lineno
        ) from None
    namespace: dict[str, Any] = {"__file__": str(path), "__name__": module_name}
    try:
        with user_code():
            exec(code, namespace)
    except BaseException as exc:
        if not is_script_failure(exc):
            raise
        raise script_error_from(exc, rel_path, path, "loading the script") from None
    revision = namespace.get("revision")
    if not isinstance(revision, str) or not revision:
        raise ScriptError(
            "the script has no `revision = \"...\"` string", path=rel_path,
            hint="every migration script names its revision id",
        )
    if "down_revision" not in namespace:
        raise ScriptError("the script has no `down_revision`", path=rel_path,
                          hint="use `down_revision = None` for a first revision")
    doc = namespace.get("__doc__") or ""
    # The first line, split at LF only: a CR or another separator the docstring holds as an
    # escape is part of the message (`revision -m` writes the message that way).
    message = doc.strip().split("\n", 1)[0].strip() if doc.strip() else ""
    return Script(
        path=path,
        rel_path=rel_path,
        revision=revision,
        down_revisions=_tuple(namespace.get("down_revision"), "down_revision", rel_path),
        branch_labels=_tuple(namespace.get("branch_labels"), "branch_labels", rel_path),
        depends_on=_tuple(namespace.get("depends_on"), "depends_on", rel_path),
        message=message,
        sha256=digest,
        namespace=namespace,
        docstring=doc if isinstance(doc, str) and doc else None,
    )


def _rel_path(path: Path, root: Path) -> str:
    """How messages and headers name a script: relative to the project root when under it."""
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _rel_paths(paths: list[Path], root: Path) -> list[str]:
    """:func:`_rel_path` of each of ``paths``, resolving each folder once rather than each
    file (a file that is a symbolic link is resolved itself)."""
    folders: dict[str, str | None] = {}
    out: list[str] = []
    for path in paths:
        text = str(path)
        parent, name = os.path.split(text)
        if parent not in folders:
            try:
                folders[parent] = path.parent.resolve().relative_to(root).as_posix()
            except ValueError:
                folders[parent] = None
        folder = folders[parent]
        if folder is None or os.path.islink(text):
            out.append(_rel_path(path, root))
        else:
            out.append(name if folder == "." else f"{folder}/{name}")
    return out


def script_files(folder: Path) -> list[Path]:
    """Migration script files in ``folder``, sorted by name."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.py") if p.name != "__init__.py")


def load_scripts(folder: Path | Sequence[Path], root: Path,
                 sys_paths: Sequence[Path] = (), use_cache: bool = True) -> list[Script]:
    """Load every script in ``folder`` (or in each of several folders: Alembic's
    version_locations, one history across them), Alembic compatibility imports active;
    ``sys_paths`` (the config's `prepend_sys_path`) are in front of sys.path whenever the
    project's code runs from here on (see :func:`user_code`).

    With ``use_cache``, when every script's bytes are those the project's metadata cache
    recorded, the scripts come from the cache and their modules are executed only when one
    is needed (see :class:`~sqlcompile.sources.script_cache.Modules`); otherwise every
    module is executed now, and what those that loaded hold is recorded for next time.
    ``use_cache=False`` neither reads nor writes the cache.
    """
    global _project_paths
    _project_paths = tuple(str(path) for path in sys_paths)

    folders = [folder] if isinstance(folder, Path) else list(folder)
    for each in folders:
        if not each.is_dir():
            raise ScriptError(
                f"no migration scripts folder at {each}",
                hint="run `sqlcompile init`, or set script_location (or version_locations) "
                     "in the config",
            )

    from sqlcompile.sources.script_cache import ScriptCache, entry_of

    paths = [path for each in folders for path in script_files(each)]
    cache = ScriptCache(root) if use_cache else None
    if cache is not None:
        cached = cache.scripts(paths, root)
        if cached is not None:
            cache.save()  # only when scripts were removed
            return cached
    scripts = _execute_all(paths, root)
    if cache is not None:
        cache.entries = {script.rel_path: entry_of(script) for script in scripts
                         if script.failure is None}
        cache.save()
    return scripts


def _execute_all(paths: list[Path], root: Path) -> list[Script]:
    """Execute every script module, in order; a script that fails becomes a stand-in (see
    :func:`_stand_in`), and one that cannot is an error for the whole history."""
    from sqlcompile.sources.proxy import alembic_compat

    codes = precompile(paths)
    scripts: list[Script] = []
    unplaced: list[ScriptError] = []
    with alembic_compat(), user_code():  # one redirection for every script
        for path, code, rel_path in zip(paths, codes, _rel_paths(paths, root), strict=True):
            try:
                scripts.append(load_script(path, root, code, rel_path))
            except ScriptError as exc:
                stand_in = _stand_in(path, root, exc)
                if stand_in is None:
                    unplaced.append(exc)
                else:
                    scripts.append(stand_in)
    if unplaced:
        first = unplaced[0]
        if len(unplaced) > 1:
            more = f"{len(unplaced) - 1} more script(s) cannot be loaded either"
            first.hint = f"{first.hint}; {more}" if first.hint else more
        raise first
    return scripts


def _stand_in(path: Path, root: Path, exc: ScriptError) -> Script | None:
    """A script that failed to load (its module code raised, e.g. importing a plugin that is
    not installed) when its ids are literals in its text: it takes its place in the graph, so
    every other revision still compiles, and running it raises ``exc``. None when its ids
    cannot be read (a syntax error, computed ids): then the graph cannot be built."""
    import ast

    data = path.read_bytes()
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError):
        return None
    values: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and node.value is not None:
                    try:
                        values[target.id] = ast.literal_eval(node.value)
                    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                        values.pop(target.id, None)
    revision = values.get("revision")
    if not isinstance(revision, str) or not revision or "down_revision" not in values:
        return None
    rel_path = _rel_path(path, root)
    try:
        parents = _tuple(values.get("down_revision"), "down_revision", rel_path)
        labels = _tuple(values.get("branch_labels"), "branch_labels", rel_path)
        depends = _tuple(values.get("depends_on"), "depends_on", rel_path)
    except ScriptError:
        return None
    doc = (ast.get_docstring(tree, clean=False) or "").strip()
    return Script(path=path, rel_path=rel_path, revision=revision, down_revisions=parents,
                  branch_labels=labels, depends_on=depends,
                  message=doc.split("\n", 1)[0].strip(),
                  sha256=hashlib.sha256(data).hexdigest(), failure=exc)


def precompile(paths: list[Path]) -> list[CodeType | None]:
    """Code objects for ``paths``, compiled by forked workers for large histories.

    None where a file cannot be compiled: loading it again reports the error properly.
    """
    from sqlcompile import parallel

    chunks = parallel.split(paths, parallel.jobs(len(paths)))
    if len(chunks) <= 1:
        return [None] * len(paths)

    def work(index: int) -> list[bytes | None]:
        out: list[bytes | None] = []
        for path in chunks[index]:
            try:
                data = path.read_bytes()
                code = compiled(path, data, hashlib.sha256(data).hexdigest())
                out.append(marshal.dumps(code))
            except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
                out.append(None)
        return out

    return [None if blob is None else marshal.loads(blob)
            for part in parallel.run_chunks(work, len(chunks)) for blob in part]


def user_frame(exc: BaseException) -> str | None:
    """`file:line` of the innermost traceback frame of ``exc`` in the project's own code (a
    script, its models, a type it defines), or None when every frame is sqlcompile's, the
    standard library's or an installed package's: then the exception is not the project's."""
    import sysconfig

    ours = str(Path(__file__).resolve().parent.parent)
    libraries = {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib",
                                                        "platlib")}
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        name = str(Path(frame.filename).resolve()) if not frame.filename.startswith("<") \
            else frame.filename
        if name.startswith(ours) or any(name.startswith(lib) for lib in libraries) \
                or frame.filename.startswith("<frozen"):
            continue
        found = f"{frame.filename}:{frame.lineno}"
    return found
