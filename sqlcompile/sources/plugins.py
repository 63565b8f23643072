"""Op plugins written for Alembic: `op.<name>` for an operation a plugin registered on Alembic's
`Operations`, run by the plugin's own code against an offline stand-in for Alembic's objects.

A plugin registers a method with ``Operations.register_operation(name)`` (it usually builds
the plugin's ``MigrateOperation`` and calls ``operations.invoke()``) and its implementation
with ``Operations.implementation_for(OpClass)``. Both run here as Alembic runs them, on an
``Operations`` subclass whose connection, context and impl are offline: whatever the plugin
executes is recorded like `op.execute()` (framed, validated, followed by the schema model),
Alembic's own operations it invokes are recorded as the `op.*` calls they stand for, and it
sees offline (`as_sql`) mode and the target dialect.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from sqlcompile.errors import ScriptError
from sqlcompile.sources import op_calls
from sqlcompile.sources.connection import RecorderBound
from sqlcompile.sources.scripts import UnknownOperation

if TYPE_CHECKING:
    from sqlcompile.sources.connection import OfflineContext
    from sqlcompile.sources.recorder import Recorder

#: Operations of op plugins we know, each with (distribution, module the script imports).
KNOWN_PLUGINS: dict[str, tuple[str, str]] = {
    "sync_enum_values": ("alembic-postgresql-enum", "alembic_postgresql_enum"),
    "add_enum_value": ("alembic-postgresql-enum", "alembic_postgresql_enum"),
    "create_entity": ("alembic-utils", "alembic_utils"),
    "drop_entity": ("alembic-utils", "alembic_utils"),
    "replace_entity": ("alembic-utils", "alembic_utils"),
}

#: Alembic's module that holds `Operations` (where plugins register their operations).
_OPERATIONS_MODULE = "alembic.operations.base"


class UnknownPluginOperation(UnknownOperation, AttributeError):
    """`op.<name>` that neither sqlcompile nor an imported op plugin provides (an
    AttributeError too, so `hasattr(op, name)` still answers False)."""


class PluginGap(ScriptError, AttributeError):
    """An op plugin used part of Alembic's API that the offline stand-in does not have."""


def registered(name: str, batch: bool = False) -> Callable[..., Any] | None:
    """The method an op plugin registered on Alembic's `Operations` (with ``batch``: on
    `BatchOperations`, for `batch_op`) as ``name``, or None (no plugin registers it, or
    Alembic's library is not imported, so no plugin could have)."""
    module = sys.modules.get(_OPERATIONS_MODULE)
    if module is None:
        return None
    function = getattr(module.BatchOperations if batch else module.Operations, name, None)
    op_cls = getattr(function, "__globals__", {}).get("op_cls")
    if not isinstance(op_cls, type) or op_cls.__module__.partition(".")[0] == "alembic":
        return None  # not registered by register_operation(), or one of Alembic's own
    return function


def plugin_operation(recorder: Recorder, name: str) -> Callable[..., Any]:
    """`op.<name>` for an op plugin's operation: a function with the plugin method's
    signature that runs it on an adapter for ``recorder``. A plugin we know is imported when
    no script has (Alembic projects often import plugins in env.py only, which sqlcompile
    does not run). Raises :class:`UnknownPluginOperation` when no plugin registers ``name``."""
    function = registered(name)
    if function is None and name in KNOWN_PLUGINS:
        with contextlib.suppress(ImportError):  # not installed, or Alembic is not
            importlib.import_module(KNOWN_PLUGINS[name][1])
            function = registered(name)
    if function is None:
        raise unknown_operation(recorder, name)
    label = f"op.{name}"
    signature = inspect.signature(function)
    signature = signature.replace(parameters=list(signature.parameters.values())[1:])

    def call(*args: Any, **kw: Any) -> Any:
        return function(adapter_for(recorder, label), *args, **kw)

    return op_calls.op_function(recorder, label, signature, call)


def batch_plugin_operation(recorder: Recorder, name: str, table_name: str,
                           schema: str | None) -> Callable[..., Any]:
    """`batch_op.<name>` for an op plugin's operation registered on Alembic's
    `BatchOperations` (``BatchOperations.register_operation(name, "batch_...")``): it runs on
    a batch adapter whose ``impl`` names the block's table and schema, as Alembic's does.
    Raises an AttributeError when no plugin registers ``name`` for batch mode."""
    function = registered(name, batch=True)
    if function is None and name in KNOWN_PLUGINS:
        with contextlib.suppress(ImportError):
            importlib.import_module(KNOWN_PLUGINS[name][1])
            function = registered(name, batch=True)
    if function is None:
        if registered(name) is None:
            raise AttributeError(f"batch_alter_table has no operation {name!r}")
        from sqlcompile.sources.connection import script_line

        raise UnknownPluginOperation(
            f"batch_op.{name}(): the op plugin registers {name} on Alembic's Operations only, "
            "not on BatchOperations, so batch_op has no such method (under Alembic either)",
            path=recorder.rel_path, line=script_line(recorder.path),
            hint=f"call op.{name}(...) with the table name, before or after the "
                 "batch_alter_table block")
    label = f"batch_op.{name}"
    signature = inspect.signature(function)
    signature = signature.replace(parameters=list(signature.parameters.values())[1:])

    def call(*args: Any, **kw: Any) -> Any:
        return function(batch_adapter_for(recorder, label, table_name, schema), *args, **kw)

    return op_calls.op_function(recorder, label, signature, call)


def unknown_operation(recorder: Recorder, name: str) -> UnknownPluginOperation:
    """The error for `op.<name>` that nothing provides, saying what would: the plugin, if we
    know the name, and Alembic, without which no plugin can be compiled."""
    from sqlcompile.sources.connection import script_line
    from sqlcompile.sources.proxy import alembic_location

    known = KNOWN_PLUGINS.get(name, ("", ""))[0]
    if _OPERATIONS_MODULE not in sys.modules and not alembic_location():
        if known:
            message = (f"op.{name}() is an operation of the op plugin {known}, which needs "
                       "Alembic installed to compile (a plugin registers its operations on "
                       "Alembic's Operations and runs Alembic's code)")
            hint = f"install alembic and {known} where sqlcompile runs"
        else:
            message = (f"op.{name}() is not one of Alembic's operations; if an op plugin "
                       "provides it, compiling the script needs Alembic installed, with the "
                       "plugin")
            hint = ("install alembic and the plugin where sqlcompile runs, and import the "
                    "plugin in the script; otherwise correct the name")
    elif known and KNOWN_PLUGINS[name][1] in sys.modules:
        message = (f"op.{name}() is an operation of the op plugin {known}, but the installed "
                   "version does not register it")
        hint = f"install the version of {known} the project uses where sqlcompile runs"
    elif known:
        message = f"op.{name}() is an operation of the op plugin {known}, which is not installed"
        hint = f"install {known} where sqlcompile runs"
    else:
        message = (f"op.{name}() is not one of Alembic's operations, and no op plugin that "
                   "the scripts import registers it")
        hint = ("if an op plugin provides it, install it and import it in the script "
                "(sqlcompile does not run env.py, where Alembic projects often import "
                "plugins); otherwise correct the name")
    return UnknownPluginOperation(message, path=recorder.rel_path,
                                  line=script_line(recorder.path), hint=hint)


def adapter_for(recorder: Recorder, label: str) -> Any:
    """A fresh `Operations` for one call of an op plugin's method (nothing is shared between
    calls, scripts or dialects)."""
    return _adapter_class()(recorder, label)


def batch_adapter_for(recorder: Recorder, label: str, table_name: str,
                      schema: str | None) -> Any:
    """A fresh `BatchOperations` for one call in a `batch_alter_table` block on
    ``table_name``."""
    return _batch_adapter_class()(recorder, label, table_name, schema)


def invoke(recorder: Recorder, operation: Any,
           batch: tuple[str, str | None] | None = None) -> Any:
    """`op.invoke(operation)` for an op plugin's ``MigrateOperation``: its implementation
    runs on an adapter (`batch_op.invoke()`: on a batch adapter for ``batch``, the block's
    (table, schema), as Alembic passes the implementation its BatchOperations)."""
    if batch is not None:
        label = f"batch_op.invoke({type(operation).__qualname__})"
        return batch_adapter_for(recorder, label, *batch).invoke(operation)
    label = f"op.invoke({type(operation).__qualname__})"
    return adapter_for(recorder, label).invoke(operation)


def is_plugin_operation(operation: Any) -> bool:
    """Whether ``operation`` is an op plugin's ``MigrateOperation`` (not one of Alembic's)."""
    module = sys.modules.get("alembic.operations.ops")
    return (module is not None and isinstance(operation, module.MigrateOperation)
            and type(operation).__module__.partition(".")[0] != "alembic")


class _Offline:
    """What the adapter's pieces share: the recorder, and the call they serve."""

    _what = "object"

    def __init__(self, recorder: Recorder, label: str) -> None:
        self._recorder = recorder
        self._label = label

    def _gap(self, name: str) -> PluginGap:
        from sqlcompile.sources.connection import script_line

        return PluginGap(
            f"{self._label}: the plugin uses `{name}` of Alembic's {self._what}, which "
            "sqlcompile's offline stand-in does not provide",
            path=self._recorder.rel_path, line=script_line(self._recorder.path),
            hint=f"write this revision's SQL by hand in {self._recorder.hand_written_hint}",
        )

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise self._gap(name)


class PluginImpl(RecorderBound, _Offline):
    """`operations.impl` / `migration_context.impl` (Alembic's DefaultImpl) offline: the
    target's dialect, `as_sql` mode, and `execute()` recorded like `op.execute()`."""

    _what = "DefaultImpl (migration_context.impl)"
    as_sql = True
    literal_binds = True

    def __init__(self, recorder: Recorder, label: str) -> None:
        super().__init__(recorder, label)
        #: What Alembic's dispatch for implementations keys on: the target's name.
        self.__dialect__ = recorder.dialect.name
        self.dialect = recorder.tracked.dialect
        self.transactional_ddl = recorder.dialect.transactional_ddl

    def execute(self, sql: Any, execution_options: Any = None) -> None:
        """Record a statement, as `op.execute()` does."""
        self._recorder.execute(sql, execution_options=execution_options)

    def _exec(self, construct: Any, execution_options: Any = None, multiparams: Any = None,
              params: Any = None) -> Any:
        bind = self._recorder.get_bind()
        rows = multiparams or ([params] if params else None)
        return bind.execute(construct, rows) if rows else bind.execute(construct)


class PluginBatchImpl(PluginImpl):
    """`batch_op.impl` (Alembic's BatchOperationsImpl) offline: the block's table and schema,
    which a plugin's batch method reads, and the target's dialect."""

    _what = "BatchOperationsImpl (batch_op.impl)"

    def __init__(self, recorder: Recorder, label: str, table_name: str,
                 schema: str | None) -> None:
        super().__init__(recorder, label)
        self.table_name = table_name
        self.schema = schema


class PluginContext(_Offline):
    """`operations.migration_context` / `get_context()` (Alembic's MigrationContext) offline:
    sqlcompile's offline context, with the impl Alembic's has."""

    _what = "MigrationContext"
    as_sql = True

    def __init__(self, recorder: Recorder, label: str) -> None:
        super().__init__(recorder, label)
        self._context: OfflineContext = recorder.get_context()
        self.impl = PluginImpl(recorder, label)
        self.dialect = self.impl.dialect

    def __getattr__(self, name: str) -> Any:
        try:
            return getattr(self._context, name)
        except AttributeError:
            raise self._gap(name) from None


@functools.cache
def _adapter_class() -> type[Any]:
    """Alembic's `Operations`, as the op plugins see it offline (defined once Alembic's library
    is imported, which it is when a plugin has registered an operation)."""
    from alembic.operations import Operations

    class PluginOperations(_Recording, Operations):  # type: ignore[misc]
        """Alembic's `Operations` for an op plugin's code, offline: statements it executes
        are recorded, Alembic's own operations it invokes become `op.*` calls."""

        def __init__(self, recorder: Recorder, label: str) -> None:
            self.recorder = recorder
            self.label = label
            super().__init__(PluginContext(recorder, label))  # type: ignore[arg-type]

    return PluginOperations


@functools.cache
def _batch_adapter_class() -> type[Any]:
    """Alembic's `BatchOperations`, as an op plugin's batch method and the implementations it
    invokes see it offline: Alembic's own batch methods (``operations.add_column(column)``)
    record the block's ops."""
    from alembic.operations import BatchOperations

    class PluginBatchOperations(_Recording, BatchOperations):  # type: ignore[misc]
        """Alembic's `BatchOperations` for an op plugin's code in a batch block, offline."""

        def __init__(self, recorder: Recorder, label: str, table_name: str,
                     schema: str | None) -> None:
            self.recorder = recorder
            self.label = label
            super().__init__(
                PluginContext(recorder, label),  # type: ignore[arg-type]
                impl=PluginBatchImpl(recorder, label, table_name, schema))  # type: ignore[arg-type]

    return PluginBatchOperations


class _Recording:
    """What the adapters share: Alembic's operations become `op.*` calls, a plugin's run its
    implementation, and the rest reaches the recorder."""

    recorder: Recorder
    label: str
    migration_context: Any
    _to_impl: Any

    def invoke(self, operation: Any) -> Any:
        """Alembic's own operation: the `op.*` call it stands for; a plugin's: its
        implementation (`implementation_for`), for the target dialect."""
        from sqlcompile.sources import alembic_ops

        if type(operation).__module__.partition(".")[0] == "alembic":
            return alembic_ops.invoke(self.recorder, operation)
        try:
            implementation = self._to_impl.dispatch(operation, self.recorder.dialect.name)
        except ValueError:
            raise self._error(
                f"{self.label}: {type(operation).__module__}.{type(operation).__qualname__}"
                " has no implementation (the plugin registers none with "
                "Operations.implementation_for)") from None
        return implementation(self, operation)

    def _error(self, message: str) -> ScriptError:
        from sqlcompile.sources.connection import script_line

        return ScriptError(message, path=self.recorder.rel_path,
                           line=script_line(self.recorder.path),
                           hint="the plugin cannot run this way under Alembic either")

    def get_bind(self) -> Any:
        return self.recorder.get_bind()

    def get_context(self) -> Any:
        return self.migration_context

    def execute(self, sqltext: Any, *, execution_options: Any = None) -> None:
        self.recorder.execute(sqltext, execution_options=execution_options)

    def f(self, name: str) -> Any:
        return self.recorder.f(name)

    def inline_literal(self, value: Any, type_: Any = None) -> Any:
        return self.recorder.inline_literal(value, type_)

    def run_async(self, async_function: Any, *args: Any, **kw_args: Any) -> Any:
        return self.recorder.run_async(async_function, *args, **kw_args)

    def batch_alter_table(self, table_name: str, *args: Any,
                          **kw: Any) -> AbstractContextManager[Any]:
        return self.recorder.batch_alter_table(table_name, *args, **kw)

