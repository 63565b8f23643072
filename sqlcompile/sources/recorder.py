"""The recording `op`: runs a script's upgrade()/downgrade() for one dialect, with no database.

Every `op.*` call becomes an operation dataclass. `op.get_bind()` is a write-only connection:
statements executed on it are recorded, schema reads (`sa.inspect(bind)`, `checkfirst=True`)
are answered from the schema model (:mod:`sqlcompile.sources.inspector`), and reading rows
raises :class:`LiveDatabaseRequired` naming the script line.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import inspection
from sqlalchemy.sql.elements import ClauseElement, conv

from sqlcompile.errors import LiveDatabaseRequired, ScriptError
from sqlcompile.ops import OPS, Op
from sqlcompile.ops.base import Recorded
from sqlcompile.ops.batch_ops import BatchAlterTable
from sqlcompile.ops.data_ops import Execute, TransactionBreak
from sqlcompile.sources import op_calls
from sqlcompile.sources.inspector import TrackedModel, inspector_for

if TYPE_CHECKING:
    from sqlcompile.config import Config
    from sqlcompile.dialects.base import DialectSupport
    from sqlcompile.schema.model import Schema
    from sqlcompile.sources.printing import PrintedLines


def script_line(path: Path) -> int | None:
    """Line of the innermost active frame running ``path`` (the script line being executed)."""
    frame = sys._getframe(1)
    target = str(path)
    while frame is not None:
        if frame.f_code.co_filename == target:
            return frame.f_lineno
        frame = frame.f_back  # type: ignore[assignment]
    return None


class Recorder:
    """The object behind `op` while one script runs for one dialect and direction."""

    def __init__(
        self,
        dialect: DialectSupport,
        config: Config,
        path: Path,
        rel_path: str,
        hand_written_hint: Path,
        model: Schema | None = None,
    ) -> None:
        self.dialect = dialect
        self.config = config
        self.path = path  # as executed (frames are matched on it)
        self.rel_path = rel_path  # as shown in messages
        self.hand_written_hint = hand_written_hint
        self.ops: list[Recorded] = []
        #: The dialect raw SQL strings are written in (the script's `sql_dialect`), if any.
        self.sql_dialect: str | None = None
        self.autocommit = False
        self.batch: int | None = None  # the open batch_alter_table block's number
        self._batches = 0
        self._memo: dict[str, Any] = {}
        #: The schema model before the script (a copy), kept current for its schema reads.
        self.tracked = TrackedModel(self, model)
        #: What the author should hear of, found while the script ran (compile warnings).
        self.warnings: list[str] = []
        #: ``sys.stdout`` while the script function runs (see :mod:`~.printing`).
        self.printed: PrintedLines | None = None

    # -- recording -----------------------------------------------------------------------
    def add(self, op: Op) -> None:
        """Append an op (called by each op class's ``record``)."""
        self.ops.append(Recorded(op, self.autocommit, script_line(self.path), self.batch))

    def __getattr__(self, name: str) -> Any:
        cls = OPS.get(name)
        if cls is None or not cls.public:
            if name.startswith("_"):
                raise AttributeError(f"op has no operation {name!r}")
            from sqlcompile.sources.plugins import plugin_operation

            return plugin_operation(self, name)  # an op plugin's, or an UnknownOperation
        return op_calls.op_function(self, f"op.{name}", op_calls.record_signature(cls),
                                    functools.partial(cls.record, self))

    def live_database_error(self, what: str, *, reads_rows: bool = False) -> LiveDatabaseRequired:
        """The error for an attempt to read from the database: ``what`` the script called
        (unless an ORM session called it, which is then what is named)."""
        hint = (f"write this revision's SQL by hand in {self.hand_written_hint} "
                "(it replaces running the script for that dialect and direction)")
        session = _orm_call(self.path)
        if session is not None:
            what, reads_rows = session
            if not reads_rows:
                return LiveDatabaseRequired(
                    f"the revision runs statements through an ORM session ({what}), which "
                    "needs a live database connection; offline compilation has none",
                    path=self.rel_path, line=script_line(self.path),
                    hint="write the statements with op.execute(sa.update(...)) / "
                    f"op.execute(sa.insert(...)), which compile offline, or {hint}")
        if reads_rows:
            what = f"the revision reads rows from the database ({what}), which"
        return LiveDatabaseRequired(
            f"{what} needs a live database; offline compilation reads no rows and asks the "
            "server nothing (schema reads are answered from the schema model)",
            path=self.rel_path,
            line=script_line(self.path),
            hint=hint,
        )

    def notice_name(self, other: str) -> None:
        """The script compared `dialect.name` with ``other``, another name the target's
        server goes by, which the name is not (see proxy.WatchedName): warn, once."""
        if self.warnings and any("compares dialect.name" in w for w in self.warnings):
            return
        name = self.dialect.name
        self.warnings.append(
            f"{self.rel_path}:{script_line(self.path)}: the script compares dialect.name with "
            f"{other!r}; for the {name} target it is {name!r} (as with a {name}:// url): set "
            f'url = "{other}://..." for this environment if your {self.dialect.title} is '
            f"reached by {other}:// URLs")

    # -- Alembic's Operations API beyond the op classes --------------------------------------
    def get_bind(self) -> WriteOnlyConnection:
        return WriteOnlyConnection(self)

    def get_context(self) -> OfflineContext:
        return OfflineContext(self)

    @property
    def migration_context(self) -> OfflineContext:
        """`op.migration_context`, as `op.get_context()`."""
        return self.get_context()

    def f(self, name: str) -> conv:
        """Mark a name as final: naming conventions leave it as it is."""
        return conv(name)

    def inline_literal(self, value: Any, type_: Any = None) -> Any:
        """A value rendered inline as a literal in the compiled SQL."""
        return op_calls.inline_literal(value, type_)

    def invoke(self, operation: Any) -> Any:
        """Record one of Alembic's operation objects (``alembic.operations.ops``)."""
        from sqlcompile.sources.alembic_ops import invoke

        return invoke(self, operation)

    def run_async(self, async_function: Any, *args: Any, **kw_args: Any) -> Any:
        """Alembic runs the coroutine on an async connection, which an offline run lacks."""
        raise LiveDatabaseRequired(
            "op.run_async() runs a coroutine against a live asynchronous connection; offline "
            "compilation has no connection (Alembic's --sql mode refuses it too)",
            path=self.rel_path, line=script_line(self.path),
            hint=f"call the ops directly, or write this revision's SQL by hand in "
            f"{self.hand_written_hint}",
        )

    @contextlib.contextmanager
    def batch_alter_table(
        self, table_name: str, schema: str | None = None, recreate: str = "auto",
        partial_reordering: Any = None, copy_from: sa.Table | None = None,
        table_args: Any = (), table_kwargs: Any = None, reflect_args: Any = (),
        reflect_kwargs: Any = None, naming_convention: Any = None,
    ) -> Iterator[BatchOperations]:
        """Alembic's batch mode: each call becomes the matching op on ``table_name``, marked
        with the block's number so a dialect can merge them (SQLite: one table rebuild); the
        arguments about recreating the table are recorded first when they say anything."""
        self._batches += 1
        outer, self.batch = self.batch, self._batches
        start, line, autocommit = len(self.ops), script_line(self.path), self.autocommit
        try:
            op_calls.op_function(
                self, "op.batch_alter_table", op_calls.record_signature(BatchAlterTable),
                functools.partial(BatchAlterTable.record, self),
            )(table_name, schema, recreate=recreate, partial_reordering=partial_reordering,
              copy_from=copy_from, table_args=table_args, table_kwargs=table_kwargs,
              reflect_args=reflect_args, reflect_kwargs=reflect_kwargs,
              naming_convention=naming_convention)
            batch_op = BatchOperations(self, table_name, schema)
            yield batch_op
            orders = tuple(batch_op.column_orders)
            if any(before or after for _, before, after in orders):
                # Where the new columns go, once the block has said it: the block's first op.
                first = self.ops[start] if start < len(self.ops) else None
                if first is not None and isinstance(first.op, BatchAlterTable) \
                        and first.batch == self.batch:
                    self.ops[start] = dataclasses.replace(
                        first, op=dataclasses.replace(first.op, column_orders=orders))
                else:
                    self.ops.insert(start, Recorded(
                        BatchAlterTable(table_name, schema, column_orders=orders), autocommit,
                        line, self.batch))
        finally:
            self.batch = outer
            if outer is None and self.printed is not None:
                self.printed.block_ended()

    def fire_table_events(self, table: sa.Table, event: str) -> None:
        """Let column types create what they need first (e.g. native ENUM types)."""
        getattr(table.dispatch, event)(
            table, self.get_bind(), checkfirst=False, _ddl_runner=self,
            _is_metadata_operation=False,
        )

    @property
    def memo(self) -> dict[str, Any]:
        """What SQLAlchemy's DDL runners remember between events (types already created)."""
        return self._memo


class BatchOperations:
    """`batch_op` inside `with op.batch_alter_table(...)`: the same ops, table name implied,
    each with the signature of Alembic's BatchOperations method."""

    def __init__(self, recorder: Recorder, table_name: str, schema: str | None) -> None:
        self._recorder = recorder
        self._table_name = table_name
        self._schema = schema
        #: (column, insert_before, insert_after) of each add_column call, in order.
        self.column_orders: list[tuple[str, str | None, str | None]] = []

    def __getattr__(self, name: str) -> Any:
        cls = OPS.get(name)
        if cls is None and not name.startswith("_"):
            from sqlcompile.sources.plugins import batch_plugin_operation

            return batch_plugin_operation(self._recorder, name, self._table_name, self._schema)
        if cls is None or cls.batch_table_arg is None or not cls.public:
            raise AttributeError(f"batch_alter_table has no operation {name!r}")
        position = cls.batch_table_arg

        def call(*args: Any, **kw: Any) -> Any:
            if self._schema:
                kw.setdefault("schema", self._schema)
            full_args, full_kw = self._with_table(cls, position, args, kw)
            result = cls.record(self._recorder, *full_args, **full_kw)
            if name == "add_column":
                given = op_calls.batch_signature(cls).bind(*args, **kw).arguments
                self.column_orders.append((given["column"].name, given.get("insert_before"),
                                           given.get("insert_after")))
            return result

        return op_calls.op_function(self._recorder, f"batch_op.{name}",
                                    op_calls.batch_signature(cls), call)

    def _with_table(self, cls: type[Op], position: int, args: tuple[Any, ...],
                    kw: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The arguments of ``cls.record`` for the batch call ``(*args, **kw)``: the call's
        own, bound by name (so `constraint_name=` given as a keyword stays itself), with the
        block's table in the table's parameter; a call that does not fit raises TypeError."""
        given = op_calls.batch_signature(cls).bind(*args, **kw).arguments
        full = op_calls.record_signature(cls)
        table = list(full.parameters)[position]
        arguments = {name: self._table_name if name == table else given[name]
                     for name in full.parameters if name == table or name in given}
        bound = inspect.BoundArguments(full, arguments)
        return bound.args, bound.kwargs

    def execute(self, sqltext: Any, *, execution_options: Any = None,
                dialect: str | None = None) -> None:
        """`batch_op.execute()`: runs in place, in order with the batch's other ops."""
        self._recorder.execute(sqltext, execution_options=execution_options, dialect=dialect)

    def create_foreign_key(
        self, constraint_name: str | None, referent_table: str, local_cols: list[str],
        remote_cols: list[str], *, referent_schema: str | None = None,
        onupdate: str | None = None, ondelete: str | None = None,
        deferrable: bool | None = None, initially: str | None = None, match: str | None = None,
        **dialect_kw: Any,
    ) -> None:
        """A foreign key from the block's table (in the block's schema)."""
        if self._schema:
            dialect_kw.setdefault("source_schema", self._schema)
        self._recorder.create_foreign_key(
            constraint_name, self._table_name, referent_table, local_cols, remote_cols,
            referent_schema=referent_schema, onupdate=onupdate, ondelete=ondelete,
            deferrable=deferrable, initially=initially, match=match, **dialect_kw,
        )

    # -- what batch_op shares with op ------------------------------------------------------
    def get_bind(self) -> WriteOnlyConnection:
        return self._recorder.get_bind()

    def get_context(self) -> OfflineContext:
        return self._recorder.get_context()

    @property
    def migration_context(self) -> OfflineContext:
        return self._recorder.get_context()

    def f(self, name: str) -> conv:
        return self._recorder.f(name)

    def inline_literal(self, value: Any, type_: Any = None) -> Any:
        return self._recorder.inline_literal(value, type_)

    def invoke(self, operation: Any) -> Any:
        """Alembic's operation objects name their table themselves; a plugin's runs its
        implementation on a batch adapter for this block, as Alembic's batch_op does."""
        from sqlcompile.sources import plugins

        if plugins.is_plugin_operation(operation):
            return plugins.invoke(self._recorder, operation, (self._table_name, self._schema))
        return self._recorder.invoke(operation)

    def run_async(self, async_function: Any, *args: Any, **kw_args: Any) -> Any:
        return self._recorder.run_async(async_function, *args, **kw_args)

    def batch_alter_table(self, table_name: str, schema: str | None = None,
                          recreate: str = "auto", partial_reordering: Any = None,
                          copy_from: sa.Table | None = None, table_args: Any = (),
                          table_kwargs: Any = None, reflect_args: Any = (),
                          reflect_kwargs: Any = None, naming_convention: Any = None,
                          ) -> contextlib.AbstractContextManager[BatchOperations]:
        """A block on another table, opened from inside this one (as Alembic allows)."""
        return self._recorder.batch_alter_table(
            table_name, schema, recreate=recreate, partial_reordering=partial_reordering,
            copy_from=copy_from, table_args=table_args, table_kwargs=table_kwargs,
            reflect_args=reflect_args, reflect_kwargs=reflect_kwargs,
            naming_convention=naming_convention)


#: What the ORM calls read rows (Session's methods and every Query's), and Connection's.
_SESSION_READS = frozenset({"get", "get_one", "refresh", "merge", "scalar", "scalars"})
_CONNECTION_READS = frozenset({"scalar", "scalars"})


def _orm_call(path: Path) -> tuple[str, bool] | None:
    """What the script called of an ORM session or query that ended up asking the
    connection (``"session.query(...).all()"``, whether it reads rows), or None when no ORM
    call is under way: the outermost SQLAlchemy frame below the script's innermost frame."""
    frame: Any = sys._getframe(1)
    entry = None
    while frame is not None and frame.f_code.co_filename != str(path):
        if str(frame.f_globals.get("__name__", "")).startswith("sqlalchemy."):
            entry = frame
        elif entry is not None:
            break  # the script's own code (or a helper of the project) called SQLAlchemy
        frame = frame.f_back
    if entry is None or not str(entry.f_globals["__name__"]).startswith("sqlalchemy.orm"):
        return None
    name, owner = entry.f_code.co_name, type(entry.f_locals.get("self")).__name__
    if owner == "Query" or name == "__iter__":
        return ("iterating session.query(...)" if name == "__iter__"
                else f"session.query(...).{name}()"), True
    if name in ("execute", "scalar", "scalars"):
        statement = entry.f_locals.get("statement")
        if _returns_rows(statement):
            return f"a SELECT through session.{name}(): {_statement_text(statement)}", True
        return f"session.{name}(): {_statement_text(statement)}", False
    return f"session.{name}()", name in _SESSION_READS


def _returns_rows(statement: Any) -> bool:
    """Whether executing ``statement`` gives rows to read (a SELECT, or DML with RETURNING)."""
    if isinstance(statement, sa.TextClause):
        words = statement.text.lstrip(" \t\r\n(").split(None, 1)
        return bool(words) and words[0].upper() in ("SELECT", "WITH", "VALUES", "SHOW")
    return bool(getattr(statement, "is_select", False) or getattr(statement, "_returning", ()))


def _statement_text(statement: Any) -> str:
    """A statement as a message shows it: its generic SQL on one line, cut at 60 characters."""
    try:
        text = " ".join(str(statement).split())
    except Exception:  # a construct only its dialect compiles: its kind is enough
        text = type(statement).__name__
    return f"`{text[:57]}...`" if len(text) > 60 else f"`{text}`"


class RecordedResult:
    """The result of a recorded statement: there are no rows offline."""

    def __init__(self, recorder: Recorder, statement: Any) -> None:
        self._recorder = recorder
        self._statement = _statement_text(statement)

    def _read(self, what: str) -> Any:
        raise self._recorder.live_database_error(f"{what} of {self._statement}",
                                                 reads_rows=True)

    def __getattr__(self, name: str) -> Any:
        if name in ("rowcount", "lastrowid", "inserted_primary_key"):
            raise self._recorder.live_database_error(f"result.{name} of {self._statement}")
        return lambda *a, **k: self._read(f"{name}()")

    def __iter__(self) -> Iterator[Any]:
        return self._read("iterating the result")  # type: ignore[no-any-return]

    def close(self) -> None:
        """Closing a result reads nothing."""


class WriteOnlyConnection:
    """`op.get_bind()`: executes are recorded, schema reads answer from the model, reading
    rows fails with the script line."""

    closed = False

    def __init__(self, recorder: Recorder) -> None:
        self._own = recorder
        self.engine = OfflineEngine(self)

    @property
    def _recorder(self) -> Recorder:
        """The recorder of the script running now, else the one that made the connection: a
        connection kept from an earlier revision (a helper module's cache, as Alembic's one
        connection for a whole run allows) records into, and reads the model of, the revision
        that uses it."""
        from sqlcompile.sources.proxy import running_recorder

        return running_recorder() or self._own

    @property
    def dialect(self) -> Any:
        """The target's SQLAlchemy dialect, its reflection answered from the model."""
        return self._recorder.tracked.dialect

    @property
    def url(self) -> sa.URL:
        return self.engine.url

    def execute(self, statement: Any, parameters: Any = None, **kw: Any) -> RecordedResult:
        if isinstance(statement, str):
            if parameters:
                statement = sa.text(statement)
            else:
                OPS["execute"].record(self._recorder, statement)
                return RecordedResult(self._recorder, statement)
        if parameters is None:
            OPS["execute"].record(self._recorder, statement)
        else:
            for params in parameters if isinstance(parameters, list | tuple) else [parameters]:
                OPS["execute"].record(self._recorder, _bind(statement, params))
        return RecordedResult(self._recorder, statement)

    def exec_driver_sql(self, statement: str, parameters: Any = None, **kw: Any) -> RecordedResult:
        if parameters:
            raise ScriptError(
                "exec_driver_sql() with parameters cannot be compiled offline; "
                "use sa.text(...).bindparams(...)",
                path=self._recorder.rel_path,
                line=script_line(self._recorder.path),
            )
        self._recorder.add(Execute(statement, self._recorder.sql_dialect))
        return RecordedResult(self._recorder, statement)

    def commit(self) -> None:
        """Inside a script, commit() marks a transaction boundary in the compiled SQL."""
        self._recorder.add(TransactionBreak())

    @contextlib.contextmanager
    def begin(self) -> Iterator[WriteOnlyConnection]:
        yield self

    def connect(self) -> WriteOnlyConnection:
        return self

    def close(self) -> None:
        """Closing the offline connection ends nothing."""

    def __enter__(self) -> WriteOnlyConnection:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def schema_for_object(self, obj: Any) -> str | None:
        """The schema an object lives in (no schema translation offline)."""
        schema: str | None = getattr(obj, "schema", None)
        return schema

    def _run_ddl_visitor(self, visitorcallable: Any, element: Any, **kw: Any) -> None:
        # SQLAlchemy's own DDL generators (Enum.create, Table.create) call back into execute().
        visitorcallable(self.dialect, self, **kw).traverse_single(element)

    def __getattr__(self, name: str) -> Any:
        if name in _CONNECTION_READS:
            def read(statement: Any, *args: Any, **kw: Any) -> Any:
                raise self._recorder.live_database_error(
                    f"connection.{name}() of {_statement_text(statement)}", reads_rows=True)
            return read
        if name.startswith("fetch"):
            raise self._recorder.live_database_error(f"connection.{name}", reads_rows=True)
        if not name.startswith("_") and hasattr(sa.engine.Connection, name):
            raise self._recorder.live_database_error(f"connection.{name}")
        raise AttributeError(f"the offline connection has no attribute {name!r}")


class OfflineEngine:
    """`op.get_bind().engine`: its url and dialect answer offline (the configured url where it
    reaches the target, else one naming the dialect, e.g. `postgresql://`)."""

    def __init__(self, connection: WriteOnlyConnection) -> None:
        self._connection = connection
        self.engine = self

    @property
    def dialect(self) -> Any:
        return self._connection.dialect

    @property
    def name(self) -> str:
        name: str = self.dialect.name  # (as given: under mariadb it notes comparisons)
        return name

    @property
    def driver(self) -> str:
        driver: str = getattr(self.dialect, "driver", "")
        return driver

    @property
    def url(self) -> sa.URL:
        return self._connection._recorder.tracked.url

    def connect(self) -> WriteOnlyConnection:
        return self._connection

    @contextlib.contextmanager
    def begin(self) -> Iterator[WriteOnlyConnection]:
        yield self._connection

    def dispose(self, close: bool = True) -> None:
        """Disposing of the offline engine's (absent) pool does nothing."""

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_") and hasattr(sa.engine.Engine, name):
            raise self._connection._recorder.live_database_error(f"engine.{name}")
        raise AttributeError(f"the offline engine has no attribute {name!r}")


def _bind(statement: Any, params: dict[str, Any]) -> Any:
    """Attach execute() parameters to a statement so they render as literals."""
    if isinstance(statement, sa.TextClause):
        return statement.bindparams(**params)
    if hasattr(statement, "values"):
        return statement.values(**params)
    if isinstance(statement, ClauseElement):
        return statement.params(**params)
    return statement


@inspection._inspects(WriteOnlyConnection, OfflineEngine)
def _inspect_model(bind: WriteOnlyConnection | OfflineEngine) -> Any:
    """`sa.inspect(op.get_bind())`: an Inspector whose answers come from the schema model."""
    return inspector_for(bind)


class ConfigView:
    """`op.get_context().config` / `context.config`: answers from sqlcompile's settings."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self.config_file_name = str(config.source) if config.source else None
        self.cmd_opts = None

    def get_main_option(self, name: str, default: str | None = None) -> str | None:
        return self._config.main_option(name, default)

    def get_section_option(
        self, section: str, name: str, default: str | None = None
    ) -> str | None:
        return self._config.main_option(name, default)

    def get_section(self, name: str, default: Any = None) -> Any:
        return dict(self._config.main_options) or default

    @property
    def attributes(self) -> dict[str, Any]:
        return {}


class OfflineContext:
    """`op.get_context()`: the migration context of an offline (`--sql`) run."""

    as_sql = True

    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder
        self.dialect = recorder.tracked.dialect
        self.config = ConfigView(recorder.config)
        self.opts: dict[str, Any] = {"as_sql": True}

    @property
    def bind(self) -> WriteOnlyConnection:
        return self._recorder.get_bind()

    @property
    def connection(self) -> WriteOnlyConnection:
        return self._recorder.get_bind()

    @contextlib.contextmanager
    def autocommit_block(self) -> Iterator[None]:
        """Statements inside run outside any transaction (e.g. CREATE INDEX CONCURRENTLY)."""
        if self._recorder.autocommit:
            raise ScriptError("autocommit_block() cannot be nested", path=self._recorder.rel_path,
                              line=script_line(self._recorder.path))
        self._recorder.autocommit = True
        try:
            yield
        finally:
            self._recorder.autocommit = False

    def get_current_revision(self) -> Any:
        raise self._recorder.live_database_error("get_current_revision()")

    def get_current_heads(self) -> Any:
        raise self._recorder.live_database_error("get_current_heads()")

    def execute(self, sql: Any, execution_options: Any = None) -> None:
        OPS["execute"].record(self._recorder, sql)
