"""`op` and `context`: module-level stand-ins that forward to the script being compiled.

Scripts bind `op` at import time (`from alembic import op` or `from sqlcompile import op`);
the recorder behind it is chosen per run, for one dialect and direction.
"""

from __future__ import annotations

import contextlib
import dis
import functools
import importlib
import importlib.abc
import importlib.util
import sys
import types
from collections.abc import Callable, Iterator, MutableSequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from sqlcompile.errors import ScriptError

if TYPE_CHECKING:
    from sqlcompile.config import Config
    from sqlcompile.sources.recorder import Recorder

_current: ContextVar[Recorder | None] = ContextVar("sqlcompile_recorder", default=None)
_config: ContextVar[Config | None] = ContextVar("sqlcompile_config", default=None)


def current_recorder() -> Recorder:
    """The recorder of the script running now."""
    recorder = _current.get()
    if recorder is None:
        raise ScriptError(
            "op.* was called outside upgrade()/downgrade()",
            hint="call op.* only inside the migration functions",
        )
    return recorder


def running_recorder() -> Recorder | None:
    """The recorder of the script running now, if one is."""
    return _current.get()


@contextlib.contextmanager
def recording(recorder: Recorder) -> Iterator[Recorder]:
    """Make ``recorder`` the target of `op` for the duration of the block."""
    token = _current.set(recorder)
    try:
        yield recorder
    finally:
        _current.reset(token)


@contextlib.contextmanager
def configured(config: Config) -> Iterator[None]:
    """Make ``config`` what `context` answers from while scripts load and run."""
    token = _config.set(config)
    try:
        yield
    finally:
        _config.reset(token)


class _OpProxy:
    """`op`: every attribute comes from the current recorder."""

    def __getattr__(self, name: str) -> Any:
        return getattr(current_recorder(), name)

    def __repr__(self) -> str:
        return "<sqlcompile op proxy>"


class _ContextModule(types.ModuleType):
    """`context` (alembic.context): what env.py-style code asks of an offline run."""

    def is_offline_mode(self) -> bool:
        return True

    def is_transactional_ddl(self) -> bool:
        return current_recorder().dialect.transactional_ddl

    def get_x_argument(self, as_dictionary: bool = False) -> Any:
        config = _config.get()
        args = list(config.x_arguments) if config else []
        if not as_dictionary:
            return args
        pairs = (a.partition("=") for a in args)
        return {key: value for key, _, value in pairs}

    def get_context(self) -> Any:
        return current_recorder().get_context()

    def get_bind(self) -> Any:
        return current_recorder().get_bind()

    def execute(self, sql: Any, execution_options: Any = None) -> None:
        current_recorder().execute(sql)

    @property
    def config(self) -> Any:
        from sqlcompile.sources.connection import ConfigView

        config = _config.get()
        if config is None:
            raise ScriptError("context.config is only available while compiling")
        return ConfigView(config)


class WatchedName(str):
    """`bind.dialect.name` for a target whose server also goes by ``others`` (names of its
    dialect's ``option_aliases``, which this name is not equal to): a str that calls
    ``notice(other)`` when the project's code compares it with one of them (``==``, ``!=``,
    ``in`` a tuple, list or set literal, ``startswith``, a substring test), even after
    ``lower()``/``casefold()``/``strip()``. A comparison SQLAlchemy or sqlcompile makes is
    not the script's and goes unnoticed."""

    _others: tuple[str, ...]
    _notice: Callable[[str], None]

    def __new__(cls, value: str, others: tuple[str, ...],
                notice: Callable[[str], None]) -> WatchedName:
        name = super().__new__(cls, value)
        name._others, name._notice = others, notice
        return name

    def _check(self, other: object, caller: types.FrameType, *, within: bool = False) -> None:
        if not isinstance(other, str) or not _project_frame(caller):
            return
        if str(self) in _literal_tested_against(caller):
            return  # `name in ("mysql", "mariadb")`: the script knows both names
        text = str.lower(other)
        found = next((o for o in self._others
                      if (o.startswith(text) and text if within else o == text)), None)
        if found is not None:
            self._notice(found)

    def __eq__(self, other: object) -> bool:
        self._check(other, sys._getframe(1))
        return str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        self._check(other, sys._getframe(1))
        return str.__ne__(self, other)

    def __hash__(self) -> int:
        caller = sys._getframe(1)
        if _project_frame(caller):
            for other in _literal_tested_against(caller):
                self._check(other, caller)
        return str.__hash__(self)

    def __contains__(self, part: object) -> bool:  # `"mysql" in name`
        self._check(part, sys._getframe(1), within=True)
        return str.__contains__(self, part)  # type: ignore[operator]

    def startswith(self, prefix: Any, *args: Any) -> bool:
        caller = sys._getframe(1)
        for each in prefix if isinstance(prefix, tuple) else (prefix,):
            self._check(each, caller, within=True)
        return str.startswith(self, prefix, *args)

    def _same(self, value: str) -> WatchedName:
        return WatchedName(value, self._others, self._notice)

    def lower(self) -> WatchedName:
        return self._same(str.lower(self))

    def casefold(self) -> WatchedName:
        return self._same(str.casefold(self))

    def strip(self, chars: str | None = None) -> WatchedName:
        return self._same(str.strip(self, chars))

    def __reduce__(self) -> Any:
        return str, (str(self),)


def _project_frame(frame: types.FrameType) -> bool:
    """Whether ``frame`` runs the project's code (a script, or a module of the project),
    not SQLAlchemy's, Alembic's or ours."""
    top = str(frame.f_globals.get("__name__", "")).partition(".")[0]
    return top not in ("sqlalchemy", "sqlcompile", "alembic")


def _literal_tested_against(frame: types.FrameType) -> tuple[str, ...]:
    """The strings of the set or tuple constant ``frame`` is testing membership in right
    now (`name in {"a", "b"}`: a set is looked up by hash, so no comparison shows it)."""
    instructions, index_of = _instructions(frame.f_code)
    index = index_of.get(frame.f_lasti, 0)
    if index == 0 or instructions[index].opname != "CONTAINS_OP" \
            or instructions[index - 1].opname != "LOAD_CONST":
        return ()
    value = instructions[index - 1].argval
    if isinstance(value, frozenset | tuple):
        return tuple(sorted(v for v in value if isinstance(v, str)))
    return ()


@functools.cache
def _instructions(code: types.CodeType) -> tuple[list[dis.Instruction], dict[int, int]]:
    """The instructions of ``code``, and the index of each by its offset."""
    instructions = list(dis.get_instructions(code))
    return instructions, {ins.offset: i for i, ins in enumerate(instructions)}


op: Any = _OpProxy()
context: Any = _ContextModule("alembic.context", "Offline migration context (sqlcompile)")

#: The modules of `alembic` that are always ours while scripts load and run.
OURS = ("alembic.op", "alembic.context")
_MISSING = object()


def _op_module() -> types.ModuleType:
    module = types.ModuleType("alembic.op", "sqlcompile's `op` for migration scripts")
    module.__getattr__ = lambda name: getattr(op, name)  # type: ignore[method-assign]
    return module


_op_stand_in = _op_module()


def alembic_location() -> list[str]:
    """Where an installed Alembic's modules are (its package's search path); empty when Alembic
    is not installed. The import system's finders answer, as for `import alembic`."""
    for finder in sys.meta_path:
        find = getattr(finder, "find_spec", None)
        if find is None or isinstance(finder, _AlembicLibrary):
            continue
        try:
            spec = find("alembic", None)
        except ImportError:
            return []
        if spec is not None:
            return list(spec.submodule_search_locations or [])
    return []


class _AlembicPackage(types.ModuleType):
    """`alembic` while scripts load and run, when the real package is not imported: `op` and
    `context` are ours, and every other module (alembic.operations, alembic.autogenerate, ...)
    is the installed Alembic's, found through ``__path__`` (none when Alembic is absent)."""

    def __init__(self) -> None:
        super().__init__("alembic", "sqlcompile's stand-in for Alembic in migration scripts")
        self.op = op
        self.context = context
        self._location: list[str] | None = None
        #: Alembic's own `alembic.op` and `alembic.context`, once its library is imported.
        self.real_modules: dict[str, types.ModuleType] | None = None

    @property
    def __path__(self) -> MutableSequence[str]:
        # Searched for only when a submodule is imported (or `from alembic import X` runs):
        # a run whose scripts import only op and context never looks for Alembic.
        if self._location is None:
            self._location = alembic_location()
        return self._location

    @__path__.setter
    def __path__(self, value: MutableSequence[str]) -> None:
        self._location = list(value)

    def __getattr__(self, name: str) -> Any:
        if name == "__version__" and self.__path__:
            from importlib import metadata

            return metadata.version("alembic")
        if name.startswith("__") or not self.__path__:
            raise AttributeError(f"module 'alembic' has no attribute {name!r}")
        try:  # `import alembic` then `alembic.operations`: the real package has it imported
            return importlib.import_module(f"alembic.{name}")
        except ModuleNotFoundError:
            raise AttributeError(f"module 'alembic' has no attribute {name!r}") from None

    def import_library(self) -> None:
        """Import Alembic's library as its own package does (context, op, then plugins: its
        modules import each other in that order only), then make op and context ours again."""
        ours = {name: sys.modules.pop(name) for name in OURS if name in sys.modules}
        self.real_modules = {}  # from here on, its modules are found in its folder
        try:
            for name in ("alembic.context", "alembic.op", "alembic.runtime.plugins"):
                importlib.import_module(name)
            self.real_modules = {name: sys.modules[name] for name in OURS}
        except BaseException:
            self.real_modules = None
            raise
        finally:
            sys.modules.update(ours)
            self.op = op
            self.context = context


class _AlembicLibrary(importlib.abc.MetaPathFinder):
    """While the stand-in is `alembic`: the first import of one of Alembic's library modules
    (what an op plugin does) imports its library first; with Alembic absent, the import fails
    saying that Alembic is what is missing."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if (fullname.count(".") != 1 or not fullname.startswith("alembic.")
                or fullname in OURS):
            return None
        package = sys.modules.get("alembic")
        if not isinstance(package, _AlembicPackage):
            return None
        if not path:
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: {_importer()} needs Alembic's own modules, and "
                "Alembic is not installed (sqlcompile stands in only for alembic.op and "
                "alembic.context; a script that uses an op plugin written for Alembic "
                "compiles with Alembic and the plugin installed)", name="alembic")
        if package.real_modules is not None:
            return None  # the path finders find it in Alembic's folder
        package.import_library()
        module = sys.modules.pop(fullname, None)
        if module is None:
            return None
        # Imported along with the library: hand the import system that module, not a new one.
        return importlib.util.spec_from_loader(fullname, _Imported(module))


class _Imported(importlib.abc.Loader):
    """Loads a module that is imported already: the module itself, left as it is."""

    def __init__(self, module: types.ModuleType) -> None:
        self.module = module
        self.spec = module.__spec__

    def create_module(self, spec: Any) -> types.ModuleType:
        return self.module

    def exec_module(self, module: types.ModuleType) -> None:
        module.__spec__ = self.spec  # the import system set ours; put the module's own back


def _importer() -> str:
    """Who is importing: the module of the innermost frame outside the import system."""
    frame: types.FrameType | None = sys._getframe(2)
    while frame is not None:
        name = str(frame.f_globals.get("__name__", ""))
        if not frame.f_code.co_filename.startswith("<frozen") and name != __name__:
            top = name.partition(".")[0]
            return "the script" if top.startswith("migration_") else f"`{top}`"
        frame = frame.f_back
    return "the script"


@contextlib.contextmanager
def alembic_compat() -> Iterator[None]:
    """Let scripts written for Alembic import `op` and `context` from it, installed or not.

    `alembic.op` and `alembic.context` are ours while scripts load and run; whatever else of
    `alembic` they (or the op plugins they import) use is the installed Alembic's. When the
    real package is imported already, only its `op` and `context` are ours for the block;
    otherwise a stand-in package is `alembic`, Alembic's library is imported only when one of
    its modules is, and then the real package is imported after the block, as a program that
    used Alembic would have it. What sys.modules held for `alembic.op` and `alembic.context`
    is put back.
    """
    current = sys.modules.get("alembic")
    if isinstance(current, _AlembicPackage) or getattr(current, "op", None) is op:
        yield  # nested: the outer block has set things up
        return
    if current is not None:
        with _over_real(current):
            yield
        return
    package = _AlembicPackage()
    saved = {name: sys.modules.get(name) for name in OURS}
    sys.modules.update({"alembic": package, "alembic.op": _op_stand_in, "alembic.context": context})
    finder = _AlembicLibrary()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(finder)
        if sys.modules.get("alembic") is package:
            del sys.modules["alembic"]
        _restore(saved)
        if package.real_modules is not None:
            _import_real(package.real_modules)


@contextlib.contextmanager
def _over_real(real: types.ModuleType) -> Iterator[None]:
    """The real `alembic`, imported already, with our `op` and `context` for the block."""
    attributes = {name: real.__dict__.get(name, _MISSING) for name in ("op", "context")}
    saved = {name: sys.modules.get(name) for name in OURS}
    real.op = op  # type: ignore[attr-defined]
    real.context = context  # type: ignore[attr-defined]
    sys.modules.update({"alembic.op": _op_stand_in, "alembic.context": context})
    try:
        yield
    finally:
        for name, value in attributes.items():
            if value is _MISSING:
                real.__dict__.pop(name, None)
            else:
                setattr(real, name, value)
        _restore(saved)


def _restore(saved: dict[str, types.ModuleType | None]) -> None:
    for name, module in saved.items():
        if module is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = module


def _import_real(real_modules: dict[str, types.ModuleType]) -> None:
    """After a block that imported Alembic's library under the stand-in: import the real
    package over the modules already loaded (its own op and context among them), with its
    submodules as attributes, as if the program had imported Alembic itself."""
    for name, module in real_modules.items():
        sys.modules.setdefault(name, module)
    real = importlib.import_module("alembic")
    for name, module in list(sys.modules.items()):
        parent, _, child = name.rpartition(".")
        if parent == "alembic" and module is not None and child not in real.__dict__:
            setattr(real, child, module)
