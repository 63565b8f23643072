"""The schema model after replaying the example equals what SQLAlchemy reflects from real
databases once the generated SQL is applied: tables, columns, types, nullability, defaults,
keys, indexes, checks and comments, compared field by field."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import dbs
import pytest
import sqlalchemy as sa
import sqlc_project as sp

from sqlcompile.config import load_config
from sqlcompile.dialects import get_dialect
from sqlcompile.pipeline.render import load_project
from sqlcompile.schema.model import Schema

DATABASES = [("pg_db", "postgresql"), ("sqlite_db", "sqlite"), ("mariadb_db", "mariadb")]


def _default(text: str | None, autoincrement: bool) -> str | None:
    """A server default in a comparable form: casts, quoting of numbers and parentheses gone."""
    if text is None:
        return None
    value = text.strip()
    if autoincrement and value.lower().startswith("nextval("):
        return None  # SERIAL's sequence default, implied by the key
    value = re.sub(r"::[a-z ]+(\([^)]*\))?", "", value)  # PostgreSQL casts
    while value.startswith("(") and value.endswith(")"):
        value = value[1:-1].strip()
    value = value.lower()
    value = re.sub(r"^'(-?\d+(?:\.\d+)?)'$", r"\1", value)  # '7' on a number column reads 7
    aliases = {"current_timestamp()": "current_timestamp", "now()": "current_timestamp",
               "'0'": "0", "'1'": "1", "'0.00'": "0", "0.00": "0",
               "true": "1", "false": "0"}  # booleans are 1/0 on MySQL; same on both sides
    return aliases.get(value, value)


def _type(type_: Any, dialect: sa.engine.Dialect) -> str:
    text = str(type_.compile(dialect=dialect)).upper()
    if dialect.name in ("mysql", "mariadb"):  # MySQL/MariaDB store NUMERIC as its synonym DECIMAL
        text = re.sub(r"^NUMERIC\b", "DECIMAL", text)
    aliases = {"TINYINT(1)": "BOOLEAN", "TINYINT": "BOOLEAN", "BOOL": "BOOLEAN",
               "INTEGER(11)": "INTEGER", "INT(11)": "INTEGER", "INT": "INTEGER"}
    text = aliases.get(text, text)
    # MySQL/MariaDB report integer display widths (BIGINT(20)); they are not part of the type.
    return re.sub(r"^(SMALLINT|MEDIUMINT|INTEGER|BIGINT)\(\d+\)", r"\1", text)


def _action(action: str | None, dialect: sa.engine.Dialect) -> str:
    """ON DELETE action; the default spelled out reads back as nothing."""
    value = (action or "").upper()
    defaults = {"NO ACTION"} | ({"RESTRICT"} if dialect.name in ("mysql", "mariadb") else set())
    return "" if value in defaults else value


def from_model(schema: Schema, dialect: sa.engine.Dialect) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for table in schema.sorted_tables():
        pk = table.primary_key.columns if table.primary_key else ()
        # A one-column integer key without an explicit default is an identity/serial column.
        serial = {pk[0]} if len(pk) == 1 else set()
        columns = {
            c.name: (_type(c.type, dialect), c.nullable and c.name not in pk,
                     _default(c.default, c.name in serial), c.comment)
            for c in table.columns
        }
        out[table.name] = {
            "columns": columns,
            "pk": tuple(pk),
            "fks": sorted((f.columns, f.ref_table, f.ref_columns, _action(f.ondelete, dialect))
                          for f in table.foreign_keys),
            "uniques": sorted(u.columns for u in table.uniques),
            "indexes": sorted((i.name, i.columns, i.unique) for i in table.indexes),
            "checks": sorted(str(c.name) for c in table.checks if c.name),
            "comment": table.comment,
        }
    return out


def from_database(url: str, dialect: sa.engine.Dialect, comments: bool) -> dict[str, Any]:
    engine = sa.create_engine(url)
    out: dict[str, Any] = {}
    try:
        inspector = sa.inspect(engine)
        for name in sorted(inspector.get_table_names()):
            if name == sp.VERSION_TABLE:
                continue
            pk = tuple(inspector.get_pk_constraint(name)["constrained_columns"])
            serial = {pk[0]} if len(pk) == 1 else set()
            columns = {
                c["name"]: (_type(c["type"], dialect), c["nullable"],
                            _default(c.get("default"), c["name"] in serial),
                            c.get("comment") if comments else None)
                for c in inspector.get_columns(name)
            }
            uniques = sorted((u["name"], tuple(u["column_names"]))
                             for u in inspector.get_unique_constraints(name))
            indexes = sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(name)
                if not i.get("duplicates_constraint")
            )
            fks = sorted(
                (tuple(f["constrained_columns"]), f["referred_table"],
                 tuple(f["referred_columns"]), _action(f["options"].get("ondelete"), dialect))
                for f in inspector.get_foreign_keys(name)
            )
            checks = sorted(str(c["name"]) for c in inspector.get_check_constraints(name)
                            if c.get("name"))
            comment = inspector.get_table_comment(name).get("text") if comments else None
            out[name] = {"columns": columns, "pk": pk, "fks": fks, "uniques": uniques,  # named
                         "indexes": indexes, "checks": checks, "comment": comment}
    finally:
        engine.dispose()
    return out


def _unique_keys(model: dict[str, Any], reflected: dict[str, Any]) -> None:
    """Unique constraints and unique indexes, told apart by the model's names.

    PostgreSQL and SQLite reflect them apart; MySQL/MariaDB have only unique keys, reflected
    as both, and add an index for each foreign key that has none (not a difference).
    """
    for name, table in reflected.items():
        ours = model.get(name, {})
        index_names = {i[0] for i in ours.get("indexes", [])}
        uniques = table["uniques"]
        if table.get("keys_are_indexes"):
            uniques = [u for u in uniques if u[0] not in index_names]
            unique_names = {u[0] for u in uniques}
            table["indexes"] = [
                i for i in table["indexes"] if i[0] not in unique_names
                and (i[0] in index_names or not any(i[1] == f[0] for f in table["fks"]))]
        table["uniques"] = sorted(u[1] for u in uniques)
        table.pop("keys_are_indexes", None)


@pytest.mark.parametrize("db_fixture, dialect_name", DATABASES)
def test_model_matches_reflection(tmp_path: Path, db_fixture: str, dialect_name: str,
                                  request: pytest.FixtureRequest) -> None:
    from sqlcompile.dialects import known_dialects

    if dialect_name not in known_dialects():
        pytest.fail(f"dialect {dialect_name} is not available")
    db: dbs.ScratchDB = request.getfixturevalue(db_fixture)
    example = sp.copy_example(tmp_path)
    sp.apply_ok(db, sp.render_stream(example, dialect_name))

    dialect = get_dialect(dialect_name)
    project = load_project(load_config(cwd=example))
    schema = project.schema_at(dialect)
    assert schema.incomplete == []
    comments = dialect.supports_comments
    model = from_model(schema, dialect.sa_dialect)
    if not comments:
        for table in model.values():
            table["comment"] = None
            table["columns"] = {k: (*v[:3], None) for k, v in table["columns"].items()}
    reflected = from_database(db.url, dialect.sa_dialect, comments)
    for table in reflected.values():
        table["keys_are_indexes"] = dialect_name in ("mysql", "mariadb")
    _unique_keys(model, reflected)
    assert sorted(model) == sorted(reflected)
    assert len(model) >= 8 and sum(len(t["indexes"]) for t in model.values()) >= 5
    for name in model:
        for part in ("columns", "pk", "fks", "uniques", "indexes", "checks", "comment"):
            assert model[name][part] == reflected[name][part], (name, part)
