"""Tests of the scratch-database fixtures, doubling as a smoke test of the real servers."""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import dbs
import pytest
import sqlalchemy as sa

HOSTILE = "it's \\ \\' \t tab\nnew line % %s %(name)s :name :'name' $$ $q$ ? -- /* é✓🙂"


def literal(db: dbs.ScratchDB, value: str) -> str:
    """Quote value as an SQL string literal in the dialect of db."""
    if isinstance(db, dbs.MariaDB):  # backslash is an escape character by default in MariaDB
        value = value.replace("\\", "\\\\")
    return "'" + value.replace("'", "''") + "'"


def test_hostile_literal_round_trips(any_db: dbs.ScratchDB) -> None:
    script = (
        "CREATE TABLE hostile (id INTEGER PRIMARY KEY, v TEXT);\n"
        f"INSERT INTO hostile (id, v) VALUES (1, {literal(any_db, HOSTILE)});\n"
    )
    dbs.apply_ok(any_db, script)
    assert any_db.tables() == ["hostile"]
    rows = any_db.query("SELECT v FROM hostile WHERE id = 1")
    assert rows == [(HOSTILE,)]
    assert rows[0][0].encode("utf-8") == HOSTILE.encode("utf-8")


def test_query_params(any_db: dbs.ScratchDB) -> None:
    marker = "?" if isinstance(any_db, dbs.SQLiteDB) else "%s"
    assert any_db.query(f"SELECT {marker}", [HOSTILE]) == [(HOSTILE,)]


def test_apply_accepts_a_path(any_db: dbs.ScratchDB, tmp_path: Path) -> None:
    script = tmp_path / "create.sql"
    script.write_text("CREATE TABLE from_file (id INTEGER);\n", encoding="utf-8")
    dbs.apply_ok(any_db, script)
    assert any_db.tables() == ["from_file"]


def test_failing_script_reports_and_stops(any_db: dbs.ScratchDB) -> None:
    script = (
        "CREATE TABLE before_error (id INTEGER);\n"
        "INSERT INTO no_such_table VALUES (1);\n"
        "CREATE TABLE after_error (id INTEGER);\n"
    )
    result = any_db.apply(script)
    assert result.returncode != 0
    assert "no_such_table" in result.stderr
    assert any_db.tables() == ["before_error"]  # no implicit transaction; stops at the error
    with pytest.raises(AssertionError, match="no_such_table"):
        dbs.apply_ok(any_db, "SELECT * FROM no_such_table;")


@pytest.mark.parametrize("fixture", ["pg_db", "sqlite_db"])  # MariaDB DDL commits implicitly
def test_failed_transaction_leaves_nothing(fixture: str, request: pytest.FixtureRequest) -> None:
    db: dbs.ScratchDB = request.getfixturevalue(fixture)
    script = (
        "BEGIN;\n"
        "CREATE TABLE doomed (id INTEGER);\n"
        "INSERT INTO doomed VALUES (1);\n"
        "INSERT INTO no_such_table VALUES (1);\n"
        "COMMIT;\n"
    )
    result = db.apply(script)
    assert result.returncode != 0
    assert "no_such_table" in result.stderr
    assert db.tables() == []


def test_url_works_with_sqlalchemy(any_db: dbs.ScratchDB) -> None:
    dbs.apply_ok(any_db, "CREATE TABLE via_url (id INTEGER);")
    engine = sa.create_engine(any_db.url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
            assert sa.inspect(conn).get_table_names() == ["via_url"]
    finally:
        engine.dispose()


Scratch = Callable[[Path], AbstractContextManager[dbs.ScratchDB]]
SCRATCHES: dict[str, tuple[str | None, Scratch, Callable[[str], bool]]] = {
    "postgresql": ("pg_server", lambda _: dbs.postgres_scratch(), dbs.postgres_exists),
    "mariadb": ("mariadb_server", lambda _: dbs.mariadb_scratch(), dbs.mariadb_exists),
    "sqlite": (None, dbs.sqlite_scratch, lambda name: Path(name).exists()),
}


@pytest.mark.parametrize("engine", SCRATCHES)
def test_scratch_database_is_dropped_even_on_error(
    engine: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    server, scratch, exists = SCRATCHES[engine]
    if server:
        request.getfixturevalue(server)
    with scratch(tmp_path) as first, scratch(tmp_path) as second:
        assert first.name != second.name
        assert f"_{os.getpid()}_" in Path(first.name).name
        assert exists(first.name)
        dbs.apply_ok(first, "CREATE TABLE busy (id INTEGER);")
    assert not exists(first.name)
    assert not exists(second.name)
    with pytest.raises(RuntimeError, match="test failed"), scratch(tmp_path) as db:
        db.query("SELECT 1")
        raise RuntimeError("test failed")
    assert not exists(db.name)
