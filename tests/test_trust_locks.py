"""Concurrent applies are serialised, and a file stops on error even without the client's flag.

Two real clients apply files of one history to one database at the same time: an upgrade and a
downgrade that both expect [a1], or the same data migration twice. The first holds the
migration lock while it sleeps in the middle of its changes; the second waits for the lock and
then its guard refuses it. Exactly one applies, and the schema agrees with the version table.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import dbs
import pytest
import sqlc_project as sp

A1, B2 = "a1a1a1a1a1a1", "b2b2b2b2b2b2"
DIALECT_OF = {"pg_db": "postgresql", "mariadb_db": "mariadb", "sqlite_db": "sqlite"}
HOLD = 3  # seconds the first file sleeps while it holds the lock
# Something slow for each engine: SQLite has no sleep, so it counts a long series.
SLOW = (
    "{'postgresql': 'SELECT pg_sleep(%(s)d)', 'mariadb': 'SELECT SLEEP(%(s)d)',"
    " 'sqlite': 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c"
    " WHERE x < %(n)d) SELECT count(*) FROM c'}"
)

HEAD = '''"""{message}"""
from alembic import op
import sqlalchemy as sa

revision = {revision!r}
down_revision = {down!r}
branch_labels = None
depends_on = None
SLOW = {slow}


def slow():
    name = op.get_context().dialect.name
    op.execute(SLOW[name] % {{"s": {hold}, "n": 4000000 * {hold}}})

'''

FIRST = '''
def upgrade():
    op.create_table("t", sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                    sa.Column("v", sa.String(20)))


def downgrade():
    slow()
    op.drop_table("t")
'''

SECOND = '''
def upgrade():
    op.add_column("t", sa.Column("w", sa.Integer))
    slow()
    t = sa.table("t", sa.column("id", sa.Integer), sa.column("v", sa.String))
    op.bulk_insert(t, [{"id": 1, "v": "once"}])


def downgrade():
    op.execute("DELETE FROM t")
    op.drop_column("t", "w")
'''


def history(root: Path, dialect: str, extra_config: str = "") -> sp.Rendered:
    scripts = {
        f"{A1}_first.py": HEAD.format(message="first", revision=A1, down=None, slow=SLOW,
                                      hold=HOLD) + FIRST,
        f"{B2}_second.py": HEAD.format(message="second", revision=B2, down=A1, slow=SLOW,
                                       hold=HOLD) + SECOND,
    }
    sp.write_history(root, scripts)
    config = sp.write_config(root, [dialect])
    if extra_config:
        config.write_text(config.read_text(encoding="utf-8") + extra_config, encoding="utf-8")
    return sp.render(root, dialect)


@pytest.fixture(params=list(DIALECT_OF))
def engine(request: pytest.FixtureRequest) -> tuple[dbs.ScratchDB, str]:
    db: dbs.ScratchDB = request.getfixturevalue(request.param)
    return db, DIALECT_OF[request.param]


def columns(db: dbs.ScratchDB) -> list[str]:
    if isinstance(db, dbs.SQLiteDB):
        return sorted(r[1] for r in db.query("SELECT * FROM pragma_table_info('t')"))
    schema = db.name if isinstance(db, dbs.MariaDB) else "public"
    return sorted(r[0] for r in db.query(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = %s"
        " AND table_name = 't'", [schema]))


def together(first: Callable[[], dbs.ApplyResult], second: Callable[[], dbs.ApplyResult],
             delay: float = 1.0) -> tuple[dbs.ApplyResult, dbs.ApplyResult]:
    """Run ``first``, then ``second`` ``delay`` seconds later while the first still runs."""
    results: dict[str, dbs.ApplyResult] = {}
    runner = threading.Thread(target=lambda: results.__setitem__("first", first()))
    runner.start()
    time.sleep(delay)
    results["second"] = second()
    runner.join()
    return results["first"], results["second"]


def assert_agrees(db: dbs.ScratchDB) -> None:
    """The schema is the one the version table names."""
    rows = sp.version_rows(db)
    tables = [t for t in db.tables() if t not in ("sqlcompile_version",)]
    if rows == []:
        assert tables == []
    elif rows == [A1]:
        assert tables == ["t"] and columns(db) == ["id", "v"]
    else:
        assert rows == [B2] and tables == ["t"] and columns(db) == ["id", "v", "w"]


def test_upgrade_and_downgrade_at_once(engine: tuple[dbs.ScratchDB, str],
                                       tmp_path: Path) -> None:
    """Both expect [a1]: the downgrade (first, slow) drops the table; the upgrade waits for
    the lock and its guard then stops it. Without the lock both passed their guards."""
    db, dialect = engine
    files = history(tmp_path, dialect)
    sp.apply_ok(db, files.upgrade[0])
    down, up = together(lambda: sp.apply(db, files.downgrade[0]),
                        lambda: sp.apply(db, files.upgrade[1]))
    assert down.returncode == 0, down.stderr
    assert up.returncode != 0
    assert "sqlcompile guard" in up.stderr and "expects the version table to hold" in up.stderr
    assert sp.version_rows(db) == []
    assert_agrees(db)


def test_same_data_migration_twice_at_once(engine: tuple[dbs.ScratchDB, str],
                                           tmp_path: Path) -> None:
    """Two applies of one upgrade that inserts a row: one applies, the other is refused, and
    the row is there once."""
    db, dialect = engine
    files = history(tmp_path, dialect)
    sp.apply_ok(db, files.upgrade[0])
    one, two = together(lambda: sp.apply(db, files.upgrade[1]),
                        lambda: sp.apply(db, files.upgrade[1]))
    assert one.returncode == 0, one.stderr
    assert two.returncode != 0 and "sqlcompile guard" in two.stderr
    assert db.query("SELECT id, v FROM t") == [(1, "once")]
    assert sp.version_rows(db) == [B2]
    assert_agrees(db)


LOCK_REFUSAL = {
    "postgresql": "canceling statement due to lock timeout",
    "mariadb": "sqlcompile lock: another apply holds the migration lock",
    "sqlite": "database is locked",
}


def test_lock_timeout_stops_before_any_change(engine: tuple[dbs.ScratchDB, str],
                                              tmp_path: Path) -> None:
    """With `lock_timeout = 1` a second apply gives up after about a second, having changed
    nothing, while the first still holds the lock."""
    db, dialect = engine
    files = history(tmp_path, dialect, "lock_timeout = 1\n")
    sp.apply_ok(db, files.upgrade[0])
    ended: dict[str, float] = {}

    def holding() -> dbs.ApplyResult:
        result = sp.apply(db, files.downgrade[0])
        ended["holding"] = time.monotonic()
        return result

    def waiting() -> dbs.ApplyResult:
        result = sp.apply(db, files.upgrade[1])
        ended["waiting"] = time.monotonic()
        return result

    down, up = together(holding, waiting, delay=0.5)
    assert down.returncode == 0, down.stderr
    assert up.returncode != 0
    assert LOCK_REFUSAL[dialect] in up.stderr, up.stderr
    # It gave up while the first file still held the lock (for HOLD seconds): an order of
    # events, not a time, so a loaded machine does not change the verdict.
    assert ended["waiting"] < ended["holding"], ended
    assert sp.version_rows(db) == []
    assert_agrees(db)


def test_version_rows_are_checked_after_they_change(engine: tuple[dbs.ScratchDB, str],
                                                    tmp_path: Path) -> None:
    """The version-row change fails when it does not leave exactly the expected rows: here a
    file whose guard was cut out, applied where the version table holds another revision."""
    db, dialect = engine
    files = history(tmp_path, dialect)
    sp.apply_ok(db, files.upgrade[0])
    db.query(f"INSERT INTO {sp.VERSION_TABLE} (version_num) VALUES ('zzzzzzzzzzzz')")
    text = sp.sql_text(files.upgrade[1])
    blocks = text.split("\n\n")
    guards = [b for b in blocks if b.startswith("-- guard: ")]
    assert guards, "no guard in the file"
    unguarded = "\n\n".join(b for b in blocks if b not in guards)
    assert "-- check: " in unguarded
    before = sp.snapshot(db) if not isinstance(db, dbs.MariaDB) else None
    result = sp.apply(db, unguarded)
    assert result.returncode != 0
    assert "its version rows changed, expects the version table to hold" in result.stderr
    assert sp.version_rows(db) == [A1, "zzzzzzzzzzzz"]
    if before is not None:  # transactional DDL: all of it rolled back
        assert sp.snapshot(db) == before


# -- without the client's stop-on-error flag -------------------------------------------------


def apply_without_flag(db: dbs.ScratchDB, path: Path) -> subprocess.CompletedProcess[bytes]:
    """The documented command minus its stop flag: psql without ON_ERROR_STOP, sqlite3 without
    -bail, the mariadb client as is (it stops by default)."""
    data = path.read_bytes()
    if isinstance(db, dbs.PostgresDB):
        argv = ["psql", "-X", "-q", "-h", dbs.PG_HOST, "-p", str(dbs.PG_PORT), "-U", dbs.PG_USER,
                "-d", db.name, "-f", str(path)]
        return subprocess.run(argv, capture_output=True, timeout=60, check=False)
    if isinstance(db, dbs.SQLiteDB):
        return subprocess.run(["sqlite3", db.name], input=data, capture_output=True, timeout=60,
                              check=False)
    argv = ["mariadb", "-h", dbs.MY_HOST, "-P", str(dbs.MY_PORT), "-u", dbs.MY_USER,
            "--default-character-set=utf8mb4", db.name]
    return subprocess.run(argv, input=data, capture_output=True, timeout=60, check=False)


def test_a_refused_file_goes_no_further_without_the_flag(
        engine: tuple[dbs.ScratchDB, str], tmp_path: Path) -> None:
    """The file itself turns stop-on-error on: applied out of order without the flag, the
    guard's failure ends it, the client says so by its exit code, and nothing changed."""
    db, dialect = engine
    files = history(tmp_path, dialect)
    before = sp.snapshot(db) if not isinstance(db, dbs.MariaDB) else None
    proc = apply_without_flag(db, files.upgrade[1])  # expects [a1]; the database is empty
    assert proc.returncode != 0
    assert b"sqlcompile guard" in proc.stderr
    if before is not None:
        assert sp.snapshot(db) == before
    tables = db.tables()
    assert "t" not in tables
    if tables:
        assert sp.version_rows(db) == []
