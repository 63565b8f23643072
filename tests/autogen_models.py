"""Random SQLAlchemy models and random changes to them, for the autogenerate property test
(`test_autogen_property`).

Names come from small pools (tables t1..t3, columns c1..c5, ix1..ix4, uq1..uq3, fk1..fk3,
ck1..ck3), so one step often drops a name and gives it again, drops a column and adds another
of the same type, or drops a table and adds one with the same columns. Every key and index is
named: MariaDB drops a constraint by name. What a database refuses whatever its rows is not
drawn for it (the reasons are stated where it is left out).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from hypothesis import strategies as st

TABLES = ("t1", "t2", "t3")
COLUMNS = ("c1", "c2", "c3", "c4", "c5")
POOLS = {"ix": ("ix1", "ix2", "ix3", "ix4"), "uq": ("uq1", "uq2", "uq3"),
         "fk": ("fk1", "fk2", "fk3"), "ck": ("ck1", "ck2", "ck3")}

TYPES = {
    "int": "sa.Integer()",
    "big": "sa.BigInteger()",
    "s10": "sa.String(10)",
    "s40": "sa.String(40)",
    "text": "sa.Text()",
    "n52": "sa.Numeric(5, 2)",
    "n102": "sa.Numeric(10, 2)",
    "bool": "sa.Boolean()",
    "date": "sa.Date()",
    "dt": "sa.DateTime()",
}
#: Types a column may change between: each family converts implicitly on every database
#: (PostgreSQL needs USING across families, even on an empty table).
FAMILY = {"int": "int", "big": "int", "s10": "str", "s40": "str", "text": "str", "n52": "num",
          "n102": "num", "bool": "bool", "date": "date", "dt": "dt"}
#: Server defaults (source text in the models), valid for every type of the family.
DEFAULTS = {
    "int": ['"7"', 'sa.text("0")'],
    "str": ['"x"', '"it\'s"'],
    "num": ['"0"', 'sa.text("2.50")'],
    "bool": ["sa.true()", "sa.false()"],
    "date": ['"2020-01-01"'],
    "dt": ["sa.func.now()", 'sa.text("CURRENT_TIMESTAMP")'],
}
COMMENTS = ["note", "it's a comment", "ünïcödé"]
ON_DELETE = [None, "CASCADE", "SET NULL", "RESTRICT"]


@dataclass
class Column:
    type: str
    nullable: bool = True
    default: str | None = None  # the server_default argument's source text
    comment: str | None = None

    def source(self, name: str) -> str:
        parts = [repr(name), TYPES[self.type], f"nullable={self.nullable}"]
        if self.default is not None:
            parts.append(f"server_default={self.default}")
        if self.comment is not None:
            parts.append(f"comment={self.comment!r}")
        return f"sa.Column({', '.join(parts)})"


@dataclass
class Index:
    columns: tuple[str, ...]
    unique: bool = False
    where: str | None = None  # a partial index's condition (PostgreSQL and SQLite)
    #: created on PostgreSQL and SQLite only (``ddl_if``): sqlcompile refuses to create a
    #: partial index without its condition where the database has none (MariaDB)
    only_partial: bool = False


@dataclass
class ForeignKey:
    column: str
    ref: str  # the referenced table (its id)
    ondelete: str | None = None


@dataclass
class Table:
    columns: dict[str, Column] = field(default_factory=dict)
    indexes: dict[str, Index] = field(default_factory=dict)
    uniques: dict[str, tuple[str, ...]] = field(default_factory=dict)
    fks: dict[str, ForeignKey] = field(default_factory=dict)
    checks: dict[str, str] = field(default_factory=dict)
    comment: str | None = None

    def in_fk(self, column: str) -> bool:
        return any(fk.column == column for fk in self.fks.values())

    def indexed(self, column: str) -> bool:
        return any(column in ix.columns for ix in self.indexes.values()) or any(
            column in cols for cols in self.uniques.values())

    def forget(self, column: str) -> None:
        """Drop what uses ``column``, as one would when removing it from the models."""
        self.indexes = {n: ix for n, ix in self.indexes.items()
                        if column not in ix.columns and not _mentions(ix.where, column)}
        self.uniques = {n: c for n, c in self.uniques.items() if column not in c}
        self.fks = {n: fk for n, fk in self.fks.items() if fk.column != column}
        self.checks = {n: c for n, c in self.checks.items() if not _mentions(c, column)}


def _mentions(text: str | None, column: str) -> bool:
    return text is not None and re.search(rf"\b{column}\b", text) is not None


@dataclass
class Models:
    """The models while drawing: tables by name, written out as a module of SQLAlchemy."""

    tables: dict[str, Table] = field(default_factory=dict)

    def names(self) -> set[str]:
        return {n for t in self.tables.values()
                for n in (*t.indexes, *t.uniques, *t.fks, *t.checks)}

    def source(self) -> str:
        lines = ["import sqlalchemy as sa", "", "metadata = sa.MetaData()", ""]
        for name, table in sorted(self.tables.items()):
            items = ['sa.Column("id", sa.Integer(), primary_key=True)']
            items += [c.source(n) for n, c in table.columns.items()]
            items += [f"sa.ForeignKeyConstraint([{fk.column!r}], [{fk.ref + '.id'!r}], "
                      f"name={n!r}, ondelete={fk.ondelete!r})" for n, fk in table.fks.items()]
            items += [f"sa.UniqueConstraint({', '.join(map(repr, cols))}, name={n!r})"
                      for n, cols in table.uniques.items()]
            items += [f"sa.CheckConstraint({text!r}, name={n!r})"
                      for n, text in table.checks.items()]
            for n, ix in table.indexes.items():
                args = [repr(n), *map(repr, ix.columns), f"unique={ix.unique}"]
                if ix.where is not None:
                    args += [f"postgresql_where=sa.text({ix.where!r})",
                             f"sqlite_where=sa.text({ix.where!r})"]
                only = '.ddl_if(dialect=("postgresql", "sqlite"))' if ix.only_partial else ""
                items.append(f"sa.Index({', '.join(args)}){only}")
            if table.comment is not None:
                items.append(f"comment={table.comment!r}")
            body = "".join(f"    {item},\n" for item in items)
            lines.append(f"sa.Table(\n    {name!r},\n    metadata,\n{body})\n")
        return "\n".join(lines)

    def metadata(self) -> sa.MetaData:
        namespace: dict[str, Any] = {}
        exec(compile(self.source(), "<models>", "exec"), namespace)  # noqa: S102 (our source)
        metadata: sa.MetaData = namespace["metadata"]
        return metadata


# --- drawing ------------------------------------------------------------------------------------

def _casts(old: str, new: str) -> bool:
    """Whether PostgreSQL has a cast from type ``old`` to ``new`` of another kind (USING
    needs one: bigint to boolean has none, integer to boolean has)."""
    kinds = {FAMILY[old], FAMILY[new]}
    return "str" in kinds or kinds in ({"int", "num"}, {"date", "dt"}) or (
        kinds == {"int", "bool"} and "big" not in (old, new))


@dataclass
class Drawer:
    """Draws changes to the models; ``dialect`` rules out what that database cannot do at all."""

    data: st.DataObject
    dialect: str
    #: (table, column) -> type family of the columns dropped during this step. A column given
    #: the same name again is the same column to autogenerate (a type change); as a foreign
    #: key column on MariaDB it must stay an integer (a key's column cannot change type there,
    #: error 1832).
    gone: dict[tuple[str, str], str] = field(default_factory=dict)
    #: (table, column) -> type at the start of this step of the columns whose type changed:
    #: the script converts from that one, whatever changes the step drew in between.
    started: dict[tuple[str, str], str] = field(default_factory=dict)

    def converts(self, table: str, column: str, now: str, new: str) -> bool:
        """Whether the step's net change of ``column`` to ``new`` has a cast where needed."""
        first = self.started.get((table, column), now)
        return FAMILY[first] == FAMILY[new] or _casts(first, new)

    def pick(self, options: list[Any] | tuple[Any, ...], label: str) -> Any:
        return self.data.draw(st.sampled_from(list(options)), label=label)

    def flag(self, label: str) -> bool:
        return self.data.draw(st.booleans(), label=label)

    def column(self, table: str, name: str) -> Column:
        # A dropped column's name given again is a type change to autogenerate: of the same
        # kind here (change_type draws changes of another kind, where PostgreSQL has a cast).
        family = self.gone.get((table, name))
        type_ = self.pick([t for t in sorted(TYPES) if family in (None, FAMILY[t])], "type")
        default = self.pick([None, *DEFAULTS[FAMILY[type_]]], "default")
        comment = self.pick([None, *COMMENTS], "comment")
        return Column(type_, self.flag("nullable"), default, comment)

    def indexable(self, column: Column) -> bool:
        # MariaDB indexes TEXT only with a key prefix length, which the models cannot state.
        return column.type != "text" or self.dialect != "mariadb"

    # MariaDB refuses a CHECK constraint on a column whose foreign key has a referential
    # action (error 1901), and such an action on a column a CHECK uses.
    def checkable(self, table: Table, column: str) -> bool:
        return self.dialect != "mariadb" or not any(
            fk.column == column and fk.ondelete in ("CASCADE", "SET NULL")
            for fk in table.fks.values())

    def may_act(self, table: Table, column: str) -> bool:
        return self.dialect != "mariadb" or not any(
            _mentions(text, column) for text in table.checks.values())

    def free_name(self, models: Models, prefix: str) -> str | None:
        free = [n for n in POOLS[prefix] if n not in models.names()]
        return self.pick(free, prefix) if free else None

    def condition(self, name: str, column: Column) -> str:
        if FAMILY[column.type] in ("int", "num"):
            return f"{name} >= 0"
        if FAMILY[column.type] == "str":
            return f"{name} <> ''"
        if column.type == "date":
            return f"{name} > '2000-01-01'"
        return f"{name} IS NOT NULL"

    # -- one change each; False when it does not apply to the drawn table ---------------------

    def add_table(self, models: Models) -> bool:
        free = [t for t in TABLES if t not in models.tables]
        if not free:
            return False
        name = self.pick(free, "new table")
        table = models.tables[name] = Table()
        names = self.data.draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=4,
                                        unique=True), label="columns")
        for column in names:
            table.columns[column] = self.column(name, column)
        table.comment = self.pick([None, *COMMENTS], "table comment")
        for _ in range(self.data.draw(st.integers(0, 4), label="keys")):
            kind = self.pick(["add_index", "add_unique", "add_fk", "add_check"], "key")
            getattr(self, kind)(models, name)
        return True

    def drop_table(self, models: Models, name: str) -> bool:
        for column, gone in models.tables.pop(name).columns.items():
            self.gone.setdefault((name, column), FAMILY[gone.type])
        for table in models.tables.values():  # the models' references to it go with it
            table.fks = {n: fk for n, fk in table.fks.items() if fk.ref != name}
        return True

    def add_column(self, models: Models, name: str) -> bool:
        table = models.tables[name]
        free = [c for c in COLUMNS if c not in table.columns]
        if not free:
            return False
        column = self.pick(free, "new column")
        table.columns[column] = self.column(name, column)
        return True

    def drop_column(self, models: Models, name: str) -> bool:
        table = models.tables[name]
        if not table.columns:
            return False
        column = self.pick(sorted(table.columns), "column")
        self.gone.setdefault((name, column), FAMILY[table.columns.pop(column).type])
        table.forget(column)
        return True

    def change_type(self, models: Models, name: str) -> bool:
        table = models.tables[name]
        # MariaDB refuses to change the type of a column a foreign key uses (error 1832),
        # whatever the rows; an int key column keeps the type of the id it references there.
        options = [(c, t) for c, col in sorted(table.columns.items()) for t in sorted(TYPES)
                   if t != col.type and FAMILY[t] == FAMILY[col.type]
                   and self.converts(name, c, col.type, t)
                   and not (self.dialect == "mariadb" and table.in_fk(c))
                   and (t != "text" or not table.indexed(c) or self.dialect != "mariadb")]
        # Another kind of type (text to boolean: USING on PostgreSQL, the default dropped
        # first), for a column no key, index or check uses; its default is one of the new kind.
        options += [(c, t) for c, col in sorted(table.columns.items()) for t in sorted(TYPES)
                    if FAMILY[t] != FAMILY[col.type] and self.converts(name, c, col.type, t)
                    and not table.in_fk(c)
                    and not table.indexed(c)
                    and not any(_mentions(text, c) for text in table.checks.values())]
        if not options:
            return False
        column, type_ = self.pick(options, "new type")
        self.started.setdefault((name, column), table.columns[column].type)
        if FAMILY[type_] != FAMILY[table.columns[column].type]:
            table.columns[column].default = self.pick([None, *DEFAULTS[FAMILY[type_]]],
                                                      "default of the new kind")
        table.columns[column].type = type_
        return True

    def change_nullable(self, models: Models, name: str) -> bool:
        table = models.tables[name]
        # A SET NULL foreign key needs a nullable column (MariaDB refuses it otherwise).
        options = [c for c, col in sorted(table.columns.items()) if not col.nullable
                   or not any(fk.column == c and fk.ondelete == "SET NULL"
                              for fk in table.fks.values())]
        if not options:
            return False
        column = table.columns[self.pick(options, "column")]
        column.nullable = not column.nullable
        return True

    def change_default(self, models: Models, name: str) -> bool:
        table = models.tables[name]
        if not table.columns:
            return False
        column = table.columns[self.pick(sorted(table.columns), "column")]
        options = [d for d in [None, *DEFAULTS[FAMILY[column.type]]] if d != column.default]
        column.default = self.pick(options, "new default")
        return True

    def change_comment(self, models: Models, name: str) -> bool:
        table = models.tables[name]
        if not table.columns:
            return False
        column = table.columns[self.pick(sorted(table.columns), "column")]
        column.comment = self.pick([c for c in [None, *COMMENTS] if c != column.comment],
                                   "new comment")
        return True

    def table_comment(self, models: Models, name: str) -> bool:
        table = models.tables[name]
        table.comment = self.pick([c for c in [None, *COMMENTS] if c != table.comment],
                                  "new table comment")
        return True

    def _key_columns(self, table: Table, most: int) -> tuple[str, ...] | None:
        options = [c for c, col in sorted(table.columns.items()) if self.indexable(col)]
        if not options:
            return None
        chosen = self.data.draw(st.lists(st.sampled_from(options), min_size=1,
                                         max_size=min(most, len(options)), unique=True),
                                label="key columns")
        return tuple(chosen)

    def add_index(self, models: Models, name: str) -> bool:
        table = models.tables[name]
        index_name = self.free_name(models, "ix")
        columns = self._key_columns(table, 3)
        if index_name is None or columns is None:
            return False
        where, only = None, False
        if self.flag("partial"):
            column = self.pick(sorted(table.columns), "where column")
            where = self.condition(column, table.columns[column])
            # Unrestricted, it would not compile for MariaDB (sqlcompile refuses to drop the
            # condition there); restricted, MariaDB has no such index at all.
            only = self.dialect == "mariadb" or self.flag("restricted")
        table.indexes[index_name] = Index(columns, self.flag("unique index"), where, only)
        return True

    def drop_index(self, models: Models, name: str) -> bool:
        table = models.tables[name]
        if not table.indexes:
            return False
        del table.indexes[self.pick(sorted(table.indexes), "index")]
        return True

    def add_unique(self, models: Models, name: str) -> bool:
        table = models.tables[name]
        unique_name = self.free_name(models, "uq")
        columns = self._key_columns(table, 2)
        if unique_name is None or columns is None or columns in table.uniques.values():
            return False
        table.uniques[unique_name] = columns
        return True

    def drop_unique(self, models: Models, name: str) -> bool:
        table = models.tables[name]
        if not table.uniques:
            return False
        del table.uniques[self.pick(sorted(table.uniques), "unique")]
        return True

    def add_fk(self, models: Models, name: str) -> bool:
        table = models.tables[name]
        fk_name = self.free_name(models, "fk")
        options = [c for c, col in sorted(table.columns.items())
                   if col.type == "int" and not table.in_fk(c)]
        free = [c for c in COLUMNS if c not in table.columns
                and self.gone.get((name, c), "int") == "int"]
        if fk_name is None or not (options or free):
            return False
        if not options or (free and self.flag("new fk column")):  # a reference column with it
            column = self.pick(free, "new fk column")
            table.columns[column] = Column("int", self.flag("nullable"))
        else:
            column = self.pick(options, "fk column")
        actions = [a for a in ON_DELETE if (a != "SET NULL" or table.columns[column].nullable)
                   and (a in (None, "RESTRICT") or self.may_act(table, column))]
        ondelete = self.pick(actions, "ondelete")
        table.fks[fk_name] = ForeignKey(column, self.pick(sorted(models.tables), "ref"),
                                        ondelete)
        return True

    def drop_fk(self, models: Models, name: str) -> bool:
        table = models.tables[name]
        if not table.fks:
            return False
        del table.fks[self.pick(sorted(table.fks), "fk")]
        return True

    def add_check(self, models: Models, name: str) -> bool:
        table = models.tables[name]
        check_name = self.free_name(models, "ck")
        options = sorted(c for c in table.columns if self.checkable(table, c))
        if check_name is None or not options:
            return False
        if len(options) > 1 and self.flag("two columns"):
            a, b = self.data.draw(st.lists(st.sampled_from(options), min_size=2, max_size=2,
                                           unique=True), label="check columns")
            text = f"{a} IS NOT NULL OR {b} IS NOT NULL"
        else:
            column = self.pick(options, "check column")
            text = self.condition(column, table.columns[column])
        table.checks[check_name] = text
        return True

    def drop_check(self, models: Models, name: str) -> bool:
        table = models.tables[name]
        if not table.checks:
            return False
        del table.checks[self.pick(sorted(table.checks), "check")]
        return True

    def change(self, models: Models) -> None:
        """One random change: the first of a few drawn that applies to the drawn table."""
        for _ in range(5):
            kinds = ["add_table"]
            if models.tables:
                kinds += ["drop_table", "add_column", "drop_column", "change_type",
                          "change_nullable", "change_default", "change_comment",
                          "table_comment", "add_index", "drop_index", "add_unique",
                          "drop_unique", "add_fk", "drop_fk", "add_check", "drop_check"]
            kind = self.pick(kinds, "change")
            if kind == "add_table":
                if self.add_table(models):
                    return
                continue
            method: Callable[[Models, str], bool] = getattr(self, kind)
            if method(models, self.pick(sorted(models.tables), "table")):
                return


def draw_history(data: st.DataObject, dialect: str) -> list[Models]:
    """The initial models and the models after each step (each step one to four changes)."""
    drawer = Drawer(data, dialect)
    models = Models()
    for _ in range(data.draw(st.integers(1, 3), label="initial tables")):
        drawer.add_table(models)
    states = [copy.deepcopy(models)]
    for _ in range(data.draw(st.integers(1, 3), label="steps")):
        drawer.gone.clear()
        drawer.started.clear()
        for _ in range(data.draw(st.integers(1, 4), label="changes")):
            drawer.change(models)
        states.append(copy.deepcopy(models))
    return states
