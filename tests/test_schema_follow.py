"""Raw DDL followed by the schema model: SQL in, model out (sqlcompile.sources.follow)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from sqlcompile.dialects import get_dialect
from sqlcompile.schema.model import Schema, TableModel
from sqlcompile.sources.parsed import SQLType
from sqlcompile.sources.raw import apply_sql

BASE = ("CREATE TABLE a (id SERIAL PRIMARY KEY, x text NOT NULL DEFAULT 'q', "
        "y int CONSTRAINT ck_y CHECK (y > 0));"
        "CREATE INDEX ix_a_x ON a (x)")


def follow(sql: str, dialect: str = "postgresql", *, revision: str = "r1") -> Schema:
    schema = Schema(get_dialect(dialect))
    schema.revision = revision
    apply_sql(schema, sql)
    return schema


def columns(table: TableModel) -> list[tuple[Any, ...]]:
    """(name, type as the dialect renders it, nullable, default, comment) of each column."""
    return [(c.name, _type(c.type), c.nullable, c.default, c.comment) for c in table.columns]


def _type(type_: Any) -> str:
    return str(type_.compile(dialect=get_dialect("postgresql").sa_dialect))


def table(schema: Schema, name: str, schema_name: str | None = None) -> TableModel:
    found = schema.table(name, schema_name)
    assert found is not None, sorted(schema.tables)
    return found


def test_create_table_columns_types_and_keys() -> None:
    schema = follow(
        "CREATE TABLE IF NOT EXISTS shop.Orders ("
        " id BIGSERIAL PRIMARY KEY,"
        " code varchar(20) NOT NULL DEFAULT 'new' UNIQUE,"
        " total numeric(10,2) CHECK (total >= 0),"
        " placed timestamp with time zone DEFAULT now(),"
        " flag bool NULL,"
        " doc jsonb,"
        " tags int[],"
        ' "Mixed" uuid)'
    )
    orders = table(schema, "orders", "shop")  # unquoted names fold to lower case
    assert columns(orders) == [
        ("id", "BIGINT", False, None, None),
        ("code", "VARCHAR(20)", False, "'new'", None),
        ("total", "NUMERIC(10, 2)", True, None, None),
        ("placed", "TIMESTAMP WITH TIME ZONE", True, "CURRENT_TIMESTAMP", None),
        ("flag", "BOOLEAN", True, None, None),
        ("doc", "JSONB", True, None, None),
        ("tags", "INT[]", True, None, None),
        ("Mixed", "UUID", True, None, None),
    ]
    assert orders.columns[0].autoincrement is True
    assert isinstance(orders.column("tags").type, SQLType)  # type: ignore[union-attr]
    assert orders.primary_key is not None and orders.primary_key.columns == ("id",)
    assert [u.columns for u in orders.uniques] == [("code",)]
    assert [c.sqltext for c in orders.checks] == ["total >= 0"]
    assert schema.incomplete == []


def test_create_table_constraints_table_level_and_references() -> None:
    schema = follow(
        "CREATE TABLE a (id int PRIMARY KEY);"
        "CREATE TABLE b (id int, a_id int REFERENCES a ON DELETE CASCADE, code text,"
        " CONSTRAINT pk_b PRIMARY KEY (id),"
        " CONSTRAINT fk_b_a FOREIGN KEY (a_id) REFERENCES a (id) ON UPDATE SET NULL"
        " DEFERRABLE INITIALLY DEFERRED,"
        " CONSTRAINT uq_b UNIQUE (code, a_id),"
        " CONSTRAINT ck_b CHECK (id <> a_id))"
    )
    b = table(schema, "b")
    assert b.primary_key is not None and (b.primary_key.name, b.primary_key.columns) == (
        "pk_b", ("id",))
    assert columns(b)[0] == ("id", "INTEGER", False, None, None)
    fks = sorted(b.foreign_keys, key=lambda f: str(f.name))
    assert [(f.name, f.columns, f.ref_table, f.ref_columns, f.ondelete, f.onupdate,
             f.deferrable, f.initially) for f in fks] == [
        (None, ("a_id",), "a", ("id",), "CASCADE", None, None, None),
        ("fk_b_a", ("a_id",), "a", ("id",), None, "SET NULL", True, "DEFERRED"),
    ]
    assert [(u.name, u.columns) for u in b.uniques] == [("uq_b", ("code", "a_id"))]
    assert [(c.name, c.sqltext) for c in b.checks] == [("ck_b", "id <> a_id")]
    assert schema.incomplete == []


@pytest.mark.parametrize(("sql", "expected"), [
    ("ALTER TABLE a ADD COLUMN z int NOT NULL DEFAULT 0",
     [("id", "INTEGER", False, None, None), ("x", "TEXT", False, "'q'", None),
      ("y", "INTEGER", True, None, None), ("z", "INTEGER", False, "0", None)]),
    ("ALTER TABLE a DROP COLUMN y",
     [("id", "INTEGER", False, None, None), ("x", "TEXT", False, "'q'", None)]),
    ("ALTER TABLE a ALTER COLUMN x TYPE varchar(5), ALTER COLUMN y SET NOT NULL",
     [("id", "INTEGER", False, None, None), ("x", "VARCHAR(5)", False, "'q'", None),
      ("y", "INTEGER", False, None, None)]),
    ("ALTER TABLE a ALTER COLUMN x DROP NOT NULL; ALTER TABLE a ALTER COLUMN x DROP DEFAULT",
     [("id", "INTEGER", False, None, None), ("x", "TEXT", True, None, None),
      ("y", "INTEGER", True, None, None)]),
    ("ALTER TABLE a ALTER COLUMN y SET DEFAULT 7",
     [("id", "INTEGER", False, None, None), ("x", "TEXT", False, "'q'", None),
      ("y", "INTEGER", True, "7", None)]),
    ("COMMENT ON COLUMN a.x IS 'the x'; COMMENT ON COLUMN a.y IS 'why';"
     "COMMENT ON COLUMN a.y IS NULL",
     [("id", "INTEGER", False, None, None), ("x", "TEXT", False, "'q'", "the x"),
      ("y", "INTEGER", True, None, None)]),
])
def test_alter_table_columns(sql: str, expected: list[tuple[Any, ...]]) -> None:
    schema = follow(f"{BASE}; {sql}")
    assert columns(table(schema, "a")) == expected
    assert schema.incomplete == []


def test_rename_column_follows_keys_and_indexes() -> None:
    schema = follow(f"{BASE}; ALTER TABLE a RENAME COLUMN x TO label")
    a = table(schema, "a")
    assert a.column_names() == ["id", "label", "y"]
    assert [ix.columns for ix in a.indexes] == [("label",)]


def test_constraints_added_and_dropped() -> None:
    schema = follow(
        f"{BASE}; CREATE TABLE b (id int);"
        "ALTER TABLE b ADD CONSTRAINT pk_b PRIMARY KEY (id);"
        "ALTER TABLE a ADD CONSTRAINT uq_a_x UNIQUE (x);"
        "ALTER TABLE a ADD CONSTRAINT fk_a_b FOREIGN KEY (y) REFERENCES b (id) ON DELETE SET NULL;"
        "ALTER TABLE a ADD CONSTRAINT ck_x CHECK (length(x) > 1);"
        "ALTER TABLE a DROP CONSTRAINT ck_y;"
        "ALTER TABLE a DROP CONSTRAINT IF EXISTS no_such"
    )
    a, b = table(schema, "a"), table(schema, "b")
    assert b.primary_key is not None and b.primary_key.name == "pk_b"
    assert b.columns[0].nullable is False  # a primary key makes its columns NOT NULL
    assert [(u.name, u.columns) for u in a.uniques] == [("uq_a_x", ("x",))]
    assert [(f.name, f.ref_table, f.ondelete) for f in a.foreign_keys] == [
        ("fk_a_b", "b", "SET NULL")]
    assert [(c.name, c.sqltext) for c in a.checks] == [("ck_x", "LENGTH(x) > 1")]
    assert schema.incomplete == []


def test_indexes_created_and_dropped() -> None:
    schema = follow(
        f"{BASE}; CREATE UNIQUE INDEX IF NOT EXISTS ix_a_lower ON a USING btree "
        "(lower(x), y DESC) WHERE y > 0; DROP INDEX ix_a_x; DROP INDEX IF EXISTS ix_gone"
    )
    [index] = table(schema, "a").indexes
    assert index.name == "ix_a_lower" and index.unique
    assert [(p.text, p.expression) for p in index.parts] == [
        ("LOWER(x)", True), ("y DESC", True)]
    assert dict(index.options) == {"postgresql_using": "btree", "postgresql_where": "y > 0"}
    assert schema.incomplete == []


def test_tables_renamed_commented_and_dropped() -> None:
    schema = follow(
        f"{BASE}; CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a (id));"
        "ALTER TABLE a RENAME TO alpha; COMMENT ON TABLE alpha IS 'first';"
        "DROP TABLE IF EXISTS missing; CREATE TEMP TABLE scratch (n int)"
    )
    assert sorted(k[1] for k in schema.tables) == ["alpha", "b"]
    assert table(schema, "alpha").comment == "first"
    assert [f.ref_table for f in table(schema, "b").foreign_keys] == ["alpha"]
    schema_after = follow(f"{BASE}; COMMENT ON TABLE a IS 'x'; COMMENT ON TABLE a IS NULL;"
                          "DROP TABLE a")
    assert schema_after.tables == {}
    assert schema.incomplete == [] and schema_after.incomplete == []


def test_changes_no_schema_are_ignored() -> None:
    schema = follow(
        f"{BASE}; INSERT INTO a (x) VALUES ('v'); UPDATE a SET y = 1; DELETE FROM a;"
        "SELECT 1; SET search_path = public; TRUNCATE a; GRANT SELECT ON a TO PUBLIC; VACUUM"
    )
    assert schema.incomplete == []
    assert table(schema, "a").column_names() == ["id", "x", "y"]


@pytest.mark.parametrize(("sql", "excerpt"), [
    ("CREATE DOMAIN posint AS int CHECK (VALUE > 0)", "CREATE DOMAIN posint AS int"),
    ("ALTER FUNCTION f() SET search_path = public", "ALTER FUNCTION f() SET"),
    ("CREATE TRIGGER tr AFTER INSERT ON nowhere FOR EACH ROW EXECUTE FUNCTION f()",
     "CREATE TRIGGER tr names table nowhere"),
    ("DO $$ BEGIN PERFORM 1; END $$", "DO $$ BEGIN PERFORM 1; END $$"),
    ("ALTER EXTENSION hstore UPDATE", "ALTER EXTENSION hstore UPDATE"),
    ("CREATE TABLE c AS SELECT 1 AS n", "CREATE TABLE c AS SELECT 1 AS n"),
    ("ALTER TABLE a RENAME CONSTRAINT ck_y TO ck_why", "ALTER TABLE a RENAME CONSTRAINT"),
    ("CREATE TABLE d (n int) WITH (fillfactor=70)", "raw SQL followed without table option"),
    ("ALTER TABLE nowhere ADD COLUMN n int", "names table nowhere, which the history never"),
    ("THIS IS NOT SQL (", "raw SQL sqlglot cannot parse: THIS IS NOT SQL ("),
])
def test_what_the_model_cannot_follow_marks_it_incomplete(sql: str, excerpt: str) -> None:
    schema = follow(f"{BASE}; {sql}; CREATE TABLE later (n int)", revision="abc123")
    assert len(schema.incomplete) == 1, schema.incomplete
    [message] = schema.incomplete
    assert message.startswith("schema model may be incomplete after revision abc123: ")
    assert excerpt in message
    assert table(schema, "later")  # statements after it are still followed


def test_sqlite_types_and_autoincrement() -> None:
    schema = follow("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(30) "
                    "NOT NULL, at DATETIME DEFAULT CURRENT_TIMESTAMP, blob_ BLOB)", "sqlite")
    t = table(schema, "t")
    dialect = get_dialect("sqlite").sa_dialect
    assert [(c.name, str(c.type.compile(dialect=dialect)), c.nullable, c.default)
            for c in t.columns] == [
        ("id", "INTEGER", False, None), ("name", "VARCHAR(30)", False, None),
        ("at", "DATETIME", True, "CURRENT_TIMESTAMP"), ("blob_", "BLOB", True, None)]
    assert t.columns[0].autoincrement is True
    assert schema.incomplete == []


def test_enum_types_are_followed_and_used() -> None:
    schema = follow("CREATE TYPE mood AS ENUM ('sad', 'ok'); CREATE TABLE p (m mood)")
    assert schema.enums[(None, "mood")].values == ("sad", "ok")
    column_type = table(schema, "p").columns[0].type
    assert isinstance(column_type, sa.Enum) and column_type.enums == ["sad", "ok"]
    follow_drop = follow("CREATE TYPE mood AS ENUM ('a'); DROP TYPE mood")
    assert follow_drop.enums == {}


@pytest.mark.parametrize("qualified", ['"public"."a"', "public.a", "PUBLIC.a"])
def test_the_default_schema_names_the_unqualified_table(qualified: str) -> None:
    schema = follow(
        f"{BASE}; ALTER TABLE {qualified} ADD COLUMN z int; CREATE INDEX ix_a_z ON {qualified} "
        f"(z); COMMENT ON TABLE {qualified} IS 'same'; ALTER TABLE a ADD COLUMN w int;"
        f"CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES {qualified} (id));"
        f"ALTER TABLE {qualified} RENAME TO alpha"
    )
    assert sorted(schema.tables) == [(None, "alpha"), (None, "b")]
    alpha = table(schema, "alpha")
    assert alpha.column_names() == ["id", "x", "y", "z", "w"]
    assert [i.name for i in alpha.indexes] == ["ix_a_x", "ix_a_z"]
    assert alpha.comment == "same"
    assert [f.ref_table for f in table(schema, "b").foreign_keys] == ["alpha"]
    assert table(schema, "alpha", "public") == alpha
    schema = follow(f"CREATE TABLE {qualified} (id int); ALTER TABLE a ADD COLUMN n int;"
                    "DROP INDEX IF EXISTS public.nothing; DROP TABLE a")
    assert schema.tables == {} and schema.incomplete == []


def test_only_the_dialects_default_schema_is_folded() -> None:
    schema = follow("CREATE TABLE main.t (id int); ALTER TABLE t ADD COLUMN n int", "sqlite")
    assert table(schema, "t", "main").column_names() == ["id", "n"]
    assert schema.incomplete == []
    other = follow("CREATE TABLE shop.a (id int); ALTER TABLE a ADD COLUMN n int")
    assert table(other, "a", "shop").column_names() == ["id"]
    assert len(other.incomplete) == 1 and "names table a, which" in other.incomplete[0]
