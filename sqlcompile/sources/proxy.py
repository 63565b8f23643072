"""`op` and `context`: module-level stand-ins that forward to the script being compiled.

Scripts bind `op` at import time (`from alembic import op` or `from sqlcompile import op`);
the recorder behind it is chosen per run, for one dialect and direction.
"""

from __future__ import annotations

import contextlib
import sys
import types
from collections.abc import Iterator
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
        from sqlcompile.sources.recorder import ConfigView

        config = _config.get()
        if config is None:
            raise ScriptError("context.config is only available while compiling")
        return ConfigView(config)


op: Any = _OpProxy()
context: Any = _ContextModule("alembic.context", "Offline migration context (sqlcompile)")


@contextlib.contextmanager
def alembic_compat() -> Iterator[None]:
    """Let scripts written for Alembic import `op` and `context` from it, installed or not.

    Alembic itself is never imported: `alembic`, `alembic.op` and `alembic.context` are stand-ins
    only while scripts load and run, and whatever was in sys.modules before is put back.
    """
    package = types.ModuleType("alembic", "sqlcompile's stand-in for Alembic in migration scripts")
    package.__path__ = []
    op_module = types.ModuleType("alembic.op")
    op_module.__getattr__ = lambda name: getattr(op, name)  # type: ignore[method-assign]
    package.op = op  # type: ignore[attr-defined]
    package.context = context  # type: ignore[attr-defined]
    replaced = {"alembic": package, "alembic.op": op_module, "alembic.context": context}
    saved = {name: sys.modules.get(name) for name in replaced}
    sys.modules.update(replaced)
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
