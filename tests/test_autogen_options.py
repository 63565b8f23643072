"""Autogenerate with list- and dict-valued index options, nested types and types that make
their own CHECK constraint: the script compiles, applies, and a second run finds nothing."""

from __future__ import annotations

from pathlib import Path

import dbs
import pytest
import sqlalchemy as sa
import sqlc_project as sp
from sqlalchemy.dialects import postgresql
from test_autogen import HEADER, autogen, body, make_project, run, script, set_models

from sqlcompile.autogen.pycode import Imports, py_type

SELF_CHECK = "does not fully match the models"


def _settled(root: Path, rev: str) -> None:
    """Render the history, and autogenerate again: nothing left to do."""
    run(root, "render")
    assert "no differences" in autogen(root, rev).stderr


INDEXES = HEADER + '''
sa.Table("t", metadata, sa.Column("id", sa.Integer, primary_key=True),
         sa.Column("a", sa.Integer), sa.Column("b", sa.Integer),
         sa.Index("ix_t_b", "b", postgresql_include=["a"]),
         sa.Index("ix_t_a", "a", postgresql_with={"fillfactor": 70}))
'''


def test_list_and_dict_index_options(tmp_path: Path, pg_db: dbs.PostgresDB) -> None:
    root = make_project(tmp_path / "p", INDEXES)
    result = autogen(root, "0001")
    assert SELF_CHECK not in result.stderr
    upgrade = body(script(root, "0001"), "upgrade")
    assert "postgresql_include=['a']" in upgrade
    assert "postgresql_with={'fillfactor': 70}" in upgrade
    _settled(root, "0002")
    set_models(root, INDEXES.replace('["a"]', '["a", "id"]').replace("70", "50"))
    result = autogen(root, "0002")
    assert SELF_CHECK not in result.stderr
    assert "postgresql_include=['a', 'id']" in body(script(root, "0002"), "upgrade")
    _settled(root, "0003")
    files = sp.render(root, "postgresql")
    for path in files.upgrade:
        sp.apply_ok(pg_db, path)
    assert sorted(pg_db.query("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 't'"
                              " AND indexname LIKE 'ix_%'")) == [
        ("ix_t_a", "CREATE INDEX ix_t_a ON public.t USING btree (a) WITH (fillfactor='50')"),
        ("ix_t_b", "CREATE INDEX ix_t_b ON public.t USING btree (b) INCLUDE (a, id)")]
    for path in reversed(files.downgrade):
        sp.apply_ok(pg_db, path)


@pytest.mark.parametrize(("type_", "source"), [
    (postgresql.JSONB(astext_type=sa.Text()), "postgresql.JSONB(astext_type=sa.Text())"),
    (postgresql.ARRAY(sa.String(5)), "postgresql.ARRAY(sa.String(length=5))"),
    (sa.String(10, collation="C(1)"), "sa.String(length=10, collation='C(1)')"),
    (sa.Numeric(6, 2), "sa.Numeric(precision=6, scale=2)"),
])
def test_nested_types_are_written_as_importable_python(type_: sa.types.TypeEngine,
                                                       source: str) -> None:
    imports = Imports()
    assert py_type(type_, imports) == source
    namespace = {"sa": sa, "postgresql": postgresql}
    rebuilt = eval(source, namespace)  # the source is ours: it names only sa and postgresql
    assert repr(rebuilt) == repr(type_)


def test_a_nested_keyword_type_compiles_and_settles(tmp_path: Path,
                                                    pg_db: dbs.PostgresDB) -> None:
    root = make_project(tmp_path / "p", HEADER + '''
from sqlalchemy.dialects import postgresql
sa.Table("j", metadata, sa.Column("id", sa.Integer, primary_key=True),
         sa.Column("doc", postgresql.JSONB(astext_type=sa.Text())))
''')
    autogen(root, "0001")
    assert "postgresql.JSONB(astext_type=sa.Text())" in script(root, "0001")
    _settled(root, "0002")
    files = sp.render(root, "postgresql")
    sp.apply_ok(pg_db, files.upgrade[0])
    assert pg_db.query("SELECT data_type FROM information_schema.columns WHERE "
                       "table_name = 'j' AND column_name = 'doc'") == [("jsonb",)]


CHECKED_TYPES = '''
sa.Column("m", sa.Enum("a", "b", name="mood", create_constraint=True)),
sa.Column("f", sa.Boolean(create_constraint=True)),
'''


@pytest.mark.parametrize(("dialect", "db_fixture"), [("postgresql", "pg_db"),
                                                      ("sqlite", "sqlite_db"),
                                                      ("mariadb", "mariadb_db")])
def test_types_that_make_their_own_check_settle(dialect: str, db_fixture: str, tmp_path: Path,
                                                request: pytest.FixtureRequest) -> None:
    db: dbs.ScratchDB = request.getfixturevalue(db_fixture)
    first = HEADER + f'''
sa.Table("e", metadata, sa.Column("id", sa.Integer, primary_key=True), {CHECKED_TYPES})
sa.Table("later", metadata, sa.Column("id", sa.Integer, primary_key=True))
'''
    root = make_project(tmp_path / "p", first, (dialect,))
    result = autogen(root, "0001")
    assert SELF_CHECK not in result.stderr, result.stderr
    text = script(root, "0001")
    assert "create_constraint=True" in text and "CheckConstraint" not in text
    _settled(root, "0002")
    set_models(root, first.replace(
        'sa.Table("later", metadata, sa.Column("id", sa.Integer, primary_key=True))',
        'sa.Table("later", metadata, sa.Column("id", sa.Integer, primary_key=True), '
        + CHECKED_TYPES.replace('"mood"', '"mood2"').replace("\n", " ") + ")"), (dialect,))
    result = autogen(root, "0002")
    assert SELF_CHECK not in result.stderr, result.stderr
    assert "check_constraint" not in script(root, "0002")
    _settled(root, "0003")
    files = sp.render(root, dialect)
    for path in files.upgrade:
        sp.apply_ok(db, path)
    db.query("INSERT INTO later (id, m, f) VALUES (1, 'a', true)")
    if dialect != "postgresql":  # there the types themselves refuse other values
        refused = db.apply("INSERT INTO later (id, m, f) VALUES (2, 'a', 7);")
        assert refused.returncode != 0
    for path in reversed(files.downgrade):
        sp.apply_ok(db, path)
