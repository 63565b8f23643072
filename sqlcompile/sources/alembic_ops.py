"""`op.invoke(operation)`: Alembic's own operation objects (``alembic.operations.ops``) recorded
as the `op.*` call each one stands for.

Alembic is not imported here: an object is recognised by its class, defined in an
``alembic.`` module under one of the names below (so a script that builds one has Alembic).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlcompile.errors import ScriptError

if TYPE_CHECKING:
    from sqlcompile.sources.recorder import Recorder

_Call = Callable[[Any, Any], Any]  # (op proxy target, Alembic operation) -> result


def _kw(operation: Any, name: str = "kw") -> dict[str, Any]:
    return dict(getattr(operation, name, None) or {})


def _create_table(op: Any, o: Any) -> Any:
    kw = _kw(o)
    for name in ("comment", "info", "prefixes"):
        if getattr(o, name, None):
            kw[name] = getattr(o, name)
    return op.create_table(o.table_name, *o.columns, schema=o.schema,
                           if_not_exists=getattr(o, "if_not_exists", None), **kw)


def _alter_column(op: Any, o: Any) -> Any:
    return op.alter_column(
        o.table_name, o.column_name, nullable=o.modify_nullable, comment=o.modify_comment,
        server_default=o.modify_server_default, new_column_name=o.modify_name,
        type_=o.modify_type, existing_type=o.existing_type,
        existing_server_default=o.existing_server_default,
        existing_nullable=o.existing_nullable, existing_comment=o.existing_comment,
        schema=o.schema, **_kw(o))


#: Alembic's operation classes (by name), each with the `op.*` call it stands for.
OPERATIONS: dict[str, _Call] = {
    "CreateTableOp": _create_table,
    "DropTableOp": lambda op, o: op.drop_table(
        o.table_name, schema=o.schema, if_exists=getattr(o, "if_exists", None),
        **_kw(o, "table_kw")),
    "RenameTableOp": lambda op, o: op.rename_table(o.table_name, o.new_table_name,
                                                   schema=o.schema),
    "AddColumnOp": lambda op, o: op.add_column(
        o.table_name, o.column, schema=o.schema, if_not_exists=getattr(o, "if_not_exists", None),
        inline_references=getattr(o, "inline_references", None),
        inline_primary_key=getattr(o, "inline_primary_key", None), **_kw(o)),
    "DropColumnOp": lambda op, o: op.drop_column(
        o.table_name, o.column_name, schema=o.schema, if_exists=getattr(o, "if_exists", None),
        **_kw(o)),
    "AlterColumnOp": _alter_column,
    "CreateTableCommentOp": lambda op, o: op.create_table_comment(
        o.table_name, o.comment, existing_comment=o.existing_comment, schema=o.schema),
    "DropTableCommentOp": lambda op, o: op.drop_table_comment(
        o.table_name, existing_comment=o.existing_comment, schema=o.schema),
    "CreateIndexOp": lambda op, o: op.create_index(
        o.index_name, o.table_name, o.columns, schema=o.schema, unique=bool(o.unique),
        if_not_exists=getattr(o, "if_not_exists", None), **_kw(o)),
    "DropIndexOp": lambda op, o: op.drop_index(
        o.index_name, o.table_name, schema=o.schema, if_exists=getattr(o, "if_exists", None),
        **_kw(o)),
    "CreatePrimaryKeyOp": lambda op, o: op.create_primary_key(
        o.constraint_name, o.table_name, o.columns, schema=o.schema),
    "CreateUniqueConstraintOp": lambda op, o: op.create_unique_constraint(
        o.constraint_name, o.table_name, o.columns, schema=o.schema, **_kw(o)),
    "CreateForeignKeyOp": lambda op, o: op.create_foreign_key(
        o.constraint_name, o.source_table, o.referent_table, o.local_cols, o.remote_cols,
        **_kw(o)),
    "CreateCheckConstraintOp": lambda op, o: op.create_check_constraint(
        o.constraint_name, o.table_name, o.condition, schema=o.schema, **_kw(o)),
    "CreateExcludeConstraintOp": lambda op, o: op.create_exclude_constraint(
        o.constraint_name, o.table_name, *o.elements, where=o.where, schema=o.schema,
        **_kw(o)),
    "DropConstraintOp": lambda op, o: op.drop_constraint(
        o.constraint_name, o.table_name, o.constraint_type, schema=o.schema,
        if_exists=getattr(o, "if_exists", None)),
    "BulkInsertOp": lambda op, o: op.bulk_insert(o.table, o.rows, multiinsert=o.multiinsert),
    "ExecuteSQLOp": lambda op, o: op.execute(o.sqltext,
                                             execution_options=o.execution_options),
}


def invoke(recorder: Recorder, operation: Any) -> Any:
    """Record Alembic's ``operation`` as the `op.*` call it stands for; what that call
    returns (create_table: the Table)."""
    from sqlcompile.sources.connection import script_line

    cls = type(operation)
    call = OPERATIONS.get(cls.__name__) if cls.__module__.startswith("alembic.") else None
    if call is None:
        from sqlcompile.sources import plugins

        if plugins.is_plugin_operation(operation):  # its plugin's implementation runs
            return plugins.invoke(recorder, operation)
        shown = f"{cls.__module__}.{cls.__qualname__}"
        raise ScriptError(
            f"op.invoke(): {shown} is neither one of Alembic's own operations "
            "(alembic.operations.ops) nor a plugin's operation with an implementation "
            "registered through Operations.implementation_for()",
            path=recorder.rel_path, line=script_line(recorder.path),
            hint="import the plugin that implements it in the script, or write this "
                 f"revision's SQL by hand in {recorder.hand_written_hint}",
        )
    return call(recorder, operation)
