"""The guard: a file applied out of order fails and changes nothing, on real databases.

Uses the bundled example history (rendered into a temporary folder): 0001 users, 0002
authors/books, 0003 orders, then a branch 0004 (reviews) / 0005 (tags) and the merge 0006.
"""

from __future__ import annotations

from pathlib import Path

import dbs
import pytest
import sqlc_project as sp

DBS = [("pg_db", "postgresql"), ("sqlite_db", "sqlite")]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, sp.Rendered]:
    root = sp.copy_example(tmp_path_factory.mktemp("guard"))
    return {dialect: sp.render(root, dialect) for dialect in sp.DIALECTS}


@pytest.fixture(params=DBS, ids=[d for _, d in DBS])
def target(request: pytest.FixtureRequest,
           rendered: dict[str, sp.Rendered]) -> tuple[dbs.ScratchDB, sp.Rendered]:
    """A fresh database and the example's files for its dialect."""
    fixture, dialect = request.param
    db: dbs.ScratchDB = request.getfixturevalue(fixture)
    return db, rendered[dialect]


def up(files: sp.Rendered, n: int) -> Path:
    """The upgrade file numbered n (1-based)."""
    return files.upgrade[n - 1]


def down(files: sp.Rendered, n: int) -> Path:
    return files.downgrade[n - 1]


def apply_up_to(db: dbs.ScratchDB, files: sp.Rendered, n: int) -> None:
    for path in files.upgrade[:n]:
        sp.apply_ok(db, path)


def assert_refused(db: dbs.ScratchDB, path: Path, expected: list[str]) -> None:
    """Applying ``path`` fails with the guard's message, and the database is unchanged."""
    before = sp.snapshot(db)
    result = sp.apply(db, path)
    assert result.returncode != 0, f"{path.name} was applied out of order"
    assert "sqlcompile guard" in result.stderr
    wanted = ", ".join(expected) if expected else "no revision (empty)"
    assert f"expects the version table to hold [{wanted}]" in result.stderr
    assert sp.revision_of(path) in result.stderr
    assert sp.snapshot(db) == before


def test_second_file_on_empty_database_leaves_no_tables(
    target: tuple[dbs.ScratchDB, sp.Rendered],
) -> None:
    db, files = target
    result = sp.apply(db, up(files, 2))
    assert result.returncode != 0
    assert "sqlcompile guard" in result.stderr
    assert sp.revision_of(up(files, 1)) in result.stderr  # the revision it expected
    assert db.tables() == []  # not even the version table: it was created in the transaction


def test_first_file_twice(target: tuple[dbs.ScratchDB, sp.Rendered]) -> None:
    db, files = target
    sp.apply_ok(db, up(files, 1))
    assert sp.version_rows(db) == [sp.revision_of(up(files, 1))]
    assert_refused(db, up(files, 1), [])


def test_skipping_a_revision(target: tuple[dbs.ScratchDB, sp.Rendered]) -> None:
    db, files = target
    apply_up_to(db, files, 1)
    assert_refused(db, up(files, 3), [sp.revision_of(up(files, 2))])


@pytest.mark.parametrize("at", [1, 2])
def test_downgrade_of_a_revision_not_applied(
    target: tuple[dbs.ScratchDB, sp.Rendered], at: int
) -> None:
    db, files = target
    apply_up_to(db, files, at)
    assert_refused(db, down(files, at + 1), [sp.revision_of(up(files, at + 1))])


def test_downgrade_on_empty_database(target: tuple[dbs.ScratchDB, sp.Rendered]) -> None:
    db, files = target
    result = sp.apply(db, down(files, 1))
    assert result.returncode != 0
    assert "sqlcompile guard" in result.stderr
    assert db.tables() == []


def test_branch_and_merge_keep_one_row_per_head(
    target: tuple[dbs.ScratchDB, sp.Rendered],
) -> None:
    db, files = target
    parents = sp.parents_by_revision(sp.EXAMPLE_MIGRATIONS / "versions")
    revs = [sp.revision_of(p) for p in files.upgrade]
    orders, reviews, tags, merge = revs[2:6]
    # the example's shape, which the checks below rely on
    assert parents[reviews] == (orders,) and parents[tags] == (orders,)
    assert sorted(parents[merge]) == sorted([reviews, tags])

    apply_up_to(db, files, 4)
    assert sp.version_rows(db) == [reviews]
    assert_refused(db, up(files, 6), sorted([reviews, tags]))  # merge needs both branches
    sp.apply_ok(db, up(files, 5))
    assert sp.version_rows(db) == sorted([reviews, tags])
    assert_refused(db, up(files, 5), [reviews])  # tags again: its guard wants reviews alone
    assert_refused(db, up(files, 7), [merge])  # past the merge before the merge
    sp.apply_ok(db, up(files, 6))
    assert sp.version_rows(db) == [merge]

    assert_refused(db, down(files, 5), sorted([reviews, tags]))  # unmerge first
    sp.apply_ok(db, down(files, 6))
    assert sp.version_rows(db) == sorted([reviews, tags])
    sp.apply_ok(db, down(files, 5))
    assert sp.version_rows(db) == [reviews]
    sp.apply_ok(db, down(files, 4))
    assert sp.version_rows(db) == [orders]
