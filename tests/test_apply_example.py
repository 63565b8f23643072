"""Render the bundled example and apply it, up and all the way down, to real databases."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import dbs
import pytest
import sqlc_project as sp

SEED_REVISION = "e6f8a2b0c1d7"
SEED_COLUMNS = ("name", "slug", "description", "order")


def seeded_tags() -> list[dict[str, Any]]:
    """The rows revision e6f8a2b0c1d7 passes to op.bulk_insert, parsed from the script."""
    (path,) = (sp.EXAMPLE_MIGRATIONS / "versions").glob(f"{SEED_REVISION}_*.py")
    calls = [
        node
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "bulk_insert"
    ]
    assert len(calls) == 1
    rows: list[dict[str, Any]] = ast.literal_eval(calls[0].args[1])
    assert len(rows) == 5 and all(set(r) == set(SEED_COLUMNS) for r in rows)
    return rows


def read_tags(db: dbs.ScratchDB) -> list[dict[str, Any]]:
    order = "`order`" if isinstance(db, dbs.MariaDB) else '"order"'
    rows = db.query(f"SELECT name, slug, description, {order} FROM tags ORDER BY {order}")
    return [dict(zip(SEED_COLUMNS, row, strict=True)) for row in rows]


def check_head(db: dbs.ScratchDB, parents: dict[str, tuple[str, ...]]) -> None:
    """The version table holds exactly the head, and the seeded rows read back exactly."""
    assert sp.version_rows(db) == sp.heads_of(parents, parents)
    expected = seeded_tags()
    found = read_tags(db)
    assert found == expected
    for got, want in zip(found, expected, strict=True):
        for column in ("name", "slug", "description"):
            assert got[column].encode("utf-8") == want[column].encode("utf-8")


def check_empty(db: dbs.ScratchDB) -> None:
    assert db.tables() == [sp.VERSION_TABLE]
    assert sp.version_rows(db) == []


DBS = [("pg_db", "postgresql"), ("sqlite_db", "sqlite"), ("mariadb_db", "mariadb"),
       ("mariadb_db", "mysql")]


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sp.copy_example(tmp_path_factory.mktemp("example"))


@pytest.mark.parametrize("db_fixture, dialect", DBS)
def test_files_up_then_down(example: Path, db_fixture: str, dialect: str,
                            request: pytest.FixtureRequest) -> None:
    db: dbs.ScratchDB = request.getfixturevalue(db_fixture)
    parents = sp.parents_by_revision(example / "migrations" / "versions")
    files = sp.render(example, dialect)
    assert len(files.upgrade) == len(parents)

    applied: list[str] = []
    for path in files.upgrade:
        sp.apply_ok(db, path)
        applied.append(sp.revision_of(path))
        assert sp.version_rows(db) == sp.heads_of(applied, parents), path.name
    assert sorted(applied) == sorted(parents)
    check_head(db, parents)

    for path in reversed(files.downgrade):
        assert sp.revision_of(path) == applied[-1]
        sp.apply_ok(db, path)
        applied.pop()
        assert sp.version_rows(db) == sp.heads_of(applied, parents), path.name
    check_empty(db)


@pytest.mark.parametrize("db_fixture, dialect", DBS)
def test_stream_up_then_down(example: Path, db_fixture: str, dialect: str,
                             request: pytest.FixtureRequest) -> None:
    db: dbs.ScratchDB = request.getfixturevalue(db_fixture)
    parents = sp.parents_by_revision(example / "migrations" / "versions")
    sp.apply_ok(db, sp.render_stream(example, dialect))
    check_head(db, parents)
    sp.apply_ok(db, sp.render_stream(example, dialect, "--downgrade"))
    check_empty(db)


@pytest.mark.parametrize("db_fixture, dialect", DBS)
def test_stream_in_ranges(example: Path, db_fixture: str, dialect: str,
                          request: pytest.FixtureRequest) -> None:
    """Streams split at the branch point and at the merge chain up and down like one stream."""
    db: dbs.ScratchDB = request.getfixturevalue(db_fixture)
    parents = sp.parents_by_revision(example / "migrations" / "versions")
    merge = next(rev for rev, ps in parents.items() if len(ps) == 2)
    (fork,) = set(parents[parents[merge][0]]) & set(parents[parents[merge][1]])
    ranges = [("--to", fork), ("--from", fork, "--to", merge), ("--from", merge)]
    for args, rows in zip(ranges, [[fork], [merge], sp.heads_of(parents, parents)], strict=True):
        sp.apply_ok(db, sp.render_stream(example, dialect, *args))
        assert sp.version_rows(db) == rows, args
    check_head(db, parents)
    ranges = [("--to", merge), ("--from", merge, "--to", fork), ("--from", fork)]
    for args, rows in zip(ranges, [[merge], [fork], []], strict=True):
        sp.apply_ok(db, sp.render_stream(example, dialect, "--downgrade", *args))
        assert sp.version_rows(db) == rows, args
    check_empty(db)
