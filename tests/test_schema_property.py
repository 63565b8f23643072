"""Random histories: the schema model equals what the database holds after the compiled SQL ran.

Hypothesis draws a sequence of operations (create/drop/rename tables, add/drop/alter/rename
columns, indexes, unique constraints, foreign keys), each one revision with its downgrade. The
upgrade stream is applied to a real database, SQLAlchemy's reflection of it must equal the
schema model (`test_schema_reflect`'s comparison), and the downgrade stream must leave only
the version table. No `existing_*` argument is ever written: the model supplies them, and on
SQLite every change a table cannot take in place is a rebuild.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dbs
import pytest
import sqlc_project as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_schema_reflect import _unique_keys, from_database, from_model

from sqlcompile.config import load_config
from sqlcompile.dialects import get_dialect
from sqlcompile.pipeline.render import load_project

TYPES = {
    "int": "sa.Integer()",
    "big": "sa.BigInteger()",
    "s20": "sa.String(20)",
    "s40": "sa.String(40)",
    "text": "sa.Text()",
    "num": "sa.Numeric(10, 2)",
}
#: Type changes every target can make on an empty column (and back).
WIDER = {"int": "big", "s20": "s40", "big": "int", "s40": "s20"}
DEFAULTS = {"int": '"7"', "big": '"7"', "s20": '"x"', "s40": '"it\'s"', "text": None,
            "num": '"0"'}


@dataclass
class Column:
    type: str
    nullable: bool = True
    default: str | None = None  # the server_default argument's source text

    def source(self, name: str) -> str:
        parts = [repr(name), TYPES[self.type], f"nullable={self.nullable}"]
        if self.default is not None:
            parts.append(f"server_default={self.default}")
        return f"sa.Column({', '.join(parts)})"


@dataclass
class Table:
    columns: dict[str, Column] = field(default_factory=dict)
    indexes: dict[str, str] = field(default_factory=dict)  # name -> column
    uniques: dict[str, str] = field(default_factory=dict)  # name -> column
    fks: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (column, table)

    def used(self) -> set[str]:
        return {*self.indexes.values(), *self.uniques.values(), *(c for c, _ in self.fks.values())}


@dataclass
class History:
    """The simulated schema while drawing, and each revision's upgrade/downgrade source."""

    tables: dict[str, Table] = field(default_factory=dict)
    steps: list[tuple[str, str]] = field(default_factory=list)
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def name(self, prefix: str) -> str:
        return f"{prefix}{next(self.counter)}"

    def referenced(self, table: str) -> bool:
        return any(ref == table for t in self.tables.values() for _, ref in t.fks.values())

    def create_source(self, name: str) -> str:
        """create_table (keys and unique constraints inline) plus its indexes."""
        table = self.tables[name]
        items = ['sa.Column("id", sa.Integer(), primary_key=True)',
                 *(c.source(n) for n, c in table.columns.items()),
                 *(f"sa.UniqueConstraint({c!r}, name={u!r})" for u, c in table.uniques.items()),
                 *(f"sa.ForeignKeyConstraint([{c!r}], [{(r + '.id')!r}], name={f!r})"
                   for f, (c, r) in table.fks.items())]
        lines = [f"op.create_table({name!r}, {', '.join(items)})"]
        lines += [f"op.create_index({i!r}, {name!r}, [{c!r}])" for i, c in table.indexes.items()]
        return "\n".join(lines)


def _draw_step(data: st.DataObject, h: History) -> None:  # noqa: C901 (one branch per op)
    names = sorted(h.tables)
    kinds = ["create_table"]
    if names:
        kinds += ["add_column", "alter_type", "alter_nullable", "alter_default", "rename_column",
                  "create_index", "create_unique", "create_fk", "rename_table", "drop_table",
                  "drop_column", "drop_index", "drop_unique", "drop_fk"]
    kind = data.draw(st.sampled_from(kinds), label="op")
    if kind == "create_table":
        name = h.name("t")
        table = h.tables[name] = Table()
        for _ in range(data.draw(st.integers(1, 3), label="columns")):
            type_ = data.draw(st.sampled_from(sorted(TYPES)), label="type")
            nullable = data.draw(st.booleans(), label="nullable")
            default = DEFAULTS[type_] if data.draw(st.booleans(), label="default") else None
            table.columns[h.name("c")] = Column(type_, nullable, default)
        h.steps.append((h.create_source(name), f"op.drop_table({name!r})"))
        return
    name = data.draw(st.sampled_from(names), label="table")
    table = h.tables[name]
    free = sorted(c for c in table.columns if c not in table.used())
    if kind == "add_column":
        column_name = h.name("c")
        type_ = data.draw(st.sampled_from(sorted(TYPES)), label="type")
        default = DEFAULTS[type_] if data.draw(st.booleans(), label="default") else None
        column = table.columns[column_name] = Column(
            type_, data.draw(st.booleans(), label="nullable"), default)
        h.steps.append((f"op.add_column({name!r}, {column.source(column_name)})",
                        f"op.drop_column({name!r}, {column_name!r})"))
    elif kind == "drop_column" and free:
        column_name = data.draw(st.sampled_from(free), label="column")
        column = table.columns.pop(column_name)
        h.steps.append((f"op.drop_column({name!r}, {column_name!r})",
                        f"op.add_column({name!r}, {column.source(column_name)})"))
    elif kind == "alter_type":
        changeable = sorted(c for c in free if table.columns[c].type in WIDER)
        if changeable:
            column_name = data.draw(st.sampled_from(changeable), label="column")
            column = table.columns[column_name]
            old, column.type = column.type, WIDER[column.type]
            h.steps.append(
                (f"op.alter_column({name!r}, {column_name!r}, type_={TYPES[column.type]})",
                 f"op.alter_column({name!r}, {column_name!r}, type_={TYPES[old]})"))
    elif kind == "alter_nullable" and table.columns:
        column_name = data.draw(st.sampled_from(sorted(table.columns)), label="column")
        column = table.columns[column_name]
        column.nullable = not column.nullable
        h.steps.append(
            (f"op.alter_column({name!r}, {column_name!r}, nullable={column.nullable})",
             f"op.alter_column({name!r}, {column_name!r}, nullable={not column.nullable})"))
    elif kind == "alter_default" and free:
        column_name = data.draw(st.sampled_from(free), label="column")
        column = table.columns[column_name]
        if DEFAULTS[column.type] is not None:
            old = column.default
            column.default = None if old is not None else DEFAULTS[column.type]
            h.steps.append(
                (f"op.alter_column({name!r}, {column_name!r}, server_default={column.default})",
                 f"op.alter_column({name!r}, {column_name!r}, server_default={old})"))
    elif kind == "rename_column" and free:
        column_name = data.draw(st.sampled_from(free), label="column")
        new = h.name("c")
        table.columns[new] = table.columns.pop(column_name)
        h.steps.append(
            (f"op.alter_column({name!r}, {column_name!r}, new_column_name={new!r})",
             f"op.alter_column({name!r}, {new!r}, new_column_name={column_name!r})"))
    elif kind == "create_index" and free:
        column_name = data.draw(st.sampled_from(free), label="column")
        index_name = h.name("ix")
        table.indexes[index_name] = column_name
        h.steps.append((f"op.create_index({index_name!r}, {name!r}, [{column_name!r}])",
                        f"op.drop_index({index_name!r}, table_name={name!r})"))
    elif kind == "drop_index" and table.indexes:
        index_name = data.draw(st.sampled_from(sorted(table.indexes)), label="index")
        column_name = table.indexes.pop(index_name)
        h.steps.append((f"op.drop_index({index_name!r}, table_name={name!r})",
                        f"op.create_index({index_name!r}, {name!r}, [{column_name!r}])"))
    elif kind == "create_unique" and free:
        column_name = data.draw(st.sampled_from(free), label="column")
        unique = h.name("uq")
        table.uniques[unique] = column_name
        h.steps.append(
            (f"op.create_unique_constraint({unique!r}, {name!r}, [{column_name!r}])",
             f"op.drop_constraint({unique!r}, {name!r})"))  # type_ from the model
    elif kind == "drop_unique" and table.uniques:
        unique = data.draw(st.sampled_from(sorted(table.uniques)), label="unique")
        column_name = table.uniques.pop(unique)
        h.steps.append(
            (f"op.drop_constraint({unique!r}, {name!r})",
             f"op.create_unique_constraint({unique!r}, {name!r}, [{column_name!r}])"))
    elif kind == "create_fk":
        integers = [c for c in free if table.columns[c].type == "int"]
        if integers:
            column_name = data.draw(st.sampled_from(integers), label="column")
            target = data.draw(st.sampled_from(names), label="target")
            fk = h.name("fk")
            table.fks[fk] = (column_name, target)
            h.steps.append(
                (f"op.create_foreign_key({fk!r}, {name!r}, {target!r}, [{column_name!r}], "
                 "['id'])",
                 f"op.drop_constraint({fk!r}, {name!r})"))
    elif kind == "drop_fk" and table.fks:
        fk = data.draw(st.sampled_from(sorted(table.fks)), label="fk")
        column_name, target = table.fks.pop(fk)
        h.steps.append(
            (f"op.drop_constraint({fk!r}, {name!r})",
             f"op.create_foreign_key({fk!r}, {name!r}, {target!r}, [{column_name!r}], "
             "['id'])"))
    elif kind == "rename_table" and not h.referenced(name):
        new = h.name("t")
        h.tables[new] = h.tables.pop(name)
        h.steps.append((f"op.rename_table({name!r}, {new!r})",
                        f"op.rename_table({new!r}, {name!r})"))
    elif kind == "drop_table" and not h.referenced(name):
        down = h.create_source(name)
        del h.tables[name]
        h.steps.append((f"op.drop_table({name!r})", down))


def _write(root: Path, steps: list[tuple[str, str]]) -> None:
    scripts = {}
    parent: str | None = None
    for i, (up, down) in enumerate(steps, 1):
        rev = f"r{i:04d}"
        body = "\n".join(f"    {line}" for line in up.splitlines())
        back = "\n".join(f"    {line}" for line in down.splitlines())
        scripts[f"{rev}.py"] = (
            f'"""step {i}"""\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
            f"revision = {rev!r}\ndown_revision = {parent!r}\n\n\n"
            f"def upgrade():\n{body}\n\n\ndef downgrade():\n{back}\n")
        parent = rev
    sp.write_history(root, scripts)


def _check(root: Path, db: dbs.ScratchDB, dialect_name: str) -> None:
    sp.apply_ok(db, sp.render_stream(root, dialect_name))
    dialect = get_dialect(dialect_name)
    schema = load_project(load_config(cwd=root)).schema_at(dialect)
    assert schema.incomplete == []
    model = from_model(schema, dialect.sa_dialect)
    reflected = from_database(db.url, dialect.sa_dialect, dialect.supports_comments)
    for table in reflected.values():
        table["keys_are_indexes"] = dialect_name in ("mysql", "mariadb")
    _unique_keys(model, reflected)
    assert model == reflected
    sp.apply_ok(db, sp.render_stream(root, dialect_name, "--downgrade"))
    assert db.tables() == [sp.VERSION_TABLE]
    assert sp.version_rows(db) == []


HISTORIES = st.integers(min_value=1, max_value=8)
# Fixed examples (derandomize) keep CI reproducible and fast; for a wider search raise
# max_examples and drop derandomize locally (300 random histories of up to 14 steps per
# database passed when this test was written).
SETTINGS = settings(max_examples=20, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@contextmanager
def _fresh(path: Path) -> Iterator[Path]:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    yield path


@SETTINGS
@given(data=st.data(), length=HISTORIES)
def test_random_histories_on_sqlite(tmp_path_factory: pytest.TempPathFactory,
                                    data: st.DataObject, length: int) -> None:
    history = History()
    for _ in range(length):
        _draw_step(data, history)
    with _fresh(tmp_path_factory.getbasetemp() / "property-sqlite") as root, \
            dbs.sqlite_scratch(root) as db:
        _write(root, history.steps)
        _check(root, db, "sqlite")


@SETTINGS
@given(data=st.data(), length=HISTORIES)
def test_random_histories_on_postgresql(tmp_path_factory: pytest.TempPathFactory,
                                        pg_server: Any, data: st.DataObject,
                                        length: int) -> None:
    history = History()
    for _ in range(length):
        _draw_step(data, history)
    with _fresh(tmp_path_factory.getbasetemp() / "property-pg") as root, \
            dbs.postgres_scratch() as db:
        _write(root, history.steps)
        _check(root, db, "postgresql")


@SETTINGS
@given(data=st.data(), length=HISTORIES)
def test_random_histories_on_mariadb(tmp_path_factory: pytest.TempPathFactory,
                                     mariadb_server: Any, data: st.DataObject,
                                     length: int) -> None:
    history = History()
    for _ in range(length):
        _draw_step(data, history)
    with _fresh(tmp_path_factory.getbasetemp() / "property-mariadb") as root, \
            dbs.mariadb_scratch() as db:
        _write(root, history.steps)
        _check(root, db, "mariadb")


@SETTINGS
@given(data=st.data(), length=HISTORIES)
def test_random_histories_compile_for_targets_without_a_server(
        tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, length: int) -> None:
    """No SQL Server, Oracle or MySQL 8 here: the same histories compile, up and down, and
    no statement fails sqlglot (run_cli asserts exit 0)."""
    history = History()
    for _ in range(length):
        _draw_step(data, history)
    with _fresh(tmp_path_factory.getbasetemp() / "property-compile") as root:
        _write(root, history.steps)
        for dialect in ("mssql", "oracle", "mysql"):
            assert "COMMIT" in sp.render_stream(root, dialect)
            assert "COMMIT" in sp.render_stream(root, dialect, "--downgrade")
