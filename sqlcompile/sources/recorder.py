"""The recording `op`: runs a script's upgrade()/downgrade() for one dialect, with no database.

Every `op.*` call becomes an operation dataclass. `op.get_bind()` is a write-only connection
(:mod:`sqlcompile.sources.connection`): statements executed on it are recorded, schema reads
(`sa.inspect(bind)`, `checkfirst=True`) are answered from the schema model
(:mod:`sqlcompile.sources.inspector`), and reading rows raises :class:`LiveDatabaseRequired`
naming the script line.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import conv

from sqlcompile.errors import LiveDatabaseRequired
from sqlcompile.ops import OPS, Op
from sqlcompile.ops.base import Recorded
from sqlcompile.ops.batch_ops import BatchAlterTable
from sqlcompile.sources import op_calls
from sqlcompile.sources.connection import (
    OfflineContext,
    WriteOnlyConnection,
    orm_call,
    script_line,
)
from sqlcompile.sources.inspector import TrackedModel

if TYPE_CHECKING:
    from sqlcompile.config import Config
    from sqlcompile.dialects.base import DialectSupport
    from sqlcompile.schema.model import Schema
    from sqlcompile.sources.printing import PrintedLines


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
        session = orm_call(self.path)
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
