"""Functions, procedures and views made by raw SQL, kept in the schema model.

The model holds each as its statement verbatim, keyed by schema, name and (for a function or
procedure) its input argument types; schema.sql and baseline.sql print them after the tables
and before the triggers, so a database built from baseline.sql has the functions its triggers
execute. The histories are our own, shaped as real ones are (a trigger function made in the
revision that adds the trigger, views over tables, alembic-utils entities).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dbs
import histories as h
import pytest
import sqlc_project as sp

from sqlcompile.dialects import get_dialect
from sqlcompile.pipeline.printer import schema_statements
from sqlcompile.schema.model import Schema
from sqlcompile.schema.objects import OpaqueModel
from sqlcompile.sources.follow_objects import arguments
from sqlcompile.sources.raw import apply_sql

TABLE = "CREATE TABLE w (id int PRIMARY KEY, n int)"
FUNCTION = ("CREATE FUNCTION wf() RETURNS TRIGGER AS $$ BEGIN NEW.n := 1; RETURN NEW; END $$ "
            "LANGUAGE plpgsql")
TRIGGER = "CREATE TRIGGER wt BEFORE INSERT ON w FOR EACH ROW EXECUTE PROCEDURE wf()"


def follow(*statements: str, dialect: str = "postgresql") -> Schema:
    """A model that followed each string as one `op.execute()`."""
    schema = Schema(get_dialect(dialect))
    schema.revision = "r1"
    for sql in statements:
        apply_sql(schema, sql)
    return schema


def objects(schema: Schema) -> list[tuple[str, str | None, str, tuple[str, ...]]]:
    return [(o.kind, o.schema, o.name, o.arguments) for o in schema.objects.values()]


def only(schema: Schema, name: str) -> OpaqueModel:
    [found] = [o for o in schema.objects.values() if o.name == name]
    return found


# -- following the statements ---------------------------------------------------------------------


def test_functions_procedures_and_views_are_kept_in_creation_order() -> None:
    schema = follow(
        TABLE, FUNCTION, TRIGGER,
        "CREATE OR REPLACE FUNCTION public.total(a integer, OUT b bigint) AS $$ "
        "SELECT a::bigint $$ LANGUAGE sql;"
        "CREATE VIEW big AS WITH q AS (SELECT * FROM w) SELECT q.id FROM q JOIN public.w x "
        "ON x.id = q.id;"
        "CREATE MATERIALIZED VIEW big_ids AS SELECT id FROM big WITH NO DATA;"
        "REFRESH MATERIALIZED VIEW big_ids;"
        "CREATE PROCEDURE tidy(days int) LANGUAGE sql AS $$ DELETE FROM w WHERE n > days $$;"
        "ALTER FUNCTION wf() OWNER TO postgres")
    assert objects(schema) == [
        ("function", None, "wf", ()), ("function", "public", "total", ("integer",)),
        ("view", None, "big", ()), ("materialized view", None, "big_ids", ()),
        ("procedure", None, "tidy", ("integer",))]
    assert only(schema, "wf").sql == FUNCTION
    assert only(schema, "big").uses == (("public", "w"), (None, "w"))  # not the CTE q
    assert only(schema, "big_ids").uses == ((None, "big"),)
    assert [t.name for t in schema.tables[(None, "w")].triggers] == ["wt"]
    assert schema.incomplete == []


@pytest.mark.parametrize(("params", "types"), [
    ("", ()),
    ("integer", ("integer",)),
    ("a int4, b varchar(20), c text DEFAULT 'x'", ("integer", "character varying", "text")),
    ("IN a int, OUT b int, INOUT c bool, VARIADIC d int[]",
     ("integer", "boolean", "integer[]")),
    ("double precision, x double precision, t timestamptz = now()",
     ("double precision", "double precision", "timestamp with time zone")),
    ("numeric(10, 2), m public.mood", ("numeric", "public.mood")),
])
def test_argument_types_are_compared_as_the_server_does(params: str,
                                                        types: tuple[str, ...]) -> None:
    assert arguments(params) == types


def test_or_replace_keeps_the_place_and_overloads_are_told_apart() -> None:
    schema = follow(
        "CREATE FUNCTION f(a int) RETURNS int AS $$ SELECT a $$ LANGUAGE sql",
        "CREATE FUNCTION f(a text) RETURNS text AS $$ SELECT a $$ LANGUAGE sql",
        "CREATE VIEW v AS SELECT 1 AS one",
        "CREATE OR REPLACE FUNCTION f(b integer) RETURNS int AS $$ SELECT b + 1 $$ "
        "LANGUAGE sql")
    assert objects(schema) == [("function", None, "f", ("integer",)),
                               ("function", None, "f", ("text",)), ("view", None, "v", ())]
    assert "b + 1" in list(schema.objects.values())[0].sql
    apply_sql(schema, "DROP FUNCTION IF EXISTS f(int4); DROP FUNCTION IF EXISTS nothing()")
    assert objects(schema) == [("function", None, "f", ("text",)), ("view", None, "v", ())]
    assert schema.incomplete == []
    # The same name again without OR REPLACE is refused by the server.
    apply_sql(schema, "CREATE VIEW v AS SELECT 2 AS two")
    assert "SELECT 1" in only(schema, "v").sql
    assert schema.incomplete == [
        "schema model may be incomplete after revision r1: CREATE VIEW v: the model already "
        "has view v"]


def test_an_ambiguous_drop_marks_the_model() -> None:
    schema = follow("CREATE FUNCTION g(int) RETURNS int AS 'SELECT 1' LANGUAGE sql;"
                    "CREATE FUNCTION g(text) RETURNS int AS 'SELECT 2' LANGUAGE sql;"
                    "DROP FUNCTION g")
    assert len(schema.objects) == 2
    assert schema.incomplete == [
        "schema model may be incomplete after revision r1: DROP FUNCTION g: the model has "
        "function g(integer), function g(text)"]


def test_dropping_a_trigger_function_needs_cascade() -> None:
    schema = follow(TABLE, FUNCTION, TRIGGER, "DROP FUNCTION wf()")
    assert objects(schema) == [("function", None, "wf", ())]  # refused: still there
    assert schema.incomplete == [
        "schema model may be incomplete after revision r1: DROP FUNCTION wf: trigger wt on w "
        "use(s) it, so the database refuses to drop it without CASCADE"]
    schema = follow(TABLE, FUNCTION, TRIGGER, "DROP FUNCTION IF EXISTS public.wf() CASCADE")
    assert schema.objects == {} and schema.tables[(None, "w")].triggers == ()
    assert schema.incomplete == []


def test_cascade_through_what_calls_a_function_is_not_followed() -> None:
    schema = follow(TABLE, "CREATE FUNCTION one() RETURNS int AS 'SELECT 1' LANGUAGE sql",
                    "CREATE VIEW ones AS SELECT one() AS o", "DROP FUNCTION one CASCADE")
    assert objects(schema) == [("view", None, "ones", ())]
    assert schema.incomplete == [
        "schema model may be incomplete after revision r1: DROP FUNCTION one CASCADE: view "
        "ones name(s) it, and the model cannot tell what the database drops along"]


def test_views_reading_views_need_cascade_to_drop() -> None:
    sql = (TABLE, "CREATE VIEW v1 AS SELECT id FROM w", "CREATE VIEW v2 AS SELECT id FROM v1",
           "CREATE VIEW other AS SELECT n FROM w")
    refused = follow(*sql, "DROP VIEW v1")
    assert len(refused.objects) == 3
    assert refused.incomplete == [
        "schema model may be incomplete after revision r1: DROP VIEW v1: view v2 read(s) it, "
        "so the database refuses to drop it without CASCADE"]
    cascaded = follow(*sql, "DROP VIEW v1 CASCADE")
    assert objects(cascaded) == [("view", None, "other", ())]
    assert cascaded.incomplete == []


def test_renaming_a_function_renames_it_in_its_triggers() -> None:
    schema = follow(TABLE, FUNCTION, TRIGGER, "ALTER FUNCTION wf() RENAME TO stamp")
    assert only(schema, "stamp").sql == FUNCTION.replace("wf()", "stamp()")
    [trigger] = schema.tables[(None, "w")].triggers
    assert trigger.sql == TRIGGER.replace("wf()", "stamp()")
    assert schema.incomplete == []
    # A view's query is rewritten by the database on a rename of what it reads.
    views = follow(TABLE, "CREATE VIEW v1 AS SELECT id FROM w",
                   "CREATE VIEW v2 AS SELECT id FROM v1", 'ALTER VIEW v1 RENAME TO "V0"')
    assert objects(views) == [("view", None, "V0", ())]
    assert only(views, "V0").sql == 'CREATE VIEW "V0" AS SELECT id FROM w'
    assert views.incomplete == [
        "schema model may be incomplete after revision r1: view v1 was renamed, and view v2 "
        "read(s) it; the model no longer holds them"]


def test_dropping_or_renaming_a_table_a_view_reads_marks_the_model(pg_db: dbs.PostgresDB
                                                                   ) -> None:
    sql = (TABLE, "CREATE VIEW v AS SELECT id FROM w", "DROP TABLE w")
    refused = sp.apply(pg_db, ";\n".join(sql) + ";\n")
    assert refused.returncode != 0
    assert "cannot drop table w because other objects depend on it" in refused.stderr
    schema = follow(*sql)
    assert schema.objects == {} and schema.tables == {}
    assert schema.incomplete == [
        "schema model may be incomplete after revision r1: table w was dropped or renamed, "
        "and view v read(s) it; the model no longer holds them"]
    cascaded = follow(TABLE, "CREATE VIEW v AS SELECT id FROM w", "DROP TABLE w CASCADE")
    assert cascaded.objects == {} and cascaded.incomplete == []


def test_mysql_and_sqlite_routines_and_views() -> None:
    body = "CREATE PROCEDURE bump(IN k INT)\nBEGIN\n  UPDATE w SET n = n + k;\nEND"
    schema = follow(TABLE, "CREATE ALGORITHM=MERGE VIEW v AS SELECT id FROM w", body,
                    "CREATE FUNCTION twice(a INT) RETURNS INT DETERMINISTIC RETURN a * 2",
                    "DROP PROCEDURE IF EXISTS gone", dialect="mariadb")
    assert objects(schema) == [("view", None, "v", ()),
                               ("procedure", None, "bump", ("integer",)),
                               ("function", None, "twice", ("integer",))]
    assert only(schema, "bump").sql == body and schema.incomplete == []
    apply_sql(schema, "DROP PROCEDURE bump; DROP FUNCTION twice; DROP VIEW v")
    assert schema.objects == {} and schema.incomplete == []
    lite = follow(TABLE, "CREATE VIEW IF NOT EXISTS v AS SELECT id FROM w",
                  "CREATE VIEW IF NOT EXISTS v AS SELECT n FROM w", dialect="sqlite")
    assert only(lite, "v").sql.endswith("SELECT id FROM w") and lite.incomplete == []
    apply_sql(lite, "DROP VIEW IF EXISTS v")
    assert lite.objects == {} and lite.incomplete == []


def test_schema_sql_prints_objects_after_tables_and_before_triggers() -> None:
    schema = follow(TABLE, FUNCTION, TRIGGER,
                    "CREATE VIEW v2 AS SELECT 1 AS one",
                    "CREATE VIEW v1 AS SELECT id FROM w",
                    "CREATE OR REPLACE VIEW v2 AS SELECT id FROM v1")
    statements = [s for s in schema_statements(schema) if s.sql]
    heads = [s.sql.split(" AS ")[0] for s in statements]
    assert "CREATE TABLE w" in heads[0]
    assert heads[1:] == ["CREATE FUNCTION wf() RETURNS TRIGGER", "CREATE VIEW v1",
                         "CREATE OR REPLACE VIEW v2", TRIGGER]
    assert [s.comments for s in statements][1:] == [
        ["function wf()"], ["view v1"], ["view v2"], ["trigger wt on w"]]


# -- whole histories on real servers --------------------------------------------------------------

A1, B2, C3 = "a1a1a1a1a1a1", "b2b2b2b2b2b2", "c3c3c3c3c3c3"

#: The redash shape: a trigger and the function it executes, made by raw SQL in one revision;
#: later revisions add a view over the table and change the table.
REDASH = {
    "a1_stamps.py": h.script(A1, None, f"""
        op.create_table("w", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("n", sa.Integer))
        op.execute({FUNCTION!r})
        op.execute({TRIGGER!r})
    """, """
        op.execute("DROP TRIGGER wt ON w")
        op.execute("DROP FUNCTION wf()")
        op.drop_table("w")
    """, message="stamps"),
    "b2_view.py": h.script(B2, A1, """
        op.execute("CREATE VIEW stamped AS SELECT id, n FROM w WHERE n IS NOT NULL")
    """, 'op.execute("DROP VIEW stamped")', message="view"),
    "c3_label.py": h.script(C3, B2, """
        op.add_column("w", sa.Column("label", sa.String(20)))
        op.execute("CREATE OR REPLACE VIEW stamped AS SELECT id, n, label FROM w "
                   "WHERE n IS NOT NULL")
    """, """
        op.execute("CREATE OR REPLACE VIEW stamped AS SELECT id, n FROM w "
                   "WHERE n IS NOT NULL")
        op.execute("DROP VIEW stamped")
        op.execute("CREATE VIEW stamped AS SELECT id, n FROM w WHERE n IS NOT NULL")
        op.drop_column("w", "label")
    """, message="label"),
}


def catalog(db: dbs.PostgresDB) -> dict[str, Any]:
    """What pg_dump would show of the functions, views and triggers, and the tables."""
    return {
        "functions": db.query(
            "SELECT p.proname, pg_get_function_identity_arguments(p.oid), p.prosrc "
            "FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1, 2"),
        "views": db.query("SELECT viewname, definition FROM pg_views "
                          "WHERE schemaname = 'public' ORDER BY 1"),
        "triggers": db.query("SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
                             "WHERE NOT tgisinternal ORDER BY 1"),
        "snapshot": sp.snapshot(db),
    }


def upgrades(root: Path) -> list[Path]:
    return sorted((root / h.OUT / "postgresql" / "upgrade").glob("*.sql"))


@pytest.mark.parametrize("baseline", [A1, B2])
def test_baseline_with_a_trigger_function_applies_on_postgresql(
        pg_db: dbs.PostgresDB, tmp_path: Path, baseline: str) -> None:
    adopted = h.write(tmp_path / "adopted", REDASH, ["postgresql"],
                      f'baseline = "{baseline}"\n')
    done = h.run(adopted, "render")
    assert done.code == 0, done.stderr
    assert "incomplete" not in done.stderr
    text = (adopted / h.OUT / "postgresql" / "baseline.sql").read_text()
    assert text.index("CREATE FUNCTION wf()") < text.index("CREATE TRIGGER wt")
    assert "warning" not in text.split("\n\n")[0]
    sp.apply_ok(pg_db, adopted / h.OUT / "postgresql" / "baseline.sql")
    for path in upgrades(adopted):
        sp.apply_ok(pg_db, path)
    pg_db.query("INSERT INTO w (id) VALUES (1)")  # the trigger runs its function
    assert pg_db.query("SELECT id, n FROM stamped") == [(1, 1)]
    whole = h.write(tmp_path / "whole", REDASH, ["postgresql"])
    assert h.run(whole, "render").code == 0
    with dbs.postgres_scratch() as reference:
        for path in upgrades(whole):
            sp.apply_ok(reference, path)
        reference.query("INSERT INTO w (id) VALUES (1)")
        assert catalog(pg_db) == catalog(reference)
    strict = h.run(adopted, "check", "--strict")
    assert strict.code == 0, strict.stderr


def test_schema_sql_with_views_applies_on_mariadb_and_sqlite(
        mariadb_db: dbs.MariaDB, sqlite_db: dbs.SQLiteDB, tmp_path: Path) -> None:
    scripts = {
        "a1_w.py": h.script(A1, None, """
            op.create_table("w", sa.Column("id", sa.Integer, primary_key=True),
                            sa.Column("n", sa.Integer))
            op.execute("CREATE VIEW big AS SELECT id, n FROM w WHERE n > 10")
            op.execute("CREATE VIEW bigger AS SELECT id FROM big WHERE n > 100")
        """, message="w"),
    }
    root = h.write(tmp_path, scripts, ["mariadb", "sqlite"])
    done = h.run(root, "render")
    assert done.code == 0 and "incomplete" not in done.stderr, done.stderr
    for db, dialect in ((mariadb_db, "mariadb"), (sqlite_db, "sqlite")):
        sp.apply_ok(db, root / h.OUT / dialect / "schema.sql")
        db.query("INSERT INTO w (id, n) VALUES (1, 500)")
        assert db.query("SELECT id FROM bigger") == [(1,)]


ENTITIES = {
    "a1_tickets.py": h.script(A1, None, """
        op.create_table("tickets", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("title", sa.Text, nullable=False))
    """, 'op.drop_table("tickets")', message="tickets"),
    "b2_entities.py": h.script(B2, A1, """
        op.create_entity(PGView(schema="public", signature="titles",
                                definition="SELECT title FROM tickets"))
        op.create_entity(PGFunction(schema="public", signature="shout(t text)",
                                    definition="RETURNS text LANGUAGE sql AS $$ "
                                               "SELECT upper(t) $$"))
    """, """
        op.drop_entity(PGFunction(schema="public", signature="shout(t text)",
                                  definition="RETURNS text LANGUAGE sql AS $$ "
                                             "SELECT upper(t) $$"))
        op.drop_entity(PGView(schema="public", signature="titles",
                              definition="SELECT title FROM tickets"))
    """, message="entities", top="from alembic_utils.pg_function import PGFunction\n"
                                 "from alembic_utils.pg_view import PGView\n"),
    "c3_replace.py": h.script(C3, B2, """
        op.replace_entity(PGView(schema="public", signature="titles",
                                 definition="SELECT title, id FROM tickets"))
        op.replace_entity(PGFunction(schema="public", signature="shout(t text)",
                                     definition="RETURNS text LANGUAGE sql AS $$ "
                                                "SELECT upper(t) || '!' $$"))
    """, message="replace", top="from alembic_utils.pg_function import PGFunction\n"
                                "from alembic_utils.pg_view import PGView\n"),
}


def test_alembic_utils_entities_are_followed(pg_db: dbs.PostgresDB, tmp_path: Path) -> None:
    pytest.importorskip("alembic_utils")
    root = h.write(tmp_path, ENTITIES, ["postgresql"], f'baseline = "{C3}"\n')
    done = h.run(root, "render")
    assert done.code == 0, done.stderr
    assert "incomplete" not in done.stderr
    text = (root / h.OUT / "postgresql" / "baseline.sql").read_text()
    assert "SELECT title, id FROM tickets" in text and "upper(t) || '!'" in text
    sp.apply_ok(pg_db, root / h.OUT / "postgresql" / "baseline.sql")
    pg_db.query("INSERT INTO tickets (id, title) VALUES (7, 'jam')")
    assert pg_db.query("SELECT shout(title), id FROM titles") == [("JAM!", 7)]
    assert h.run(root, "check", "--strict").code == 0


def test_alembic_utils_statements_are_followed_both_ways() -> None:
    pytest.importorskip("alembic_utils")
    from alembic_utils.pg_function import PGFunction
    from alembic_utils.pg_view import PGView

    view = PGView(schema="public", signature="titles", definition="SELECT n FROM w")
    function = PGFunction(schema="public", signature="shout(t text, n int DEFAULT 1)",
                          definition="RETURNS text LANGUAGE sql AS $$ SELECT upper(t) $$")
    wider = PGView(schema="public", signature="titles", definition="SELECT n, id FROM w")
    schema = follow(TABLE, str(view.to_sql_statement_create()),
                    str(function.to_sql_statement_create()),
                    *(str(s) for s in wider.to_sql_statement_create_or_replace()))
    assert objects(schema) == [("view", "public", "titles", ()),
                               ("function", "public", "shout", ("text", "integer"))]
    assert only(schema, "titles").sql.endswith("SELECT n, id FROM w")
    apply_sql(schema, str(function.to_sql_statement_drop()))
    apply_sql(schema, str(view.to_sql_statement_drop(cascade=True)))
    assert schema.objects == {} and schema.incomplete == []
