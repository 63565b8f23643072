"""Extensions and sequences made by raw SQL, kept in the schema model.

A history (dify's shape) opens with `CREATE EXTENSION "uuid-ossp"` and `CREATE SEQUENCE`, and
its tables then default to `uuid_generate_v4()` and `nextval('...')`. The model keeps both
as their statements, schema.sql and baseline.sql create them before the tables (and set a
sequence's OWNED BY column after them), and the offline inspector answers `has_sequence`.
The histories are our own, shaped as real ones are.
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
from sqlcompile.sources.raw import apply_sql, new_model

PREFIX = "schema model may be incomplete after revision r1: "


def follow(*statements: str, dialect: str = "postgresql") -> Schema:
    """A model that followed each string as one `op.execute()`."""
    schema = new_model(get_dialect(dialect))
    schema.revision = "r1"
    for sql in statements:
        apply_sql(schema, sql)
    return schema


def made(schema: Schema) -> list[tuple[str, str | None, str]]:
    return [(o.kind, o.schema, o.name) for o in schema.objects.values()]


def printed(schema: Schema) -> list[str]:
    return [" ".join(s.sql.split()) for s in schema_statements(schema) if s.sql]


TABLE = ("CREATE TABLE tasks (id int DEFAULT nextval('task_id_sequence') PRIMARY KEY, "
         "uid uuid DEFAULT uuid_generate_v4())")


# -- following the statements ---------------------------------------------------------------------


def test_extensions_and_sequences_are_kept_and_printed_before_the_tables() -> None:
    schema = follow('CREATE EXTENSION IF NOT EXISTS "uuid-ossp";',
                    "CREATE SEQUENCE task_id_sequence;", TABLE,
                    "CREATE EXTENSION IF NOT EXISTS hstore WITH SCHEMA public VERSION '1.8' "
                    "CASCADE",
                    'CREATE EXTENSION IF NOT EXISTS "uuid-ossp"',
                    "CREATE SEQUENCE IF NOT EXISTS public.other AS bigint START 10 INCREMENT 5 "
                    "NO CYCLE",
                    "CREATE SEQUENCE IF NOT EXISTS other START 99",
                    "CREATE TEMP SEQUENCE scratch")
    assert made(schema) == [("extension", None, "uuid-ossp"),
                            ("sequence", None, "task_id_sequence"),
                            ("extension", None, "hstore"), ("sequence", "public", "other")]
    assert schema.incomplete == []
    out = printed(schema)
    assert out[:4] == [
        'CREATE EXTENSION IF NOT EXISTS "uuid-ossp"',
        "CREATE EXTENSION IF NOT EXISTS hstore WITH SCHEMA public VERSION '1.8' CASCADE",
        "CREATE SEQUENCE task_id_sequence",
        "CREATE SEQUENCE IF NOT EXISTS public.other AS bigint START 10 INCREMENT 5 NO CYCLE"]
    assert out[4].startswith("CREATE TABLE tasks") and len(out) == 5
    comments = [s.comments for s in schema_statements(schema) if s.sql]
    assert comments[:3] == [["extension uuid-ossp"], ["extension hstore"],
                            ["sequence task_id_sequence"]]
    # Made twice without IF NOT EXISTS: the server refuses the second.
    again = follow("CREATE SEQUENCE s", "CREATE SEQUENCE S", "CREATE EXTENSION citext",
                   "CREATE EXTENSION citext")
    assert again.incomplete == [PREFIX + "CREATE SEQUENCE s: the model already has it",
                                PREFIX + "CREATE EXTENSION citext: the model already has it"]


def test_alter_sequence_is_kept_in_order_and_owned_by_is_set_after_the_tables() -> None:
    schema = follow("CREATE SEQUENCE task_id_sequence START 5", TABLE,
                    "ALTER SEQUENCE task_id_sequence RESTART WITH 1000",
                    "ALTER SEQUENCE IF EXISTS task_id_sequence INCREMENT BY 2 OWNED BY tasks.id",
                    "ALTER SEQUENCE task_id_sequence OWNER TO postgres")
    [item] = schema.objects.values()
    assert item.alters == ("RESTART WITH 1000", "INCREMENT BY 2", "OWNER TO postgres")
    assert item.owned_by == (None, "tasks", "id")
    out = printed(schema)
    assert out[:4] == ["CREATE SEQUENCE task_id_sequence START 5",
                       "ALTER SEQUENCE task_id_sequence RESTART WITH 1000",
                       "ALTER SEQUENCE task_id_sequence INCREMENT BY 2",
                       "ALTER SEQUENCE task_id_sequence OWNER TO postgres"]
    assert out[4].startswith("CREATE TABLE tasks")
    assert out[5:] == ["ALTER SEQUENCE task_id_sequence OWNED BY tasks.id"]
    apply_sql(schema, "ALTER SEQUENCE task_id_sequence OWNED BY NONE")
    assert [*schema.objects.values()][0].owned_by is None
    # OWNED BY in the CREATE is set after the tables too: the table may come later.
    inline = follow("CREATE SEQUENCE n OWNED BY public.tasks.id START 3", TABLE)
    assert printed(inline)[0] == "CREATE SEQUENCE n START 3"
    assert printed(inline)[-1] == "ALTER SEQUENCE n OWNED BY public.tasks.id"
    assert schema.incomplete == [] and inline.incomplete == []


def test_a_table_takes_its_owned_sequences_along_and_keeps_them_on_a_rename() -> None:
    sql = ("CREATE SEQUENCE s", "CREATE TABLE t (id int DEFAULT nextval('s'), n int)",
           "ALTER SEQUENCE s OWNED BY t.id")
    renamed = follow(*sql, "ALTER TABLE t RENAME TO u")
    assert [o.owned_by for o in renamed.objects.values()] == [(None, "u", "id")]
    assert printed(renamed)[-1] == "ALTER SEQUENCE s OWNED BY u.id"
    dropped = follow(*sql, "DROP TABLE t")
    assert dropped.objects == {}
    assert renamed.incomplete == [] and dropped.incomplete == []
    column = follow(*sql, "ALTER TABLE t DROP COLUMN id")
    assert column.objects == {}
    assert column.incomplete == [
        PREFIX + "column id of t was dropped or renamed, and sequence s is OWNED BY it; the "
        "model no longer holds it"]


def test_renaming_a_sequence_renames_it_in_the_defaults_calling_it() -> None:
    schema = follow("CREATE SEQUENCE public.s", "CREATE SEQUENCE other",
                    "CREATE TABLE t (id int DEFAULT nextval('public.s'::regclass), "
                    "n int DEFAULT nextval('other'), k int DEFAULT nextval('s'))",
                    'ALTER SEQUENCE s RENAME TO "Next"')
    assert made(schema) == [("sequence", "public", "Next"), ("sequence", None, "other")]
    assert printed(schema)[0] == 'CREATE SEQUENCE public."Next"'
    defaults = [c.default for c in schema.tables[(None, "t")].columns]
    assert defaults == ["NEXTVAL(CAST('public.\"Next\"' AS REGCLASS))", "NEXTVAL('other')",
                        "NEXTVAL('\"Next\"')"]
    assert schema.incomplete == []


def test_drops_follow_what_the_server_refuses() -> None:
    sql = ('CREATE EXTENSION "uuid-ossp"', "CREATE SEQUENCE s", "CREATE SEQUENCE unused",
           "CREATE TABLE t (id int DEFAULT nextval('s'))")
    schema = follow(*sql, "DROP SEQUENCE IF EXISTS unused, nothing",
                    'DROP EXTENSION IF EXISTS "uuid-ossp", hstore RESTRICT')
    assert made(schema) == [("sequence", None, "s")] and schema.incomplete == []
    refused = follow(*sql, "DROP SEQUENCE s")
    assert ("sequence", None, "s") in made(refused)
    assert refused.incomplete == [PREFIX + "DROP SEQUENCE s: table t name(s) it, so the "
                                  "database may refuse to drop it without CASCADE"]
    cascaded = follow(*sql, "DROP SEQUENCE s CASCADE", 'DROP EXTENSION "uuid-ossp" CASCADE')
    assert made(cascaded) == [("sequence", None, "unused")]
    assert cascaded.incomplete == [
        PREFIX + "DROP SEQUENCE s CASCADE: table t name(s) it, and the model cannot tell what "
        "the database drops along",
        PREFIX + "DROP EXTENSION uuid-ossp CASCADE: the model cannot tell what uses the "
        "extension's functions and types, which the database drops along"]
    missing = follow("DROP SEQUENCE gone")
    assert missing.incomplete == [PREFIX + "DROP SEQUENCE gone: the model has no such sequence"]


@pytest.mark.parametrize("sql", [
    "ALTER SEQUENCE t_id_seq RESTART WITH 100",  # a SERIAL column's: not in the model
    "ALTER SEQUENCE s SET SCHEMA other",
    "ALTER EXTENSION hstore UPDATE TO '1.8'",
    "CREATE EXTENSION hstore FROM unpackaged",
])
def test_what_is_not_followed_still_marks_the_model(sql: str) -> None:
    schema = follow("CREATE SEQUENCE s", sql)
    assert len(schema.incomplete) == 1
    assert schema.incomplete[0].startswith(PREFIX + "raw SQL the model does not follow")


def test_other_dialects() -> None:
    for dialect in ("mariadb", "mssql", "oracle"):
        schema = follow("CREATE SEQUENCE s START WITH 7 INCREMENT BY 1",
                        "ALTER SEQUENCE s RESTART WITH 9", dialect=dialect)
        assert made(schema) == [("sequence", None, "s")] and schema.incomplete == []
        assert printed(schema) == ["CREATE SEQUENCE s START WITH 7 INCREMENT BY 1",
                                   "ALTER SEQUENCE s RESTART WITH 9"]
        apply_sql(schema, "DROP SEQUENCE s")
        assert schema.objects == {} and schema.incomplete == []
    # OWNED BY and extensions are PostgreSQL's; MySQL and SQLite have no sequences.
    for dialect, sql in (("mariadb", "CREATE EXTENSION hstore"),
                         ("mariadb", "CREATE SEQUENCE s OWNED BY t.id"),
                         ("mysql", "CREATE SEQUENCE s"), ("sqlite", "CREATE SEQUENCE s")):
        schema = follow(sql, dialect=dialect)
        assert schema.objects == {}
        assert schema.incomplete == [PREFIX + f"raw SQL the model does not follow: {sql}"]


def test_sqlalchemy_sequences_reach_the_model_and_the_offline_inspector(tmp_path: Path) -> None:
    body = """
        bind = op.get_bind()
        assert not sa.inspect(bind).has_sequence("s")
        for _ in range(2):
            sa.Sequence("s", start=3).create(bind, checkfirst=True)
        op.execute(sa.schema.CreateSequence(sa.Sequence("t", schema="public")))
        insp = sa.inspect(bind)
        assert insp.has_sequence("s") and insp.has_sequence("t", schema="public")
        assert insp.get_sequence_names() == ["s", "t"]
        assert insp.get_sequence_names(schema="other") == []
        op.execute(sa.schema.DropSequence(sa.Sequence("s")))
        assert not sa.inspect(bind).has_sequence("s")
    """
    root = h.write(tmp_path, {"a1.py": h.script(A1, None, body)}, ["postgresql"])
    done = h.run(root, "render")
    assert done.code == 0, done.stderr
    [upgrade] = upgrades(root)
    text = upgrade.read_text()
    assert text.count("CREATE SEQUENCE s START WITH 3;") == 1
    assert "CREATE SEQUENCE public.t;" in text and "DROP SEQUENCE s;" in text
    schema_sql = (root / h.OUT / "postgresql" / "schema.sql").read_text()
    assert "CREATE SEQUENCE public.t;" in schema_sql and "SEQUENCE s " not in schema_sql
    assert h.run(root, "check", "--strict").code == 0


# -- whole histories on real servers --------------------------------------------------------------

A1, B2, C3 = "a1a1a1a1a1a1", "b2b2b2b2b2b2", "c3c3c3c3c3c3"

#: dify's shape: the first revision makes the extension and a sequence the tables default to;
#: later ones own, restart and rename sequences.
DIFY = {
    "a1_init.py": h.script(A1, None, """
        op.execute('CREATE EXTENSION IF NOT EXISTS "uuid-ossp";')
        op.execute('CREATE SEQUENCE task_id_sequence;')
        op.create_table(
            "tasks",
            sa.Column("id", sa.Integer, server_default=sa.text("nextval('task_id_sequence')"),
                      primary_key=True),
            sa.Column("uid", sa.Uuid, server_default=sa.text("uuid_generate_v4()"),
                      nullable=False))
    """, """
        op.drop_table("tasks")
        op.execute("DROP SEQUENCE task_id_sequence")
        op.execute('DROP EXTENSION "uuid-ossp"')
    """, message="init"),
    "b2_runs.py": h.script(B2, A1, """
        op.execute("ALTER SEQUENCE task_id_sequence OWNED BY tasks.id")
        op.execute("ALTER SEQUENCE task_id_sequence RESTART WITH 1000")
        op.create_table(
            "runs",
            sa.Column("id", sa.Uuid, server_default=sa.text("uuid_generate_v4()"),
                      primary_key=True),
            sa.Column("task_id", sa.Integer, sa.ForeignKey("tasks.id")))
    """, """
        op.drop_table("runs")
        op.execute("ALTER SEQUENCE task_id_sequence OWNED BY NONE")
    """, message="runs"),
    "c3_numbers.py": h.script(C3, B2, """
        op.execute("CREATE SEQUENCE IF NOT EXISTS run_no START 10 INCREMENT 5")
        op.add_column("runs", sa.Column("no", sa.BigInteger,
                                        server_default=sa.text("nextval('run_no'::regclass)")))
        op.execute("ALTER SEQUENCE run_no RENAME TO run_number")
    """, """
        op.drop_column("runs", "no")
        op.execute("DROP SEQUENCE run_number")
    """, message="numbers"),
}


def catalog(db: dbs.PostgresDB) -> dict[str, Any]:
    """The extensions, sequences (with their options and owners) and tables of ``db``."""
    return {
        "extensions": db.query("SELECT extname FROM pg_extension ORDER BY 1"),
        "sequences": db.query(
            "SELECT sequencename, data_type::text, start_value, increment_by, last_value "
            "FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1"),
        "owned": db.query(
            "SELECT s.relname, t.relname, a.attname FROM pg_depend d "
            "JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' "
            "JOIN pg_class t ON t.oid = d.refobjid "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid "
            "WHERE d.deptype = 'a' ORDER BY 1"),
        "snapshot": sp.snapshot(db),
    }


def upgrades(root: Path) -> list[Path]:
    return sorted((root / h.OUT / "postgresql" / "upgrade").glob("*.sql"))


def use(db: dbs.PostgresDB) -> None:
    """Rows taking every default (uuids differ: only their count is compared)."""
    db.query("INSERT INTO tasks DEFAULT VALUES")
    db.query("INSERT INTO runs (task_id) SELECT id FROM tasks")
    db.query("UPDATE runs SET id = '00000000-0000-0000-0000-000000000000'")
    db.query("UPDATE tasks SET uid = '00000000-0000-0000-0000-000000000000'")


@pytest.mark.parametrize("baseline", [A1, B2])
def test_dify_baseline_applies_and_equals_the_whole_history(
        pg_db: dbs.PostgresDB, tmp_path: Path, baseline: str) -> None:
    adopted = h.write(tmp_path / "adopted", DIFY, ["postgresql"], f'baseline = "{baseline}"\n')
    done = h.run(adopted, "render")
    assert done.code == 0, done.stderr
    assert "incomplete" not in done.stderr
    text = (adopted / h.OUT / "postgresql" / "baseline.sql").read_text()
    assert (text.index('CREATE EXTENSION IF NOT EXISTS "uuid-ossp"')
            < text.index("CREATE SEQUENCE task_id_sequence") < text.index("CREATE TABLE tasks"))
    assert "warning" not in text.split("\n\n")[0]
    sp.apply_ok(pg_db, adopted / h.OUT / "postgresql" / "baseline.sql")
    for path in upgrades(adopted):
        sp.apply_ok(pg_db, path)
    use(pg_db)
    assert pg_db.query("SELECT id FROM tasks") == [(1000,)]
    assert pg_db.query("SELECT no FROM runs") == [(10,)]
    whole = h.write(tmp_path / "whole", DIFY, ["postgresql"])
    assert h.run(whole, "render").code == 0
    with dbs.postgres_scratch() as reference:
        for path in upgrades(whole):
            sp.apply_ok(reference, path)
        use(reference)
        assert catalog(pg_db) == catalog(reference)
    strict = h.run(adopted, "check", "--strict")
    assert strict.code == 0, strict.stderr
    # schema.sql at the head builds the same database.
    with dbs.postgres_scratch() as printed_db:
        sp.apply_ok(printed_db, whole / h.OUT / "postgresql" / "schema.sql")
        use(printed_db)
        found, expected = catalog(printed_db), catalog(pg_db)
        version = sp.VERSION_TABLE  # schema.sql has no version table
        expected["snapshot"]["tables"].remove(version)
        expected["snapshot"]["data"].pop(version)
        expected["snapshot"]["schema"] = [row for row in expected["snapshot"]["schema"]
                                          if version not in row[0]]
        assert found == expected


def test_dropped_sequences_and_extensions_leave_schema_sql(pg_db: dbs.PostgresDB,
                                                          tmp_path: Path) -> None:
    later = h.script("d4d4d4d4d4d4", C3, """
        op.drop_table("runs")
        op.drop_table("tasks")
        op.execute("DROP SEQUENCE IF EXISTS task_id_sequence")
        op.execute('DROP EXTENSION "uuid-ossp"')
    """, message="drop")
    root = h.write(tmp_path, {**DIFY, "d4_drop.py": later}, ["postgresql"])
    done = h.run(root, "render")
    assert done.code == 0 and "incomplete" not in done.stderr, done.stderr
    text = (root / h.OUT / "postgresql" / "schema.sql").read_text()
    assert "run_number" in text
    assert "uuid-ossp" not in text and "task_id_sequence" not in text
    for path in upgrades(root):
        sp.apply_ok(pg_db, path)
    assert pg_db.query("SELECT extname FROM pg_extension WHERE extname = 'uuid-ossp'") == []
    assert pg_db.query("SELECT sequencename FROM pg_sequences") == [("run_number",)]
    assert h.run(root, "check", "--strict").code == 0


def test_mariadb_sequence_before_the_table_defaulting_to_it(mariadb_db: dbs.MariaDB,
                                                           tmp_path: Path) -> None:
    scripts = {"a1_seq.py": h.script(A1, None, """
        op.execute("CREATE SEQUENCE ticket_no START WITH 7 INCREMENT BY 1")
        op.create_table("tickets", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("no", sa.BigInteger,
                                  server_default=sa.text("nextval(ticket_no)")))
        op.execute("ALTER SEQUENCE ticket_no RESTART WITH 40")
    """, message="seq")}
    root = h.write(tmp_path, scripts, ["mariadb"])
    done = h.run(root, "render")
    assert done.code == 0 and "incomplete" not in done.stderr, done.stderr
    sp.apply_ok(mariadb_db, root / h.OUT / "mariadb" / "schema.sql")
    mariadb_db.query("INSERT INTO tickets (id) VALUES (1)")
    assert mariadb_db.query("SELECT no FROM tickets") == [(40,)]
