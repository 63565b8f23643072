"""Following raw DDL with the schema model: sqlglot statements -> the ops that change the model.

Each statement sqlglot parses is turned into the operation it amounts to (CREATE TABLE ->
:class:`~sqlcompile.ops.table_ops.CreateTable`, ALTER TABLE ... ADD COLUMN -> ``AddColumn``,
...) and that op's ``apply()`` changes the model, so the model's semantics live in one place.
Statements that change no schema are ignored; anything else (functions, triggers, views,
opaque commands, SQL sqlglot cannot parse, clauses the model has no place for) marks the model
incomplete with a short excerpt.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlglot import exp

from sqlcompile.dialects.splitting import (
    split_statements,
    split_tokens,
    without_leading_comments,
)
from sqlcompile.sources.follow_objects import drop_readers, follow_object
from sqlcompile.sources.follow_sequences import follow_sequence
from sqlcompile.sources.parsed import Reader, column_names, lowercase_unquoted

if TYPE_CHECKING:
    from sqlcompile.ops.base import Op
    from sqlcompile.schema.model import Schema

#: Statements that change no schema.
_IGNORED = tuple(
    cls for cls in (getattr(exp, name, None) for name in (
        "Query", "Insert", "Update", "Delete", "Merge", "Set", "TruncateTable", "Analyze",
        "Grant", "Revoke", "Transaction", "Commit", "Rollback", "Pragma", "Use", "Describe",
        "Show", "Copy", "LoadData",
    )) if isinstance(cls, type)
)
#: Opaque commands (sqlglot's `Command`) known to change no schema.
_IGNORED_COMMANDS = {"ANALYZE", "CHECKPOINT", "CLUSTER", "LISTEN", "LOCK", "NOTIFY", "REINDEX",
                     "RESET", "VACUUM"}


def apply_sql(schema: Schema, sql: str, read: str) -> None:
    """Apply each statement of ``sql`` (sqlglot dialect ``read``) to the model."""
    import sqlglot
    from sqlglot.errors import SqlglotError

    try:
        sqlglot.Dialect.get_or_raise(read)
    except (SqlglotError, ValueError):
        schema.mark_incomplete(f"raw SQL in unknown dialect {read!r}: {excerpt(sql)}")
        return
    for text in _statements(sql, read, schema):
        # What a statement is, is read from its first word: comments before it are no part.
        text = without_leading_comments(text)
        if not text or _trigger(schema, text) or _enum_value(schema, text) or follow_sequence(
                schema, text, read) or follow_object(schema, text, read):
            continue
        tree = _parse(text, read)
        if tree is None:
            schema.mark_incomplete(f"raw SQL sqlglot cannot parse: {excerpt(text)}")
            continue
        follow(schema, lowercase_unquoted(tree, read), read, text)


_NAME = r'(?:[\w$]+|"[^"]+"|`[^`]+`|\[[^\]]+\])'
_QUALIFIED = rf"(?:{_NAME}\.)?(?P<{{group}}>{_NAME})"
_CREATE_TRIGGER = re.compile(
    r"\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?(?P<temp>TEMP(?:ORARY)?\s+)?TRIGGER\s+"
    r"(?:IF\s+NOT\s+EXISTS\s+)?"
    + _QUALIFIED.format(group="name")
    + r"\b.*?\sON\s+" + _QUALIFIED.format(group="table"),
    re.IGNORECASE | re.DOTALL,
)
_DROP_TRIGGER = re.compile(
    r"\s*DROP\s+TRIGGER\s+(?P<exists>IF\s+EXISTS\s+)?" + _QUALIFIED.format(group="name")
    + r"(?:\s+ON\s+" + _QUALIFIED.format(group="table") + r")?\s*;?\s*",
    re.IGNORECASE,
)


def _unquote(name: str) -> str:
    return name[1:-1] if name[:1] in ('"', "`", "[") else name


_ADD_ENUM_VALUE = re.compile(
    r"\s*ALTER\s+TYPE\s+(?:(?P<schema>" + _NAME + r")\.)?(?P<name>" + _NAME + r")\s+ADD\s+VALUE\s+"
    r"(?P<exists>IF\s+NOT\s+EXISTS\s+)?'(?P<value>(?:[^']|'')*)'"
    r"(?:\s+(?P<where>BEFORE|AFTER)\s+'(?P<other>(?:[^']|'')*)')?\s*;?\s*",
    re.IGNORECASE,
)


def _enum_value(schema: Schema, sql: str) -> bool:
    """PostgreSQL's ALTER TYPE ... ADD VALUE (sqlglot does not parse it): the value joins the
    enum type where BEFORE/AFTER put it, else at the end."""
    from sqlcompile.schema.model import EnumModel

    match = _ADD_ENUM_VALUE.fullmatch(sql)
    if match is None:
        return False
    name = _unquote(match.group("name"))
    owner = _unquote(match.group("schema")) if match.group("schema") else None
    enum = schema.enums.get((owner, name))
    if enum is None:
        schema.mark_incomplete(f"ALTER TYPE {name} ADD VALUE: the model has no such type")
        return True
    value = match.group("value").replace("''", "'")
    if value in enum.values:
        if not match.group("exists"):
            schema.mark_incomplete(f"ALTER TYPE {name} ADD VALUE: {value!r} is already there")
        return True
    values = list(enum.values)
    other = (match.group("other") or "").replace("''", "'")
    if match.group("where") and other in values:
        values.insert(values.index(other) + (match.group("where").upper() == "AFTER"), value)
    else:
        values.append(value)
    schema.put_enum(EnumModel(name, owner, tuple(values)))
    return True


def _trigger(schema: Schema, sql: str) -> bool:
    """CREATE TRIGGER / DROP TRIGGER, taken whole (a trigger body holds `;`): the model keeps
    the statement verbatim on its table, so a SQLite table rebuild can create it again."""
    from sqlcompile.schema.model import TriggerModel

    create = _CREATE_TRIGGER.match(sql)
    if create is not None:
        if create.group("temp"):
            return True  # gone at the end of the session
        name, table_name = _unquote(create.group("name")), _unquote(create.group("table"))
        if schema.table(table_name) is None and create.group("table") == table_name:
            table_name = table_name.lower()  # unquoted: folded as the model's names are
        table = schema.known(table_name, None, f"CREATE TRIGGER {name}")
        if table is not None:
            text = sql.strip()
            text = text[:-1].rstrip() if text.endswith(";") else text
            kept = tuple(t for t in table.triggers if t.name != name)  # OR REPLACE
            schema.put(replace(table, triggers=(*kept, TriggerModel(name, text))))
        return True
    drop = _DROP_TRIGGER.fullmatch(sql)
    if drop is not None:
        name = _unquote(drop.group("name"))
        table = schema.find_trigger(name)
        if table is not None:
            schema.put(replace(table, triggers=tuple(t for t in table.triggers
                                                     if t.name != name)))
        elif not drop.group("exists"):
            schema.mark_incomplete(f"DROP TRIGGER {name}: the model has no such trigger")
        return True
    return False


def _statements(sql: str, read: str, schema: Schema) -> list[str]:
    """The statements of ``sql``, cut as the client would run them (a trigger's or block's
    inner `;` do not end it; one piece if it cannot be tokenized), so one statement sqlglot
    cannot parse does not hide the others. Blocks and batches are the target's when ``sql``
    is in its dialect."""
    from sqlglot.errors import SqlglotError

    dialect = schema.dialect
    try:
        if read == dialect.sqlglot_name:
            return split_statements(sql, dialect)
        return split_tokens(sql, read)
    except SqlglotError:
        return [sql.strip()] if sql.strip() else []


def _parse(text: str, read: str) -> exp.Expression | None:
    import sqlglot
    from sqlglot.errors import ErrorLevel, SqlglotError

    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)  # "falling back to Command" is reported by us instead
    try:
        tree = sqlglot.parse_one(text, read=read, error_level=ErrorLevel.RAISE)
        return tree if isinstance(tree, exp.Expression) else None
    except SqlglotError:
        return _comment_is_null(text, read)
    finally:
        logger.setLevel(level)


def _comment_is_null(text: str, read: str) -> exp.Expression | None:
    """`COMMENT ON ... IS NULL` (which sqlglot cannot parse) as a Comment with a NULL."""
    import sqlglot
    from sqlglot.errors import SqlglotError

    words = text.rstrip().split()
    if len(words) < 5 or words[0].upper() != "COMMENT" or [w.upper() for w in words[-2:]] != [
            "IS", "NULL"]:
        return None
    try:
        tree = sqlglot.parse_one(" ".join([*words[:-1], "''"]), read=read)
    except SqlglotError:
        return None
    if isinstance(tree, exp.Comment):
        tree.set("expression", exp.Null())
        return tree
    return None


def excerpt(sql: str, limit: int = 60) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def follow(schema: Schema, tree: exp.Expression, read: str, text: str) -> None:
    """Apply one parsed statement to the model."""
    if isinstance(tree, _IGNORED):
        return
    if isinstance(tree, exp.Command):
        if str(tree.this).upper() not in _IGNORED_COMMANDS:
            schema.mark_incomplete(f"raw SQL the model does not follow: {excerpt(text)}")
        return
    reader = Reader(schema, read)
    handler = _HANDLERS.get((type(tree).__name__, str(tree.args.get("kind") or "").upper()))
    followed = handler(reader, tree) if handler is not None else False
    if not followed:
        schema.mark_incomplete(f"raw SQL the model does not follow: {excerpt(text)}")
    elif reader.skipped:
        schema.mark_incomplete(f"raw SQL followed without {'; '.join(reader.skipped)}: "
                               f"{excerpt(text)}")


def _where(table: exp.Expression) -> tuple[str, str | None]:
    """(name, schema) of a table reference."""
    return table.name, table.text("db") or None


# -- CREATE / DROP ---------------------------------------------------------------------------


def _create_table(reader: Reader, tree: exp.Expression) -> bool:
    from sqlcompile.ops.table_ops import CreateTable
    from sqlcompile.schema.convert import ensure_fk_targets

    target = tree.this
    properties = tree.args.get("properties")
    props = list(properties.expressions) if properties is not None else []
    if any(isinstance(p, exp.TemporaryProperty) for p in props):
        return True  # gone at the end of the session
    if not isinstance(target, exp.Schema) or tree.args.get("expression") is not None:
        return False  # CREATE TABLE ... AS SELECT, or no column list
    name, schema_name = _where(target.this)
    items: list[Any] = []
    for node in target.expressions:
        if isinstance(node, exp.ColumnDef):
            column, extra = reader.column(node)
            items += [column, *extra]
            continue
        constraint = reader.table_constraint(node)
        if constraint is None:
            return False
        items.append(constraint)
    comment: str | None = None
    for prop in props:
        if isinstance(prop, exp.SchemaCommentProperty):
            comment = prop.this.name
        else:
            reader.skipped.append(f"table option {prop.sql(dialect=reader.read)}")
    table = ensure_fk_targets(sa.Table(name, sa.MetaData(), *items, schema=schema_name,
                                       comment=comment))
    _apply(reader, CreateTable(table, bool(tree.args.get("exists"))))
    return True


def _create_index(reader: Reader, tree: exp.Expression) -> bool:
    from sqlcompile.ops.index_ops import CreateIndex

    index = tree.this
    params = index.args.get("params")
    table_ref = index.args.get("table")
    if not isinstance(table_ref, exp.Table) or params is None:
        return False
    columns: list[Any] = []
    for part in params.args.get("columns") or []:
        inner = part.this if isinstance(part, exp.Ordered) else part
        plain = isinstance(inner, exp.Column) and not (
            isinstance(part, exp.Ordered) and part.args.get("desc"))
        columns.append(inner.name if plain else sa.text(reader.sql(part)))
    kw: dict[str, Any] = {}
    dialect = reader.schema.dialect.name
    where = params.args.get("where")
    if where is not None:
        kw[f"{dialect}_where"] = sa.text(reader.sql(where.this))
    using = params.args.get("using")
    if using is not None:
        kw[f"{dialect}_using"] = using.name.lower()
    name, schema_name = _where(table_ref)
    op = CreateIndex(index.name or None, name, columns, schema_name,
                     bool(tree.args.get("unique")), bool(tree.args.get("exists")), kw)
    try:
        op.index()
    except (sa.exc.ArgumentError, TypeError):  # an option this dialect's SQLAlchemy rejects
        kw.pop(f"{dialect}_using", None)
        reader.skipped.append(f"USING {using.name if using is not None else ''}")
    _apply(reader, op)
    return True


def _create_type(reader: Reader, tree: exp.Expression) -> bool:
    from sqlcompile.schema.model import EnumModel

    definition = tree.args.get("expression")
    if not (isinstance(definition, exp.DataType) and definition.is_type("enum")):
        return False
    name, schema_name = _where(tree.this)
    values = tuple(v.name for v in definition.expressions)
    reader.schema.put_enum(EnumModel(name, schema_name, values))
    return True


def _create_schema(reader: Reader, tree: exp.Expression) -> bool:
    return True  # an empty schema: nothing for the model to hold


def _drop(reader: Reader, tree: exp.Expression) -> bool:
    from sqlcompile.ops.index_ops import DropIndex
    from sqlcompile.ops.table_ops import DropTable

    kind = str(tree.args.get("kind") or "").upper()
    exists = bool(tree.args.get("exists"))
    if kind == "TABLE" and tree.args.get("temporary"):
        return True
    for ref in tree.args.get("tables") or []:
        name, schema_name = _where(ref)
        if kind == "TABLE":
            if tree.args.get("cascade"):
                drop_readers(reader.schema, name, schema_name)
            _apply(reader, DropTable(name, schema_name, exists))
        elif kind == "INDEX":
            on = tree.args.get("cluster")
            table = on.this.name if isinstance(on, exp.OnProperty) else None
            _apply(reader, DropIndex(name, table, schema_name, exists))
        elif kind == "TYPE":
            reader.schema.remove_enum(name, schema_name)
        elif kind == "SCHEMA":
            schema_name = ref.text("db") or ref.name
            if any(key[0] == schema_name for key in reader.schema.tables):
                return False
        else:
            return False
    return True


# -- ALTER TABLE -----------------------------------------------------------------------------


def _alter_table(reader: Reader, tree: exp.Expression) -> bool:
    name, schema_name = _where(tree.this)
    for action in tree.args.get("actions") or []:
        handler = _ACTIONS.get(type(action).__name__)
        if handler is None or not handler(reader, action, name, schema_name):
            return False
    return True


def _add_column(reader: Reader, action: exp.Expression, table: str, schema: str | None) -> bool:
    from sqlcompile.ops.base import table_for
    from sqlcompile.ops.table_ops import AddColumn
    from sqlcompile.schema.convert import ensure_fk_targets

    assert isinstance(action, exp.ColumnDef)
    column, extra = reader.column(action)
    ensure_fk_targets(table_for(table, column, *extra, schema=schema))
    _apply(reader, AddColumn(table, column, schema, bool(action.args.get("exists"))))
    return True


def _drop_item(reader: Reader, action: exp.Expression, table: str, schema: str | None) -> bool:
    from sqlcompile.ops.constraint_ops import DropConstraint
    from sqlcompile.ops.table_ops import DropColumn

    kind = str(action.args.get("kind") or "").upper()
    exists = bool(action.args.get("exists"))
    for ref in action.args.get("tables") or []:
        if kind == "COLUMN":
            _apply(reader, DropColumn(table, ref.name, schema, None, exists))
        elif kind == "CONSTRAINT":
            _apply(reader, DropConstraint(ref.name, table, None, schema, exists))
        else:
            return False
    return True


def _rename_column(reader: Reader, action: exp.Expression, table: str,
                   schema: str | None) -> bool:
    from sqlcompile.ops.table_ops import AlterColumn

    _apply(reader, AlterColumn(table, action.this.name, schema,
                               new_column_name=action.args["to"].name))
    return True


def _alter_column(reader: Reader, action: exp.Expression, table: str,
                  schema: str | None) -> bool:
    from sqlcompile.ops.table_ops import AlterColumn

    args = action.args
    dtype = args.get("dtype")
    change: dict[str, Any]
    if isinstance(dtype, exp.DataType):
        change = {"type_": reader.sa_type(dtype)[0]}
    elif args.get("allow_null") is not None:
        change = {"nullable": bool(args["allow_null"])}
    elif args.get("default") is not None:
        change = {"server_default": sa.text(reader.sql(args["default"]))}
    elif args.get("drop"):
        change = {"server_default": None}
    elif args.get("comment") is not None:
        change = {"comment": args["comment"].name}
    else:
        return False
    _apply(reader, AlterColumn(table, action.name, schema, **change))
    return True


def _modify_column(reader: Reader, action: exp.Expression, table: str,
                   schema: str | None) -> bool:
    """MySQL's MODIFY / CHANGE: the column is replaced by the new definition."""
    from sqlcompile.ops.base import table_for
    from sqlcompile.schema.convert import column_from_sa

    old = action.args.get("rename_from")
    column, extra = reader.column(action.this)
    if extra:
        return False
    table_for(table, column, schema=schema)
    model = column_from_sa(column, reader.schema.dialect)
    old_name = old.name if old is not None else column.name

    def change(found: Any) -> Any:
        if found.column(old_name) is None:
            reader.schema.mark_incomplete(f"MODIFY of {table}.{old_name}: the model has no "
                                          "such column")
            return found
        if old_name != model.name:
            found = found.renamed_column(old_name, model.name)
        return found.with_column(model)

    reader.schema.update(table, schema, f"alter table {table}", change)
    return True


def _add_constraint(reader: Reader, action: exp.Expression, table: str,
                    schema: str | None) -> bool:
    from sqlcompile.ops.constraint_ops import (
        CreateCheckConstraint,
        CreateForeignKey,
        CreatePrimaryKey,
        CreateUniqueConstraint,
    )

    for node in action.expressions:
        constraint = reader.table_constraint(node)
        name = constraint.name if constraint is not None else None
        name = None if name is None or isinstance(name, sa.sql.base._NoneName) else str(name)
        inner = node.expressions[0] if isinstance(node, exp.Constraint) else node
        op: Op
        if isinstance(constraint, sa.PrimaryKeyConstraint):
            op = CreatePrimaryKey(name, table, column_names(inner.expressions), schema)
        elif isinstance(constraint, sa.UniqueConstraint):
            op = CreateUniqueConstraint(name, table, column_names(inner.this.expressions),
                                        schema)
        elif isinstance(constraint, sa.CheckConstraint):
            op = CreateCheckConstraint(name, table, constraint.sqltext, schema)
        elif isinstance(constraint, sa.ForeignKeyConstraint):
            targets = [fk.target_fullname.split(".") for fk in constraint.elements]
            ref_schema = ".".join(targets[0][:-2]) or None
            op = CreateForeignKey(
                name, table, targets[0][-2], list(constraint.column_keys),
                [t[-1] for t in targets], schema, ref_schema, constraint.onupdate,
                constraint.ondelete, constraint.deferrable, constraint.initially,
                constraint.match)
        else:
            return False
        _apply(reader, op)
    return True


def _rename_table(reader: Reader, action: exp.Expression, table: str,
                  schema: str | None) -> bool:
    from sqlcompile.ops.table_ops import RenameTable

    _apply(reader, RenameTable(table, action.this.name, schema))
    return True


# -- COMMENT ON ------------------------------------------------------------------------------


def _comment(reader: Reader, tree: exp.Expression) -> bool:
    from sqlcompile.ops.table_ops import AlterColumn, CreateTableComment, DropTableComment

    kind = str(tree.args.get("kind") or "").upper()
    value = tree.args.get("expression")
    text = None if isinstance(value, exp.Null) or value is None else value.name
    target = tree.this
    if kind == "TABLE":
        name, schema_name = _where(target)
        _apply(reader, CreateTableComment(name, text, None, schema_name) if text is not None
               else DropTableComment(name, None, schema_name))
        return True
    if kind == "COLUMN" and isinstance(target, exp.Column):
        schema_name = target.text("db") or None
        _apply(reader, AlterColumn(target.table, target.name, schema_name, comment=text))
        return True
    return False


def _apply(reader: Reader, op: Op) -> None:
    op.apply(reader.schema)


Handler = Callable[[Reader, exp.Expression], bool]
Action = Callable[[Reader, exp.Expression, str, "str | None"], bool]

_HANDLERS: dict[tuple[str, str], Handler] = {
    ("Create", "TABLE"): _create_table,
    ("Create", "INDEX"): _create_index,
    ("Create", "TYPE"): _create_type,
    ("Create", "SCHEMA"): _create_schema,
    ("Drop", "TABLE"): _drop,
    ("Drop", "INDEX"): _drop,
    ("Drop", "TYPE"): _drop,
    ("Drop", "SCHEMA"): _drop,
    ("Alter", "TABLE"): _alter_table,
    ("Comment", "TABLE"): _comment,
    ("Comment", "COLUMN"): _comment,
}

_ACTIONS: dict[str, Action] = {
    "ColumnDef": _add_column,
    "Drop": _drop_item,
    "RenameColumn": _rename_column,
    "AlterColumn": _alter_column,
    "ModifyColumn": _modify_column,
    "AddConstraint": _add_constraint,
    "AlterRename": _rename_table,
}
