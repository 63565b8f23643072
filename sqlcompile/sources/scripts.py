"""Loading Alembic-format migration scripts into `Script` records."""

from __future__ import annotations

import hashlib
import marshal
import os
import signal
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType
from typing import Any

from sqlcompile.errors import ScriptError, SqlcompileError


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
    namespace: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def is_merge(self) -> bool:
        return len(self.down_revisions) > 1

    def function(self, direction: str) -> Callable[[], None]:
        """The script's `upgrade` or `downgrade` function."""
        fn = self.namespace.get(direction)
        if not callable(fn):
            raise ScriptError(f"the script defines no {direction}() function", path=self.rel_path)
        return fn  # type: ignore[no-any-return]


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
    child process writes to the descriptor). Blocks nest; the outermost one does the work.
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
    try:
        yield
    finally:
        _depth = 0
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
    kind = type(exc).__name__
    return ScriptError(f"{what} failed: {kind}: {exc}", path=rel_path, line=line)


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


def load_script(path: Path, root: Path, code: CodeType | None = None) -> Script:
    """Execute one script file and read its revision identifiers (``code``: precompiled)."""
    try:
        rel_path = path.resolve().relative_to(root).as_posix()
    except ValueError:
        rel_path = path.as_posix()
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
    )


def script_files(folder: Path) -> list[Path]:
    """Migration script files in ``folder``, sorted by name."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.py") if p.name != "__init__.py")


def load_scripts(folder: Path, root: Path) -> list[Script]:
    """Load every script in ``folder`` (Alembic compatibility imports active)."""
    from sqlcompile.sources.proxy import alembic_compat

    if not folder.is_dir():
        raise ScriptError(
            f"no migration scripts folder at {folder}",
            hint="run `sqlcompile init`, or set script_location in the config",
        )

    paths = script_files(folder)
    codes = precompile(paths)
    with alembic_compat(), user_code():  # one redirection for every script
        return [load_script(path, root, code) for path, code in zip(paths, codes, strict=True)]


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
