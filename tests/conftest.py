"""Shared fixtures: scratch databases on real PostgreSQL, MariaDB and SQLite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import dbs
import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Always list skip reasons in the summary, even if addopts lost its -ra."""
    chars = config.option.reportchars
    if not any(c in chars for c in "saA"):
        config.option.reportchars = chars + "s"


def _require(unreachable: str | None) -> None:
    """Skip (or, when CI=true, fail) the requesting test if the server is unusable."""
    if unreachable is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{unreachable} [CI=true: a missing server is an error]", pytrace=False)
    pytest.skip(unreachable)


@pytest.fixture(scope="session")
def pg_server() -> None:
    """Check once per session that PostgreSQL answers; skip or fail otherwise."""
    _require(dbs.postgres_unreachable())


@pytest.fixture(scope="session")
def mariadb_server() -> None:
    """Check once per session that MariaDB answers; skip or fail otherwise."""
    _require(dbs.mariadb_unreachable())


@pytest.fixture
def pg_db(pg_server: None) -> Iterator[dbs.PostgresDB]:
    """A fresh PostgreSQL database, dropped WITH (FORCE) after the test."""
    with dbs.postgres_scratch() as db:
        yield db


@pytest.fixture
def mariadb_db(mariadb_server: None) -> Iterator[dbs.MariaDB]:
    """A fresh MariaDB database, dropped after the test."""
    with dbs.mariadb_scratch() as db:
        yield db


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[dbs.SQLiteDB]:
    """A fresh SQLite database file, deleted after the test."""
    with dbs.sqlite_scratch(tmp_path) as db:
        yield db


@pytest.fixture(params=["pg_db", "mariadb_db", "sqlite_db"])
def any_db(request: pytest.FixtureRequest) -> dbs.ScratchDB:
    """Each of pg_db, mariadb_db and sqlite_db in turn."""
    db: dbs.ScratchDB = request.getfixturevalue(request.param)
    return db
