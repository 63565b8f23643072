"""What a script's `op.get_bind()` and `op.get_context()` are offline: a write-only
connection (statements executed on it are recorded, schema reads are answered from the schema
model, reading rows raises :class:`LiveDatabaseRequired` naming the script line), its engine,
and the migration context with its config."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import inspection
from sqlalchemy.sql.elements import ClauseElement

from sqlcompile.errors import ScriptError
from sqlcompile.ops import OPS
from sqlcompile.ops.data_ops import Execute, TransactionBreak
from sqlcompile.sources.inspector import inspector_for

if TYPE_CHECKING:
    from sqlcompile.config import Config
    from sqlcompile.sources.recorder import Recorder


def script_line(path: Path) -> int | None:
    """Line of the innermost active frame running ``path`` (the script line being executed)."""
    frame = sys._getframe(1)
    target = str(path)
    while frame is not None:
        if frame.f_code.co_filename == target:
            return frame.f_lineno
        frame = frame.f_back  # type: ignore[assignment]
    return None


_SESSION_READS = frozenset({"get", "get_one", "refresh", "merge", "scalar", "scalars"})
_CONNECTION_READS = frozenset({"scalar", "scalars"})


def orm_call(path: Path) -> tuple[str, bool] | None:
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


class RecorderBound:
    """`bind` and `connection` of a context object offline: the recorder's connection."""

    _recorder: Recorder

    @property
    def bind(self) -> WriteOnlyConnection:
        return self._recorder.get_bind()

    @property
    def connection(self) -> WriteOnlyConnection:
        return self._recorder.get_bind()


class OfflineContext(RecorderBound):
    """`op.get_context()`: the migration context of an offline (`--sql`) run."""

    as_sql = True

    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder
        self.dialect = recorder.tracked.dialect
        self.config = ConfigView(recorder.config)
        self.opts: dict[str, Any] = {"as_sql": True}

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
