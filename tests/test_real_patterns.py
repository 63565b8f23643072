"""One history of our own, a lending library's, that uses every pattern of issue 12 at once.

The history lives in tests/histories/real_patterns/ (two version folders, hand-written SQL for
the revision that reads rows, one revision declared irreversible in the config). Each script
says what it exercises; in short:

- 0001 `sa.Enum(...).create(bind, checkfirst=True)`, `unique=True`, `index=True`, an inline
  named CheckConstraint, `create_table_comment`
- 0002 inline `sa.ForeignKey`, `op.f()`, `bulk_insert` (dates), `execute(text().bindparams())`
- 0003 reads rows (`fetchall()`): replaced by sql/<dialect>/1a0000000003.upgrade.sql
- 0004 `op.inline_literal` in an UPDATE; `downgrade()` raises NotImplementedError
- 0005 `postgresql_concurrently=True` outside an autocommit block; no `downgrade()` at all
- 0006 `batch_alter_table(recreate="always")` and `table_args=`; its downgrade reads rows, so
  the config declares it irreversible
- 0007 `alter_column` with an explicit `existing_type` wider than the model (MySQL/MariaDB
  restate it), `add_column` with CheckConstraint / unique / index / ForeignKey
- 0008 `if_not_exists`/`if_exists` where the server has them, `rename_table`,
  `create_table_comment`/`drop_table_comment`, `add_column` of a `primary_key=True` column
- 0009 `create_exclude_constraint` on PostgreSQL only, `op.invoke()`, and
  `postgresql_nulls_not_distinct=False`, whose `UNIQUE NULLS DISTINCT` sqlglot cannot parse
  (pglast validates it)
- 0010 alembic-postgresql-enum `op.sync_enum_values`, alembic-utils `op.create_entity`, both
  guarded on `op.get_bind().dialect.name == "postgresql"`
- 0011 `sa.inspect(op.get_bind())` guards (`has_table`, `get_columns`, `get_indexes`,
  `get_foreign_keys`, `has_index`), `bind.engine.url` branching, `op.replace_entity`

- 0012 a table whose foreign key, unique key and CHECKs are written inside its columns with
  no names (each server names them its own way)
- 0013 `op.drop_constraint(None, ..., type_=...)` for each of them, as autogenerate writes it,
  and `drop_column` of a column whose Boolean type made a CHECK (SQLite rebuilds without it)
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dbs
import histories as h
import psycopg
import pytest
import sqlc_project as sp
import sqlglot
from sqlglot import exp

pytest.importorskip("alembic_postgresql_enum")
pytest.importorskip("alembic_utils")

SOURCE = Path(__file__).resolve().parent / "histories" / "real_patterns"
ALL_DIALECTS = ("postgresql", "mysql", "mariadb", "sqlite", "mssql", "oracle")
APPLIED = [("pg_db", "postgresql"), ("mariadb_db", "mariadb"), ("sqlite_db", "sqlite")]
REVISIONS = [f"1a000000000{c}" for c in "123456789abcd"]
HEAD = REVISIONS[-1]
READS_ROWS = "1a0000000003"
#: revision -> the reason its downgrade file gives
IRREVERSIBLE = {
    "1a0000000004": "NotImplementedError: display names cannot be split back into first and "
                    "last names",
    "1a0000000005": "the script has no downgrade()",
    "1a0000000006": "declared irreversible in sqlcompile.toml (`irreversible`)",
}
#: the highest irreversible revision: a downgrade from the head stops there
STOP = "1a0000000006"

def _position(rev: str) -> int:
    return REVISIONS.index(rev) + 1


def _refusal(rev: str) -> str:
    return (f"sqlcompile: the downgrade of {_position(rev):04d} {rev} is irreversible: "
            f"{IRREVERSIBLE[rev]}; stopped before any change")


@dataclass(frozen=True)
class Project:
    """The copied history after one `render` of all six dialects."""

    root: Path
    stderr: str

    def file(self, dialect: str, direction: str, rev: str) -> Path:
        (path,) = (self.root / h.OUT / dialect / direction).glob(f"*_{rev}_*.sql")
        return path

    def text(self, dialect: str, direction: str, rev: str) -> str:
        return sp.sql_text(self.file(dialect, direction, rev))


def _copy(target: Path) -> Path:
    shutil.copytree(SOURCE, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "out"))
    return target


def _render(root: Path) -> str:
    result = h.run(root, "render")
    assert result.code == 0, result.stderr
    return result.stderr


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = _copy(tmp_path_factory.mktemp("real_patterns") / "library")
    return Project(root, _render(root))


def _outputs(root: Path) -> dict[str, bytes]:
    out = root / h.OUT
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


# --- rendering ----------------------------------------------------------------------------------


def test_every_dialect_renders_and_counts_the_irreversible_downgrades(project: Project) -> None:
    lines = project.stderr.splitlines()
    for dialect in ALL_DIALECTS:
        (summary,) = [line for line in lines if line.startswith(f"{dialect}: ")]
        assert summary.startswith(f"{dialect}: {2 * len(REVISIONS) + 1} files, ")
        assert summary.endswith(" 0 failed"), summary
    listed = ", ".join(f"{_position(rev):04d} {rev}" for rev in IRREVERSIBLE)
    assert (f"3 irreversible downgrades ({listed}): each stops at its first statement, "
            "before any change") in lines
    # The concurrent index outside an autocommit block is said once, for PostgreSQL only.
    warnings = [line for line in lines if line.startswith("warning:") and "CONCURRENTLY" in line]
    assert len(warnings) == 1
    # The explicit existing_type that differs from the model is said once per dialect.
    assert len([line for line in lines if "existing_type=VARCHAR" in line]) == len(ALL_DIALECTS)
    assert warnings[0].startswith("warning: postgresql: out/postgresql/upgrade/0005_1a0000000005")
    assert "create_index ix_books_title on books (line 16)" in warnings[0]


def test_two_renders_write_the_same_bytes(project: Project,
                                          tmp_path_factory: pytest.TempPathFactory) -> None:
    again = _copy(tmp_path_factory.mktemp("real_patterns_again") / "library")
    _render(again)
    first, second = _outputs(project.root), _outputs(again)
    assert len(first) == len(ALL_DIALECTS) * (2 * len(REVISIONS) + 1)
    assert first == second


def test_the_sqlite_schema_prints_the_same_every_time(project: Project) -> None:
    """Two unnamed UNIQUE keys and an Enum's CHECK once came out in a different order from one
    run to the next (SQLAlchemy copies a table's constraints by walking a set)."""
    printed = set()
    for _ in range(12):
        result = h.run(project.root, "schema", "--dialect", "sqlite")
        assert result.code == 0, result.stderr
        printed.add(result.stdout)
    assert len(printed) == 1


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_irreversible_downgrades_are_refusals(project: Project, dialect: str) -> None:
    for rev, reason in IRREVERSIBLE.items():
        text = project.text(dialect, "downgrade", rev)
        assert f"-- irreversible: {reason}; this file stops at its first statement" in text
        assert _refusal(rev) in text
    for rev in REVISIONS:
        if rev not in IRREVERSIBLE:
            assert "-- irreversible:" not in project.text(dialect, "downgrade", rev), rev


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_the_revision_that_reads_rows_takes_the_hand_written_sql(project: Project,
                                                                 dialect: str) -> None:
    text = project.text(dialect, "upgrade", READS_ROWS)
    assert (f"-- hand-written: migrations/sql/{dialect}/{READS_ROWS}.upgrade.sql replaces the "
            "script's upgrade()") in text
    assert "INSERT INTO fines (loan_id, amount_cents)" in text
    # Its downgrade is compiled from the script, against the model the hand-written SQL built.
    assert "DROP TABLE fines" in project.text(dialect, "downgrade", READS_ROWS)


def test_postgresql_validates_what_sqlglot_cannot_parse(project: Project) -> None:
    unique = ("ALTER TABLE room_bookings ADD CONSTRAINT uq_room_bookings_seat_day "
              "UNIQUE NULLS DISTINCT (seat, starts_on)")
    assert unique + ";" in project.text("postgresql", "upgrade", "1a0000000009")
    assert isinstance(sqlglot.parse_one(unique, read="postgres"), exp.Command)
    result = h.run(project.root, "render", "-v", "--dialect", "postgresql")
    assert result.code == 0, result.stderr
    unvalidated = [line for line in result.stderr.splitlines() if ": unvalidated" in line]
    assert unvalidated and all("client directive" in line for line in unvalidated), unvalidated


def test_scripts_branch_per_dialect(project: Project) -> None:
    def up(dialect: str, rev: str) -> str:
        return project.text(dialect, "upgrade", rev)

    for dialect in ALL_DIALECTS:
        postgres = dialect == "postgresql"
        assert ("EXCLUDE USING gist" in up(dialect, "1a0000000009")) is postgres
        assert ('ALTER TYPE "public"."member_status"' in up(dialect, "1a000000000a")) is postgres
        assert ("CREATE OR REPLACE VIEW" in up(dialect, "1a000000000b")) is postgres
        guarded = dialect in ("postgresql", "sqlite", "mariadb")
        assert ("CREATE TABLE IF NOT EXISTS branches" in up(dialect, "1a0000000008")) is guarded
        assert ("DROP TABLE IF EXISTS branches"
                in project.text(dialect, "downgrade", "1a0000000008")) is guarded
    for dialect in ("mysql", "mariadb"):
        assert "CREATE INDEX ix_books_summary ON books (summary(80))" in up(dialect,
                                                                            "1a000000000b")
        assert ("MODIFY email VARCHAR(200) NOT NULL COMMENT 'login address'"
                in up(dialect, "1a0000000007"))
    for dialect in ("postgresql", "sqlite"):
        assert "CREATE INDEX ix_books_summary ON books (summary)" in up(dialect, "1a000000000b")
    for dialect in ("mssql", "oracle"):
        assert "ix_books_summary" not in up(dialect, "1a000000000b")


# --- applying -----------------------------------------------------------------------------------


def _files(project: Project, dialect: str, direction: str, revs: list[str]) -> Iterator[Path]:
    for rev in revs:
        yield project.file(dialect, direction, rev)


def _upgrade(db: dbs.ScratchDB, project: Project, dialect: str, revs: list[str]) -> None:
    for path in _files(project, dialect, "upgrade", revs):
        sp.apply_ok(db, path)


def _downgrade(db: dbs.ScratchDB, project: Project, dialect: str, revs: list[str]) -> None:
    for path in _files(project, dialect, "downgrade", list(reversed(revs))):
        sp.apply_ok(db, path)


def _refuses(db: dbs.ScratchDB, project: Project, dialect: str, rev: str) -> None:
    before = db.tables()
    result = sp.apply(db, project.file(dialect, "downgrade", rev))
    assert result.returncode != 0
    assert _refusal(rev) in result.stdout + result.stderr
    assert sp.version_rows(db) == [rev]
    assert db.tables() == before


def _columns(db: dbs.ScratchDB, table: str) -> list[str]:
    if isinstance(db, dbs.SQLiteDB):
        return sorted(r[1] for r in db.query(f"PRAGMA table_info({table})"))
    if isinstance(db, dbs.PostgresDB):
        where = "table_schema = 'public'"
    else:
        where = f"table_schema = '{db.name}'"
    rows = db.query(f"SELECT column_name FROM information_schema.columns WHERE {where} "
                    f"AND table_name = '{table}'")
    return sorted(r[0] for r in rows)


def _indexes(db: dbs.ScratchDB, table: str) -> set[str]:
    if isinstance(db, dbs.SQLiteDB):
        return {r[1] for r in db.query(f"PRAGMA index_list({table})")}
    if isinstance(db, dbs.PostgresDB):
        return {r[0] for r in db.query(
            f"SELECT indexname FROM pg_indexes WHERE schemaname = 'public' "
            f"AND tablename = '{table}'")}
    return {r[0] for r in db.query(
        f"SELECT index_name FROM information_schema.statistics WHERE table_schema = "
        f"'{db.name}' AND table_name = '{table}'")}


HEAD_TABLES = ["books", "donations", "fines", "library_branches", "loans", "members",
               "opening_hours", "reviews", "room_bookings", sp.VERSION_TABLE]
HEAD_COLUMNS = {
    "members": ["card_no", "display_name", "email", "id", "status"],
    "books": ["branch_code", "copies", "donor_id", "id", "isbn", "pages", "shelf_code",
              "summary", "title"],
    "loans": ["book_id", "due_on", "id", "lent_on", "member_id", "renewals", "returned_on"],
    "fines": ["amount_cents", "id", "loan_id"],
    "library_branches": ["city", "code", "id"],
    "opening_hours": ["branch_id", "closes", "id", "opens", "weekday"],
    "reviews": ["body", "book_id", "id", "member_id", "stars"],
    "room_bookings": ["ends_on", "id", "member_id", "seat", "starts_on"],
    "donations": ["amount_cents", "id", "member_id", "receipt_no"],
}
HEAD_INDEXES = {
    "books": {"ix_books_shelf_code", "ix_books_title", "ix_books_branch_code",
              "ix_books_summary"},
    "loans": {"ix_loans_due_on", "ix_loans_book_id", "ix_loans_member_id"},
    "library_branches": {"ix_branches_city"},
    "room_bookings": {"ix_room_bookings_starts_on"},
}
#: what is left when the downgrade from the head stops at STOP
STOP_TABLES = ["books", "fines", "loans", "members", sp.VERSION_TABLE]
STOP_COLUMNS = {
    "members": ["display_name", "email", "id", "status"],
    "books": ["copies", "id", "isbn", "pages", "shelf_code", "title"],
    "loans": ["book_id", "due_on", "id", "lent_on", "member_id", "returned_on"],
}


def _check_head(db: dbs.ScratchDB, dialect: str) -> None:
    assert db.tables() == HEAD_TABLES
    assert sp.version_rows(db) == [HEAD]
    for table, columns in HEAD_COLUMNS.items():
        assert _columns(db, table) == columns, table
    for table, indexes in HEAD_INDEXES.items():
        assert indexes <= _indexes(db, table), (table, _indexes(db, table))
    # The hand-written INSERT ... SELECT fined the two loans that were never returned.
    assert sorted(db.query("SELECT loan_id, amount_cents FROM fines")) == [(1, 50), (3, 50)]
    assert sorted(db.query("SELECT display_name FROM members")) == [("Ada Moss",), ("Bo Lind",)]
    assert db.query("SELECT DISTINCT shelf_code FROM books") == [("UNSORTED",)]
    assert _primary_key(db, "opening_hours") == ["id"]  # added with its column
    # 0013 dropped the donations' unnamed keys and CHECK: nothing refuses these rows now.
    db.query("INSERT INTO donations (id, member_id, receipt_no, amount_cents) "
             "VALUES (2, 999, 'R-1', -5)")
    assert sorted(db.query("SELECT id, amount_cents FROM donations")) == [(1, 500), (2, -5)]
    db.query("DELETE FROM donations WHERE id = 2")
    if dialect == "postgresql":
        _check_postgresql_head(db)
    elif dialect == "mariadb":
        email = db.query("SELECT character_maximum_length, column_comment FROM "
                         f"information_schema.columns WHERE table_schema = '{db.name}' "
                         "AND table_name = 'members' AND column_name = 'email'")
        assert email == [(200, "login address")]  # the explicit existing_type was used
        prefix = db.query("SELECT sub_part FROM information_schema.statistics WHERE "
                          f"table_schema = '{db.name}' AND index_name = 'ix_books_summary'")
        assert prefix == [(80,)]
    else:
        (books_sql,) = db.query("SELECT sql FROM sqlite_master WHERE name = 'books'")[0]
        # table_args reached the rebuilt table; the added column kept its CHECK.
        assert "CONSTRAINT ck_books_isbn_length CHECK (length(isbn) = 13)" in books_sql
        assert "CONSTRAINT ck_books_pages CHECK (pages > 0)" in books_sql


def _primary_key(db: dbs.ScratchDB, table: str) -> list[str]:
    if isinstance(db, dbs.SQLiteDB):
        return [r[1] for r in sorted(db.query(f"PRAGMA table_info({table})"), key=lambda r: r[5])
                if r[5]]
    schema = "'public'" if isinstance(db, dbs.PostgresDB) else f"'{db.name}'"
    rows = db.query("SELECT k.column_name FROM information_schema.table_constraints c "
                    "JOIN information_schema.key_column_usage k ON k.constraint_name = "
                    "c.constraint_name AND k.table_schema = c.table_schema AND k.table_name = "
                    f"c.table_name WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = "
                    f"{schema} AND c.table_name = '{table}' ORDER BY k.ordinal_position")
    return [r[0] for r in rows]


def _enum_labels(db: dbs.ScratchDB) -> list[str]:
    rows = db.query("SELECT enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid "
                    "WHERE t.typname = 'member_status' ORDER BY e.enumsortorder")
    return [r[0] for r in rows]


def _check_postgresql_head(db: dbs.ScratchDB) -> None:
    assert _enum_labels(db) == ["active", "suspended", "banned"]
    view = db.query("SELECT column_name FROM information_schema.columns WHERE "
                    "table_name = 'overdue_loans' ORDER BY ordinal_position")
    assert [r[0] for r in view] == ["id", "member_id", "due_on", "book_id"]
    kinds = db.query("SELECT conname, contype FROM pg_constraint WHERE "
                     "conrelid = 'room_bookings'::regclass AND contype IN ('x', 'u')")
    assert sorted(kinds) == [("ex_room_bookings_overlap", "x"),
                             ("uq_room_bookings_seat_day", "u")]
    comments = db.query("SELECT obj_description('library_branches'::regclass, 'pg_class'), "
                        "obj_description('books'::regclass, 'pg_class'), "
                        "col_description('members'::regclass, 2)")
    assert comments == [("Buildings that lend books", None, "login address")]
    # The exclusion constraint is live: an overlapping booking is refused.
    db.query("INSERT INTO room_bookings (member_id, starts_on, ends_on) "
             "VALUES (1, '2024-09-01', '2024-09-03')")
    with pytest.raises(psycopg.errors.ExclusionViolation, match="ex_room_bookings_overlap"):
        db.query("INSERT INTO room_bookings (member_id, starts_on, ends_on) "
                 "VALUES (2, '2024-09-02', '2024-09-04')")
    db.query("DELETE FROM room_bookings")


@pytest.mark.parametrize(("fixture", "dialect"), APPLIED)
def test_up_to_the_head_then_down_to_the_irreversible_revision(
        project: Project, fixture: str, dialect: str, request: pytest.FixtureRequest) -> None:
    db: dbs.ScratchDB = request.getfixturevalue(fixture)
    _upgrade(db, project, dialect, REVISIONS)
    _check_head(db, dialect)
    above = REVISIONS[REVISIONS.index(STOP) + 1:]
    _downgrade(db, project, dialect, above)
    assert sp.version_rows(db) == [STOP]
    _refuses(db, project, dialect, STOP)
    assert db.tables() == STOP_TABLES
    for table, columns in STOP_COLUMNS.items():
        assert _columns(db, table) == columns, table
    if dialect == "postgresql":
        assert _enum_labels(db) == ["active", "suspended"]
        assert db.query("SELECT viewname FROM pg_views WHERE schemaname = 'public'") == []


@pytest.mark.parametrize(("fixture", "dialect"), APPLIED)
def test_below_the_irreversible_revisions_downgrades_run_to_base(
        project: Project, fixture: str, dialect: str, request: pytest.FixtureRequest) -> None:
    db: dbs.ScratchDB = request.getfixturevalue(fixture)
    first = REVISIONS[:REVISIONS.index(READS_ROWS) + 1]
    _upgrade(db, project, dialect, first)
    assert sorted(db.query("SELECT loan_id FROM fines")) == [(1,), (3,)]
    _downgrade(db, project, dialect, first)
    assert db.tables() == [sp.VERSION_TABLE]
    assert sp.version_rows(db) == []
    if dialect == "postgresql":
        assert _enum_labels(db) == []
    # Up again, and each of the two script-declared irreversible downgrades refuses in turn.
    _upgrade(db, project, dialect, REVISIONS[:REVISIONS.index("1a0000000004") + 1])
    _refuses(db, project, dialect, "1a0000000004")
    _upgrade(db, project, dialect, ["1a0000000005"])
    _refuses(db, project, dialect, "1a0000000005")
