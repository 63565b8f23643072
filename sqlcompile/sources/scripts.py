"""Loading Alembic-format migration scripts into `Script` records."""

from __future__ import annotations

import hashlib
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
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


def script_error_from(exc: BaseException, rel_path: str, path: Path, what: str) -> ScriptError:
    """A ScriptError at the innermost traceback line inside the script file."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == str(path):
            line = frame.lineno
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


def load_script(path: Path, root: Path) -> Script:
    """Execute one script file and read its revision identifiers."""
    try:
        rel_path = path.resolve().relative_to(root).as_posix()
    except ValueError:
        rel_path = path.as_posix()
    data = path.read_bytes()
    try:
        source = data.decode("utf-8")
        code = compile(source, str(path), "exec", dont_inherit=True)
    except UnicodeDecodeError as exc:
        raise ScriptError(f"not UTF-8 text: {exc}", path=rel_path) from None
    except SyntaxError as exc:
        raise ScriptError(
            f"cannot parse the script: {exc.msg}", path=rel_path, line=exc.lineno
        ) from None
    namespace: dict[str, Any] = {"__file__": str(path), "__name__": f"migration_{path.stem}"}
    try:
        exec(code, namespace)
    except Exception as exc:
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
    message = doc.strip().splitlines()[0].strip() if doc.strip() else ""
    return Script(
        path=path,
        rel_path=rel_path,
        revision=revision,
        down_revisions=_tuple(namespace.get("down_revision"), "down_revision", rel_path),
        branch_labels=_tuple(namespace.get("branch_labels"), "branch_labels", rel_path),
        depends_on=_tuple(namespace.get("depends_on"), "depends_on", rel_path),
        message=message,
        sha256=hashlib.sha256(data).hexdigest(),
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

    with alembic_compat():
        return [load_script(path, root) for path in script_files(folder)]
