"""MySQL 8.0+ and MariaDB 10.6+: DDL commits implicitly, `mysql --binary-mode`, full-column MODIFY.

Two targets share this module because most of their grammar is shared; where it differs (e.g.
`DROP CHECK` on MySQL vs `DROP CONSTRAINT` on MariaDB) SQLAlchemy's MySQL compiler branches on
``is_mariadb``, which the MariaDB target's SQLAlchemy dialect sets.

What the files rely on, set in every file's session header:

* ``SET NAMES utf8mb4``: literals carry any Unicode character, emoji included;
* an explicit ``sql_mode`` without NO_BACKSLASH_ESCAPES and ANSI_QUOTES (so a backslash in a
  literal is an escape, as SQLAlchemy's literal renderer and sqlglot both assume, and `"..."`
  is a string) and with STRICT_TRANS_TABLES, which the guard needs;
* a temporary table ``sqlcompile_guard (stop INT)``: the guard inserts its message into it, and
  under strict mode a non-numeric text in an INT column is an error that quotes the text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import schema as sa_schema
from sqlalchemy.dialects import mysql
from sqlalchemy.dialects.mysql.base import MySQLCompiler
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import DDLCompiler

from sqlcompile.dialects import ddl, mysql_names, splitting
from sqlcompile.dialects import default as defaults
from sqlcompile.dialects.base import (
    NO_EXCLUDE_CONSTRAINTS,
    NOTHING_CHANGED,
    DialectSupport,
    printable,
)
from sqlcompile.dialects.comparing import _outside_quotes
from sqlcompile.dialects.render import Element, Note, RenderContext, by_class
from sqlcompile.ops.base import Op, qualified, table_for
from sqlcompile.ops.constraint_ops import CreateExcludeConstraint, CreateForeignKey, DropConstraint
from sqlcompile.ops.index_ops import CreateIndex, DropIndex
from sqlcompile.ops.table_ops import (
    AddColumn,
    AlterColumn,
    CreateTable,
    CreateTableComment,
    DropColumn,
    DropTable,
    DropTableComment,
    RenameTable,
)
from sqlcompile.schema.convert import default_text, to_sa_column
from sqlcompile.schema.model import (
    CheckModel,
    ColumnModel,
    Schema,
    TableModel,
    unknown_origin,
)

#: The session's sql_mode: MySQL 8's default without ONLY_FULL_GROUP_BY (it concerns queries,
#: not migrations); valid on MariaDB too. No NO_BACKSLASH_ESCAPES, no ANSI_QUOTES.
SQL_MODE = ("STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
            "NO_ENGINE_SUBSTITUTION")
GUARD_TABLE = "sqlcompile_guard"

_NO_TRANSACTION_NOTE = (
    "DDL commits implicitly on {title}: a file cannot be rolled back as a whole.\n"
    "The guard runs before any change; each statement after it is numbered `-- step K of N`,\n"
    "and the version rows move in the last step, in one transaction, only after every other\n"
    "step succeeded. If the client stops with `ERROR ... at line L`, the step marked just\n"
    "above line L failed and the steps before it are applied; the version table still holds\n"
    "the old revision. Recover by undoing steps 1..K-1 by hand and re-applying this file, or\n"
    "by finishing steps K..N-1 by hand and then running step N (the version rows)."
)


class _Compiler(MySQLCompiler):
    """MySQL's compiler, with CR and NUL in string literals written as escapes.

    The mysql/mariadb clients turn CR LF into LF and stop at a NUL unless `--binary-mode` is
    given; as escapes (valid since the files' sql_mode keeps backslash escapes), the literal
    reads back byte-identical whichever way the file is applied.
    """

    def render_literal_value(self, value: Any, type_: Any) -> str:
        text = super().render_literal_value(value, type_)
        if isinstance(value, str):
            text = text.replace("\r", "\\r").replace("\x00", "\\0")
        return text


class ModifyColumn(ddl.AlterColumn):
    """ALTER TABLE t MODIFY c <full definition>, or CHANGE old new <definition> on a rename."""

    def __init__(self, table: sa.TableClause, column_name: str, column: sa.Column[Any]) -> None:
        super().__init__(table, column_name)
        self.column = column


def _modify_column(element: ModifyColumn, compiler: DDLCompiler, **kw: Any) -> str:
    spec = compiler.get_column_specification(element.column)
    head = ddl.alter_table(compiler, element.table)
    if element.column.name != element.column_name:
        return f"{head} CHANGE {compiler.preparer.quote(element.column_name)} {spec}"
    return f"{head} MODIFY {spec}"


#: The foreign keys an op creates (with deferrable / initially), by op class.
_FOREIGN_KEYS: dict[type, Callable[[Any], list[Any]]] = {
    CreateForeignKey: lambda op: [op],
    CreateTable: lambda op: list(op.table.foreign_key_constraints),
    AddColumn: lambda op: [fk.constraint for fk in op.column.foreign_keys
                           if fk.constraint is not None],
}

#: The table and column comments an op writes, by op class.
_COMMENTS: dict[type, Callable[[Any], list[Any]]] = {
    CreateTable: lambda op: [op.table.comment, *(c.comment for c in op.table.columns)],
    AddColumn: lambda op: [op.column.comment],
    AlterColumn: lambda op: [op.comment],
    CreateTableComment: lambda op: [op.comment],
}


class DropKeyedConstraint(ddl.AlterTable):
    """ALTER TABLE t DROP FOREIGN KEY / INDEX / PRIMARY KEY / CHECK / CONSTRAINT name.

    Our own element, not SQLAlchemy's DropConstraint: Alembic, when imported, registers a
    MySQL compilation of that one which refuses compile keyword arguments.
    """

    def __init__(self, table: sa.TableClause, name: str, what: str, if_exists: bool) -> None:
        super().__init__(table)
        self.name = name
        self.what = what
        self.if_exists = if_exists


def _drop_keyed_constraint(element: DropKeyedConstraint, compiler: DDLCompiler,
                           **kw: Any) -> str:
    exists = " IF EXISTS" if element.if_exists else ""
    name = "" if element.what == "PRIMARY KEY" else f" {compiler.preparer.quote(element.name)}"
    return f"{ddl.alter_table(compiler, element.table)} DROP {element.what}{exists}{name}"


class MySQL(DialectSupport):
    """MySQL 8.0+ (CHECK constraints are enforced from 8.0.16; RENAME COLUMN from 8.0)."""

    name: ClassVar[str] = "mysql"
    sqlglot_name: ClassVar[str] = "mysql"
    title: ClassVar[str] = "MySQL"
    #: Names are stored in utf8mb3: at most 64 characters, none of them 4-byte.
    identifier_limit: ClassVar[tuple[int, str] | None] = (64, "characters")
    identifier_bmp_only: ClassVar[bool] = True
    identifier_cr_lost: ClassVar[str | None] = (
        "the client turns CR LF into LF without --binary-mode, and a name has no escapes")
    transactional_ddl: ClassVar[bool] = False
    restated_properties: ClassVar[frozenset[str]] = frozenset(
        {"type", "nullable", "default", "comment"})
    #: How a check constraint is dropped.
    drop_check: ClassVar[str] = "CHECK"
    apply_command: ClassVar[str] = (
        'mysql --binary-mode --default-character-set=utf8mb4 "$DATABASE" < {file}')

    def transaction_note(self) -> str:
        return _NO_TRANSACTION_NOTE.format(title=self.title)

    def identifier_problem(self, name: str) -> str | None:
        problem = super().identifier_problem(name)
        if problem is None and name != name.rstrip(" \t\n\v\f\r"):
            problem = (f"the name {name!r} ends with a space, tab or line break, which "
                       f"{self.title} does not allow in names")
        # A table is a file named by its name, each character but [0-9A-Za-z_] written as
        # `@` and up to 4 more; more than 250 bytes ("File name too long") is refused at apply
        # time. Counted as 5 bytes each, the longest form (so any name is checked as a table's).
        size = sum(1 if char.isascii() and (char.isalnum() or char == "_") else 5
                   for char in name)
        if problem is None and size > 250:
            problem = (f"the name {printable(name, 80)} would be a file name of up to {size} "
                       f"bytes as a table's; {self.title} allows 250 (use fewer characters "
                       "other than letters, digits and _)")
        return problem

    def make_sa_dialect(self) -> Dialect:
        dialect = mysql.dialect(paramstyle="named")
        return self._configure(dialect)

    def _configure(self, dialect: Dialect) -> Dialect:
        # The files' sql_mode keeps backslash escapes, so the literal renderer doubles them.
        dialect._backslash_escapes = True  # type: ignore[attr-defined]
        dialect.statement_compiler = _Compiler
        return dialect

    def session_setup(self) -> list[str]:
        return [
            "SET NAMES utf8mb4",
            f"SET SESSION sql_mode = {self.render_string(SQL_MODE)}",
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {GUARD_TABLE} (stop INT)",
        ]

    def begin(self) -> str:
        return "START TRANSACTION"

    def _lock_name(self, table: sa.Table) -> str:
        """GET_LOCK names are server-wide and at most 64 characters: the SHA-1 of the
        database (the session's, unless the version table names one) and the table."""
        if table.schema:
            return self.render_string(
                "sqlcompile:" + hashlib.sha1(f"{table.schema}.{table.name}".encode()).hexdigest())
        return (f"CONCAT('sqlcompile:', SHA1(CONCAT(DATABASE(), "
                f"{self.render_string('.' + table.name)})))")

    def lock(self, table: sa.Table, timeout: int) -> list[tuple[str, str]]:
        message = self.render_string(self.lock_failed(table, timeout))
        return [(
            f"INSERT INTO {GUARD_TABLE} (stop) SELECT {message} FROM (SELECT GET_LOCK("
            f"{self._lock_name(table)}, {timeout}) AS got) AS l WHERE NOT (l.got <=> 1)",
            f"migration lock: a named lock for this database's version table, held until the "
            f"end of the file; another apply waits at most {timeout} s for it, then stops "
            "here, having changed nothing",
        )]

    def unlock(self, table: sa.Table) -> list[tuple[str, str]]:
        return [(f"SET @sqlcompile_lock = RELEASE_LOCK({self._lock_name(table)})",
                 "release the migration lock")]

    def string_agg(self, column: str, separator_sql: str) -> str:
        return f"GROUP_CONCAT({column} ORDER BY {column} SEPARATOR {separator_sql})"

    def terminate(self, sql: str) -> str:
        """A statement with `;` inside (a trigger's or procedure's BEGIN ... END body) between
        `DELIMITER` lines: the mysql client ends a statement at every `;` otherwise."""
        if ";" not in sql or not splitting.inner_semicolon(sql, self.sqlglot_name):
            return super().terminate(sql)
        delimiter = next(d for d in splitting.DELIMITERS if d not in sql)
        return f"DELIMITER {delimiter}\n{sql.rstrip()}\n{delimiter}\nDELIMITER ;"

    def split_batches(self, text: str) -> list[str]:
        return splitting.at_delimiter_lines(text)

    def refusal(self, message: str) -> str:
        """The message INSERTed into the INT guard column, as a failed guard does."""
        return f"INSERT INTO {GUARD_TABLE} (stop) SELECT {self.render_string(message)}"

    def guard(self, table: sa.Table, expected: Sequence[str], label: str,
              outcome: str = NOTHING_CHANGED) -> str:
        """INSERT the message into the session's INT guard column when the version table
        differs: strict mode makes that an error quoting the message (no RAISE outside stored
        programs on MySQL, and SIGNAL needs one)."""
        p = self.guard_parts(table, expected, label, outcome)
        return (f"INSERT INTO {GUARD_TABLE} (stop) SELECT {p.message} FROM ({p.source}) AS g "
                f"WHERE {p.differs}")

    def concat(self, *parts: str) -> str:
        return f"CONCAT({', '.join(parts)})"

    # -- comparing schemas ---------------------------------------------------------------------

    #: mysql:// reaches MySQL or MariaDB; InnoDB indexes every foreign key.
    shares_url_backend: ClassVar[bool] = True
    creates_foreign_key_indexes: ClassVar[bool] = True

    def server_dialect(self, connected: Dialect) -> str:
        return "mariadb" if getattr(connected, "is_mariadb", False) else self.name

    def type_key(self, type_: Any) -> str:
        """Types as the server stores them: BOOLEAN is TINYINT(1), NUMERIC is DECIMAL, and an
        integer's display width (INT(11)) is not part of its type."""
        key = super().type_key(type_)
        key = re.sub(r"^NUMERIC\b", "DECIMAL", key)
        if key in ("TINYINT(1)", "BOOLEAN"):
            return "BOOL"
        key = re.sub(r"^(TINYINT|SMALLINT|MEDIUMINT|INTEGER|INT|BIGINT)\(\d+\)", r"\1", key)
        return re.sub(r"^INT\b", "INTEGER", key)

    def default_key(self, text: str | None) -> str | None:
        """A default is stored converted to the column's type: a quoted number is that
        number ('0' and 0 alike), TRUE and FALSE are 1 and 0."""
        key = super().default_key(text)
        if key is None:
            return None
        quoted = re.fullmatch(r"'(-?\d+(?:\.\d+)?)'", key)
        if quoted:
            return quoted.group(1)
        return {"true": "1", "false": "0"}.get(key, key)

    def sql_key(self, text: str) -> str:
        """Conditions as the server prints them: charset introducers before literals
        (``_utf8mb4'x'``) and spaces after commas do not count."""

        def plain(part: str) -> str:
            part = re.sub(r"_(?:utf8mb4|utf8mb3|utf8|latin1|binary)\s*$", "", part)
            return re.sub(r"\s*,\s*", ",", part)

        return super().sql_key(_outside_quotes(text, plain))

    def fk_action_key(self, action: str | None) -> str:
        """RESTRICT is the default action (as NO ACTION is: both check at once)."""
        key = super().fk_action_key(action)
        return "" if key == "RESTRICT" else key

    _no_if_exists = ("MySQL has no IF [NOT] EXISTS on ADD/DROP COLUMN and CREATE/DROP INDEX, "
                     "nor IF EXISTS on dropping a constraint (MariaDB has)")
    unsupported = {
        AddColumn: {"if_not_exists": _no_if_exists},
        DropColumn: {"if_exists": _no_if_exists},
        CreateIndex: {"if_not_exists": _no_if_exists},
        DropIndex: {"if_exists": _no_if_exists},
        DropConstraint: {"if_exists": _no_if_exists},
        CreateExcludeConstraint: {"elements": NO_EXCLUDE_CONSTRAINTS},
    }
    needs = {
        DropConstraint: {"type_": "the schema model does not know constraint "
                                  "{op.constraint_name}, and {dialect.title} drops each kind "
                                  "differently (DROP FOREIGN KEY, DROP INDEX, DROP PRIMARY KEY, "
                                  "DROP CHECK); pass type_= (foreignkey, unique, primary or "
                                  "check)"},
        DropIndex: {"table_name": "{dialect.title} drops an index with its table (DROP INDEX "
                                  "... ON t) and the schema model does not know index "
                                  "{op.index_name}; pass table_name="},
    }

    def value_problem(self, op: Op, autocommit: bool) -> str | None:
        comments = _of(_COMMENTS, op)
        wide = sorted({ch for text in comments if isinstance(text, str)
                       for ch in text if ord(ch) > 0xFFFF})
        if wide:
            return (f"{self.title} stores comments in utf8mb3, which has no 4-byte characters: "
                    f"{', '.join(f'U+{ord(ch):X}' for ch in wide)} would be stored as '?'; "
                    "leave them out of the comment for this dialect")
        deferrable = [fk for fk in _of(_FOREIGN_KEYS, op) if fk.deferrable or fk.initially]
        if deferrable:
            return (f"{self.title} checks foreign keys immediately; it has no DEFERRABLE / "
                    "INITIALLY DEFERRED constraints (leave deferrable= and initially= out for "
                    "this dialect)")
        return None

    def name_constraints(self, table: TableModel, schema: Schema) -> TableModel:
        """The names MySQL gives unnamed constraints (see :mod:`mysql_names`)."""
        return mysql_names.server_names(table, self.check_infix, self.check_server_name)

    #: What a generated check name holds between the table's name and its number.
    check_infix: ClassVar[str] = "chk"

    def check_server_name(self, table: TableModel, check: CheckModel,
                          others: list[CheckModel]) -> str:
        """MySQL 8 names an unnamed CHECK (column or table level) ``<table>_chk_<n>``, n one
        more than the table's highest."""
        return f"{table.name}_chk_{mysql_names.highest(others, table.name, 'chk') + 1}"

    def _drop_unnamed_check(self, op: DropConstraint, ctx: RenderContext,
                            name: str) -> list[Element] | None:
        """How an unnamed CHECK is dropped where DROP CHECK / CONSTRAINT does not do it."""
        return None

    def _drop_constraint(self, op: DropConstraint, ctx: RenderContext) -> list[Element]:
        what = {"foreignkey": "FOREIGN KEY", "unique": "INDEX", "primary": "PRIMARY KEY",
                "check": self.drop_check}[op.type_ or "check"]
        name = defaults.dropped_name(op, ctx)
        if op.type_ == "check" and op.constraint_name is None:
            special = self._drop_unnamed_check(op, ctx, name)
            if special is not None:
                return special
        drop = DropKeyedConstraint(sa.table(op.table_name, schema=op.schema),
                                   name, what, bool(op.if_exists))
        if op.type_ == "foreignkey" and ctx.schema is not None:
            return [drop, *self._foreign_key_index(op, ctx.schema, ctx.later)]
        if op.type_ == "unique" and ctx.schema is not None:
            return self._unique_serving(op, ctx.schema, drop)
        return [drop]

    def _table_comment(self, op: CreateTableComment | DropTableComment,
                       ctx: RenderContext) -> list[Element]:
        """The table's COMMENT option (an empty one removes it)."""
        comment = op.comment if isinstance(op, CreateTableComment) else ""
        table = table_for(op.table_name, schema=op.schema, comment=comment)
        return [sa_schema.SetTableComment(table)]

    def _drop_index(self, op: DropIndex, ctx: RenderContext) -> list[Element]:
        """DROP INDEX; a foreign key this index alone served gets one back (see
        :meth:`_serve_foreign_keys`)."""
        found = ctx.schema.find_index(op.index_name, op.schema, op.table_name) \
            if ctx.schema is not None else None
        if found is None:
            return defaults.drop_index(op, ctx)
        table, dropped = found
        others = [tuple(p.text for p in ix.parts if not p.expression)
                  for ix in table.indexes if ix is not dropped]
        others += [k.columns for k in (table.primary_key, *table.uniques) if k is not None]
        served = tuple(p.text for p in dropped.parts if not p.expression)
        before, after = self._serve_foreign_keys(table, served, others, op.index_name)
        return [*before, *defaults.drop_index(op, ctx), *after]

    def _serve_foreign_keys(self, table: TableModel, served: Sequence[str],
                            others: list[tuple[str, ...]],
                            dropped: str) -> tuple[list[Element], list[Element]]:
        """What goes before and after dropping an index (or unique key) on ``served`` that is
        the only one among ``others`` to serve a foreign key of ``table``.

        InnoDB requires an index whose leading columns are a foreign key's columns, so dropping
        the last one fails ("needed in a foreign key constraint"). A named key is dropped first
        and added again after: InnoDB then makes its own index for it, named after the key, as
        when the key was created with no index to use, and drops that one by itself once
        another index can serve (an index created here would be an ordinary one, which it
        keeps: a later DROP INDEX of the key's name, or creating it again, could not know
        whether it is there). Adding the key again checks the rows (a table copy). A key with
        no name, which cannot be dropped by name, gets an ordinary index instead.
        """
        before: list[Element] = []
        after: list[Element] = []
        where = sa.table(table.name, schema=table.schema)
        for fk in table.foreign_keys:
            width = len(fk.columns)
            if set(served[:width]) != set(fk.columns):
                continue
            if any(set(cols[:width]) == set(fk.columns) for cols in others):
                continue
            others.append(tuple(fk.columns))
            if fk.name:
                before.append(Note(
                    f"{self.title} needs an index on {', '.join(fk.columns)} for foreign key "
                    f"{fk.name}, and {dropped} was the one serving it: the key is dropped and "
                    "added again, with an index of its own"))
                before.append(DropKeyedConstraint(where, fk.name, "FOREIGN KEY", False))
                again = CreateForeignKey(
                    fk.name, table.name, fk.ref_table, list(fk.columns), list(fk.ref_columns),
                    table.schema, fk.ref_schema, fk.onupdate, fk.ondelete, fk.deferrable,
                    fk.initially, fk.match, dict(fk.options))
                after.append(sa_schema.AddConstraint(again.constraint()))
                continue
            name = f"ix_{table.name}_{'_'.join(fk.columns)}"[:64]
            holder = sa.Table(table.name, sa.MetaData(),
                              *[sa.Column(c, sa.types.NULLTYPE) for c in fk.columns],
                              schema=table.schema)
            before.append(Note(f"{self.title} needs an index on {', '.join(fk.columns)} for "
                               f"an unnamed foreign key, and {dropped} was the one serving "
                               f"it: index {name} takes over"))
            before.append(sa_schema.CreateIndex(
                sa.Index(name, *[holder.c[c] for c in fk.columns])))
        return before, after

    def _unique_serving(self, op: DropConstraint, schema: Schema,
                        drop: Element) -> list[Element]:
        """Dropping a unique key (an index here), with what :meth:`_serve_foreign_keys` adds
        when it alone served a foreign key."""
        table = schema.table(op.table_name, op.schema)
        key = _dropped(op, table.uniques) if table is not None else None
        if table is None or key is None:
            return [drop]
        others = [tuple(p.text for p in ix.parts if not p.expression) for ix in table.indexes]
        others += [k.columns for k in (table.primary_key, *table.uniques)
                   if k is not None and k is not key]
        before, after = self._serve_foreign_keys(table, key.columns, others,
                                                 op.constraint_name or str(key.server_name))
        return [*before, drop, *after]

    def _foreign_key_index(self, op: DropConstraint, schema: Schema,
                           later: Sequence[Op] = ()) -> list[Element]:
        """After DROP FOREIGN KEY: DROP INDEX of the index InnoDB made for the key.

        InnoDB gives a foreign key that no index serves an index of its own, named after the
        key, and keeps it when the key is dropped: left there, it is an index the models do not
        have, and adding a key of that name again fails ("Duplicate key name"). It exists when
        no index, unique key or primary key of the table serves the key: InnoDB drops it once
        another index can serve, and makes it again when :meth:`_serve_foreign_keys` adds the
        key again. Another foreign key on the same leading columns may be served by it, or may
        own it under its own name: then it is left alone, and so it is when a key added
        ``later`` in the migration takes it over (:meth:`_taken_over`).
        """
        table = schema.table(op.table_name, op.schema)
        fk = _dropped(op, table.foreign_keys) if table is not None else None
        if table is None or fk is None or op.if_exists:
            return []

        def serves(columns: Sequence[str], key: Sequence[str]) -> bool:
            return set(columns[:len(key)]) == set(key)

        keys = [tuple(p.text for p in ix.parts if not p.expression) for ix in table.indexes]
        keys += [k.columns for k in (table.primary_key, *table.uniques) if k is not None]
        if any(serves(cols, fk.columns) for cols in keys) or any(
                other is not fk and (serves(fk.columns, other.columns)
                                     or serves(other.columns, fk.columns))
                for other in table.foreign_keys):
            return []
        holder = sa.Table(table.name, sa.MetaData(),
                          *[sa.Column(c, sa.types.NULLTYPE) for c in fk.columns],
                          schema=table.schema)
        # A key created without a name has its index named after its first column.
        index = fk.name or mysql_names.free(fk.columns[0], mysql_names.index_names(table, []))
        key = fk.name or fk.server_name
        heir = _later_key(table, fk.columns, later)
        fate = self._taken_over(index, heir, table) if heir is not None else None
        if heir is not None and fate is not None:
            what = heir.constraint_name or f"on {', '.join(heir.local_cols)}"
            return [Note(f"{self.title} made index {index} for foreign key {key} and keeps it "
                         f"after the key is dropped: foreign key {what}, added later in this "
                         f"migration, {fate}")]
        return [Note(f"{self.title} made index {index} for foreign key {key} and keeps it "
                     "after the key is dropped"),
                sa_schema.DropIndex(sa.Index(index, *[holder.c[c] for c in fk.columns]))]

    def _taken_over(self, index: str, heir: CreateForeignKey, table: TableModel) -> str | None:
        """What becomes of the index ``index``, kept from a dropped key, when foreign key
        ``heir`` on the same columns is added later in the migration; None when it must be
        dropped still. MySQL has a new key use an index that serves it, under that
        index's name: kept when that is the name the models give the key's own index (the
        key's name; its first column's when it has none), so that dropping the key finds it."""
        if index.lower() != _index_name_for(heir, table).lower():
            return None
        return "uses it"

    def _alter_column(self, op: AlterColumn, ctx: RenderContext) -> list[Element]:
        """MODIFY/CHANGE restating the whole column: MySQL resets whatever is left out."""
        changes = op.changes()
        table_ref = sa.table(op.table_name, schema=op.schema)
        if changes == ["name"]:
            assert op.new_column_name is not None
            return [ddl.RenameColumn(table_ref, op.column_name, op.new_column_name)]
        known = op.current(ctx.schema)
        current = op.stated(known, self) if known is not None else self._from_existing(op, ctx)
        altered = op.altered(current, self)
        key = ctx.schema.table(op.table_name, op.schema) if ctx.schema is not None else None
        in_key = key is not None and key.primary_key is not None and (
            op.column_name in key.primary_key.columns)
        if in_key and key is not None and key.primary_key is not None and \
                len(key.primary_key.columns) > 1 and altered.autoincrement == "auto":
            # Restated alone, the column would be a one-column key: AUTO_INCREMENT. In a
            # composite key "auto" means no AUTO_INCREMENT, as SQLAlchemy's CREATE TABLE says.
            altered = replace(altered, autoincrement=False)
        column = to_sa_column(altered, primary_key=in_key)
        table_for(op.table_name, column, schema=op.schema)
        before, after = defaults.type_check_changes(op, ctx)
        return [*before, ModifyColumn(table_ref, op.column_name, column), *after]

    def _from_existing(self, op: AlterColumn, ctx: RenderContext) -> ColumnModel:
        """The column as the script's existing_* arguments describe it (model unknown)."""
        where = f"{qualified(op.table_name, op.schema)}.{op.column_name}"
        if op.existing_type is None:
            raise ctx.fail(
                op,
                f"{self.title} changes a column by restating its whole definition (MODIFY), "
                f"and the schema model does not know column {where} {unknown_origin(ctx.schema)}",
                hint="pass existing_type=, existing_nullable=, existing_server_default= and "
                     "existing_comment= (what is not passed is dropped by MODIFY)",
            )
        default = op.existing_server_default
        holder = sa.Column(op.column_name, op.existing_type,
                           server_default=None if default in (None, False) else default)
        return ColumnModel(
            name=op.column_name,
            type=sa.types.to_instance(op.existing_type),
            nullable=op.existing_nullable if op.existing_nullable is not None else True,
            default=default_text(holder, self),
            comment=op.existing_comment,
        )

    renderers = {
        AlterColumn: _alter_column,
        DropConstraint: _drop_constraint,
        DropIndex: _drop_index,
        CreateTableComment: _table_comment,
        DropTableComment: _table_comment,
    }


def _index_name_for(key: CreateForeignKey, table: TableModel) -> str:
    """The name InnoDB gives the index it makes for ``key`` on ``table``."""
    return key.constraint_name or mysql_names.free(key.local_cols[0],
                                                   mysql_names.index_names(table, []))


def _later_key(table: TableModel, columns: Sequence[str],
               later: Sequence[Op]) -> CreateForeignKey | None:
    """The first foreign key that ``later`` (the migration's ops after one) adds to ``table``
    on ``columns`` (in that order); None when none does, or when an op before it drops or
    renames the table or one of ``columns`` (the index goes or changes with it)."""
    for op in later:
        name = op.old_table_name if isinstance(op, RenameTable) else getattr(op, "table_name",
                                                                                 None)
        if getattr(op, "schema", None) != table.schema or name != table.name:
            continue
        if isinstance(op, CreateForeignKey) and tuple(op.local_cols) == tuple(columns):
            return op
        if isinstance(op, (DropTable, RenameTable)) or (
                isinstance(op, (DropColumn, AlterColumn)) and op.column_name in columns and (
                    isinstance(op, DropColumn) or op.new_column_name is not None)):
            return None
    return None


def _dropped(op: DropConstraint, items: Sequence[Any]) -> Any:
    """The model constraint among ``items`` that ``op`` drops (by name, or the unnamed one
    it found), or None."""
    if op.constraint_name is None:
        return next((i for i in items if i is op.found), None)
    return next((i for i in items if i.name == op.constraint_name), None) or next(
        (i for i in items if i.name is None and i.server_name == op.constraint_name), None)


def _of(table: dict[type, Callable[[Any], list[Any]]], op: Op) -> list[Any]:
    """What ``table``'s entry for ``op``'s class (or nearest base) gives; none without one."""
    found = by_class(table, type(op))
    return found(op) if found is not None else []


for _name in ("mysql", "mariadb"):
    compiles(ModifyColumn, _name)(_modify_column)
    compiles(DropKeyedConstraint, _name)(_drop_keyed_constraint)



MYSQL = MySQL()
DIALECT = MYSQL
