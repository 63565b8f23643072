"""Scratch databases on the real PostgreSQL, MariaDB and SQLite engines, for tests."""

from __future__ import annotations

import itertools
import os
import secrets
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import psycopg
import pymysql
from psycopg import sql as pgsql

PG_HOST, PG_PORT, PG_USER, PG_ADMIN_DB = "127.0.0.1", 5432, "root", "postgres"
MY_HOST, MY_PORT, MY_USER, MY_PASSWORD, MY_ADMIN_DB = "127.0.0.1", 3306, "root", "", "test"
CONNECT_TIMEOUT = 3  # seconds, for the reachability checks and every driver connection
APPLY_TIMEOUT = 300  # seconds a client may take to apply one script
PG_START = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
MY_START = "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd"

SqlSource = str | os.PathLike[str]  # a str is SQL text; a path names a file of SQL
_counter = itertools.count(1)


def unique_name() -> str:
    """Return a database name unique to this process, call and random suffix."""
    return f"sqlc_{os.getpid()}_{next(_counter)}_{secrets.token_hex(3)}"


@dataclass(frozen=True)
class ApplyResult:
    """Outcome of applying one SQL script: exit status and captured output."""

    returncode: int
    stdout: str
    stderr: str

    @classmethod
    def from_process(cls, proc: subprocess.CompletedProcess[bytes]) -> ApplyResult:
        """Convert a finished client process, decoding its output as UTF-8."""
        out, err = (b.decode("utf-8", "replace") for b in (proc.stdout, proc.stderr))
        return cls(proc.returncode, out, err)


class ScratchDB(Protocol):
    """What every scratch database offers, whatever the engine."""

    name: str

    @property
    def url(self) -> str: ...
    def apply(self, sql: SqlSource) -> ApplyResult: ...
    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]: ...
    def tables(self) -> list[str]: ...


def apply_ok(db: ScratchDB, sql: SqlSource) -> ApplyResult:
    """Apply a script and assert that it succeeded, showing the client's stderr if not."""
    result = db.apply(sql)
    assert result.returncode == 0, f"applying SQL to {db.name} failed:\n{result.stderr}"
    return result


def _read_bytes(sql: SqlSource) -> bytes:
    """SQL as the bytes a client reads: text encoded as UTF-8, a file as it is on disk."""
    return sql.encode("utf-8") if isinstance(sql, str) else Path(sql).read_bytes()


def _run(
    argv: list[str], stdin: bytes | None = None, env: dict[str, str] | None = None
) -> ApplyResult:
    """Run a command-line client to completion and capture its output."""
    env = {**os.environ, **(env or {})}
    proc = subprocess.run(argv, input=stdin, capture_output=True, timeout=APPLY_TIMEOUT, env=env)
    return ApplyResult.from_process(proc)


# --- PostgreSQL ---------------------------------------------------------------------------------


def _pg_connect(dbname: str) -> psycopg.Connection[Any]:
    """Connect to a PostgreSQL database as the test superuser, in autocommit mode."""
    return psycopg.connect(
        host=PG_HOST,
        port=PG_PORT,
        user=PG_USER,
        dbname=dbname,
        connect_timeout=CONNECT_TIMEOUT,
        autocommit=True,
    )


def postgres_unreachable() -> str | None:
    """Return why PostgreSQL cannot be used, or None when it answers."""
    try:
        _pg_connect(PG_ADMIN_DB).close()
    except psycopg.Error as exc:
        err = " ".join(str(exc).split())
        return f"PostgreSQL not reachable at {PG_HOST}:{PG_PORT} ({err}); start it with {PG_START}"
    return None


@dataclass
class PostgresDB:
    """A scratch PostgreSQL database."""

    name: str

    @property
    def url(self) -> str:
        """SQLAlchemy URL of this database."""
        return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{self.name}"

    def apply(self, sql: SqlSource) -> ApplyResult:
        """Apply a script with psql, stopping at the first error."""
        argv = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", PG_HOST, "-p", str(PG_PORT)]
        argv += ["-U", PG_USER, "-d", self.name, "-f"]
        env = {"PGCLIENTENCODING": "UTF8", "PGCONNECT_TIMEOUT": str(CONNECT_TIMEOUT)}
        if not isinstance(sql, str):
            return _run([*argv, os.fspath(sql)], env=env)
        with tempfile.TemporaryDirectory(prefix="sqlc_") as tmp:
            path = Path(tmp, "script.sql")
            path.write_text(sql, encoding="utf-8")
            return _run([*argv, str(path)], env=env)

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement through psycopg (autocommit) and return its rows."""
        with _pg_connect(self.name) as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def tables(self) -> list[str]:
        """Sorted names of the tables in schema public."""
        rows = self.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return sorted(r[0] for r in rows)


def postgres_exists(name: str) -> bool:
    """Tell whether a PostgreSQL database of this name exists."""
    with _pg_connect(PG_ADMIN_DB) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


@contextmanager
def postgres_scratch() -> Iterator[PostgresDB]:
    """Create a scratch PostgreSQL database and always drop it afterwards."""
    name = unique_name()
    ident = pgsql.Identifier(name)
    with _pg_connect(PG_ADMIN_DB) as conn:
        create = "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'"
        conn.execute(pgsql.SQL(create).format(ident))
    try:
        yield PostgresDB(name)
    finally:
        with _pg_connect(PG_ADMIN_DB) as conn:
            conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))


# --- MariaDB ------------------------------------------------------------------------------------


def _my_connect(database: str) -> pymysql.connections.Connection:
    """Connect to a MariaDB database as root, in utf8mb4 and autocommit mode."""
    return pymysql.connect(
        host=MY_HOST,
        port=MY_PORT,
        user=MY_USER,
        password=MY_PASSWORD,
        database=database,
        charset="utf8mb4",
        autocommit=True,
        connect_timeout=CONNECT_TIMEOUT,
    )


def mariadb_unreachable() -> str | None:
    """Return why MariaDB cannot be used, or None when it answers."""
    try:
        _my_connect(MY_ADMIN_DB).close()
    except pymysql.MySQLError as exc:
        err = " ".join(str(exc).split())
        return f"MariaDB not reachable at {MY_HOST}:{MY_PORT} ({err}); start it with {MY_START}"
    return None


@dataclass
class MariaDB:
    """A scratch MariaDB database."""

    name: str

    @property
    def url(self) -> str:
        """SQLAlchemy URL of this database."""
        return f"mysql+pymysql://{MY_USER}@{MY_HOST}:{MY_PORT}/{self.name}?charset=utf8mb4"

    def apply(self, sql: SqlSource) -> ApplyResult:
        """Apply a script by feeding it to the mariadb client, which stops at the first error."""
        argv = ["mariadb", "-h", MY_HOST, "-P", str(MY_PORT), "-u", MY_USER]
        argv += [f"--connect-timeout={CONNECT_TIMEOUT}", "--default-character-set=utf8mb4"]
        if MY_PASSWORD:
            argv.append(f"--password={MY_PASSWORD}")
        return _run([*argv, self.name], stdin=_read_bytes(sql))

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement through pymysql (autocommit) and return its rows."""
        with closing(_my_connect(self.name)) as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall()) if cur.description else []

    def tables(self) -> list[str]:
        """Sorted names of the base tables in this database."""
        rows = self.query(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = %s AND table_type = 'BASE TABLE'",
            [self.name],
        )
        return sorted(r[0] for r in rows)


def mariadb_exists(name: str) -> bool:
    """Tell whether a MariaDB database of this name exists."""
    with closing(_my_connect(MY_ADMIN_DB)) as conn, conn.cursor() as cur:
        return bool(cur.execute("SHOW DATABASES LIKE %s", [name]))


@contextmanager
def mariadb_scratch() -> Iterator[MariaDB]:
    """Create a scratch MariaDB database and always drop it afterwards."""
    name = unique_name()  # only [a-z0-9_]: safe between backticks
    with closing(_my_connect(MY_ADMIN_DB)) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        yield MariaDB(name)
    finally:
        with closing(_my_connect(MY_ADMIN_DB)) as conn, conn.cursor() as cur:
            cur.execute("SET SESSION lock_wait_timeout = 30")
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


# --- SQLite -------------------------------------------------------------------------------------


@dataclass
class SQLiteDB:
    """A scratch SQLite database file; name is its absolute path."""

    name: str

    @property
    def url(self) -> str:
        """SQLAlchemy URL of this database."""
        return f"sqlite:///{self.name}"

    def apply(self, sql: SqlSource) -> ApplyResult:
        """Apply a script as the README says: `sqlite3 -bail DB < FILE` (the shell stops at the
        first error; an open transaction is rolled back when it exits)."""
        return _run(["sqlite3", "-bail", self.name], stdin=_read_bytes(sql))

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement through sqlite3 (autocommit) and return its rows."""
        with closing(sqlite3.connect(self.name, isolation_level=None)) as conn:
            cur = conn.execute(sql, params or ())
            return cur.fetchall() if cur.description else []

    def tables(self) -> list[str]:
        """Sorted names of the user tables (not sqlite_*)."""
        rows = self.query(
            "SELECT name FROM sqlite_master"
            " WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        )
        return sorted(r[0] for r in rows)


@contextmanager
def sqlite_scratch(directory: Path) -> Iterator[SQLiteDB]:
    """Create a scratch SQLite file under directory and always delete it afterwards."""
    path = Path(directory, unique_name() + ".sqlite3").resolve()
    sqlite3.connect(path).close()
    try:
        yield SQLiteDB(str(path))
    finally:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextmanager
def scratch(engine: str, directory: Path) -> Iterator[ScratchDB]:
    """A fresh database of ``engine`` ("postgresql", "mariadb" or "sqlite", the SQLite file
    under ``directory``), dropped after."""
    if engine == "postgresql":
        with postgres_scratch() as pg:
            yield pg
    elif engine == "mariadb":
        with mariadb_scratch() as maria:
            yield maria
    else:
        with sqlite_scratch(directory) as lite:
            yield lite

