"""Irreversible and missing downgrades: a downgrade() that refuses with an exception of its
own, a script with no downgrade() (upgrade-only histories), and `irreversible = [...]` in
the config make that revision's downgrade file a refusal, which aborts before any change, on
every dialect; render succeeds and counts them.

The histories are our own, after patterns real ones have: `raise NotImplementedError(...)`,
`raise RuntimeError(...)` behind a condition, an upgrade-only script, and a downgrade that is
simply broken (a KeyError) until the config declares it irreversible.
"""

from __future__ import annotations

from pathlib import Path

import dbs
import histories as h
import pytest
import sqlc_project as sp

ALL_DIALECTS = ("postgresql", "sqlite", "mysql", "mariadb", "mssql", "oracle")
A1, B2, C3, D4, E5 = "a1a1a1a1a1a1", "b2b2b2b2b2b2", "c3c3c3c3c3c3", "d4d4d4d4d4d4", \
    "e5e5e5e5e5e5"

CREATE = h.script(A1, None, """
    op.create_table("member", sa.Column("id", sa.Integer, primary_key=True,
                                        autoincrement=False),
                    sa.Column("name", sa.String(40)))
""", 'op.drop_table("member")', message="members")
NOT_IMPLEMENTED = h.script(B2, A1, """
    op.add_column("member", sa.Column("email", sa.String(120)))
""", """
    raise NotImplementedError("emails were merged; this cannot be undone")
""", message="member emails")
UPGRADE_ONLY = h.script(C3, B2, """
    op.create_index("ix_member_email", "member", ["email"])
""", None, message="index emails")
RUNTIME_ERROR = h.script(D4, C3, """
    op.add_column("member", sa.Column("joined", sa.Date))
""", """
    if op.get_context().dialect.name:
        raise RuntimeError(
            "Cannot downgrade: joined dates were backfilled",
        )
    op.drop_column("member", "joined")
""", message="join dates")
REVERSIBLE = h.script(E5, D4, """
    op.create_table("badge", sa.Column("id", sa.Integer, primary_key=True,
                                       autoincrement=False))
""", 'op.drop_table("badge")', message="badges")

HISTORY = {"a1_members.py": CREATE, "b2_emails.py": NOT_IMPLEMENTED,
           "c3_index.py": UPGRADE_ONLY, "d4_joined.py": RUNTIME_ERROR,
           "e5_badges.py": REVERSIBLE}
REASONS = {
    B2: "NotImplementedError: emails were merged; this cannot be undone",
    C3: "the script has no downgrade()",
    D4: "RuntimeError: Cannot downgrade: joined dates were backfilled",
}
POSITIONS = {A1: 1, B2: 2, C3: 3, D4: 4, E5: 5}


def _message(rev: str) -> str:
    """The error text each refusal carries."""
    return (f"sqlcompile: the downgrade of {POSITIONS[rev]:04d} {rev} is irreversible: "
            f"{REASONS[rev]}; stopped before any change")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = h.write(tmp_path_factory.mktemp("irreversible") / "p", HISTORY, ALL_DIALECTS)
    result = h.run(root, "render")
    assert result.code == 0, result.stderr
    assert ("3 irreversible downgrades (0002 b2b2b2b2b2b2, 0003 c3c3c3c3c3c3, "
            "0004 d4d4d4d4d4d4): each stops at its first statement, before any change"
            in result.stderr.splitlines())
    return root


def _file(root: Path, dialect: str, direction: str, rev: str) -> str:
    (path,) = (root / h.OUT / dialect / direction).glob(f"*_{rev}_*.sql")
    return sp.sql_text(path)


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_each_irreversible_downgrade_is_a_refusal(rendered: Path, dialect: str) -> None:
    for rev, reason in REASONS.items():
        text = _file(rendered, dialect, "downgrade", rev)
        assert f"-- irreversible: {reason}; this file stops at its first statement" in text
        assert "changes nothing (irreversible)" in text
        body = text.split(f"-- downgrade {POSITIONS[rev]:04d} {rev}:", 1)[1]
        assert _message(rev) in body
        # Nothing of a migration follows: no version table, no version rows, no DDL.
        for word in ("sqlcompile_version (", "DELETE FROM", "INSERT INTO sqlcompile_version",
                     "DROP", "ALTER"):
            assert word not in body, (rev, word)
    # The revisions around them are compiled as usual, from the model at their position.
    assert "DROP TABLE badge" in _file(rendered, dialect, "downgrade", E5)
    assert "DROP TABLE" in _file(rendered, dialect, "downgrade", A1)


def test_verbose_lists_each_with_where_it_is_said(rendered: Path) -> None:
    result = h.run(rendered, "render", "-v")
    assert result.code == 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("irreversible:")]
    raise_line = h.line_of(RUNTIME_ERROR, "raise RuntimeError")
    assert lines == [
        f"irreversible: migrations/versions/b2_emails.py:{h.line_of(NOT_IMPLEMENTED, 'raise')}:"
        f" downgrade of 0002 {B2} [every dialect]: {REASONS[B2]}",
        f"irreversible: migrations/versions/c3_index.py: downgrade of 0003 {C3} "
        f"[every dialect]: {REASONS[C3]}",
        f"irreversible: migrations/versions/d4_joined.py:{raise_line}: downgrade of 0004 {D4} "
        f"[every dialect]: {REASONS[D4]}",
    ]
    assert "3 irreversible downgrade(s)" in h.run(rendered, "check").stderr


DBS = [("pg_db", "postgresql"), ("mariadb_db", "mariadb"), ("sqlite_db", "sqlite")]


@pytest.mark.parametrize(("fixture", "dialect"), DBS)
def test_the_refusal_aborts_on_the_database(rendered: Path, fixture: str, dialect: str,
                                            request: pytest.FixtureRequest) -> None:
    db: dbs.ScratchDB = request.getfixturevalue(fixture)
    for path in sorted((rendered / h.OUT / dialect / "upgrade").glob("*.sql")):
        sp.apply_ok(db, path)
    sp.apply_ok(db, next((rendered / h.OUT / dialect / "downgrade").glob(f"*_{E5}_*.sql")))
    before = sp.snapshot(db) if dialect != "mariadb" else db.tables()
    result = db.apply(_file(rendered, dialect, "downgrade", D4))
    assert result.returncode != 0
    assert _message(D4) in result.stdout + result.stderr
    assert sp.version_rows(db) == [D4]
    assert (sp.snapshot(db) if dialect != "mariadb" else db.tables()) == before
    columns = db.query("SELECT * FROM member")  # the column D4 added is still there
    assert columns == []


def test_the_stream_stops_at_the_first_irreversible_downgrade(rendered: Path,
                                                              sqlite_db: dbs.SQLiteDB) -> None:
    result = h.run(rendered, "render", "--stdout", "--downgrade", "--dialect", "sqlite")
    assert result.code == 0, result.stderr
    stream = result.stdout.decode("utf-8")
    assert "-- migrations:   2 of 5" in stream
    assert "DROP TABLE badge" in stream and _message(D4) in stream
    assert f"{C3}" not in stream.split(_message(D4), 1)[1]  # nothing of the later ones
    for path in sorted((rendered / h.OUT / "sqlite" / "upgrade").glob("*.sql")):
        sp.apply_ok(sqlite_db, path)
    applied = sqlite_db.apply(stream)
    assert applied.returncode != 0 and _message(D4) in applied.stderr
    assert sp.version_rows(sqlite_db) == [D4]  # the badge downgrade ran, then it stopped
    assert "badge" not in sqlite_db.tables() and "member" in sqlite_db.tables()


def test_the_dev_loop_stops_before_changing_anything(rendered: Path) -> None:
    url = f"sqlite:///{rendered / 'dev.db'}"
    assert h.run(rendered, "upgrade", "--url", url).code == 0
    refused = h.run(rendered, "downgrade", "base", "--url", url)
    assert refused.code == 2
    (line,) = refused.errors()
    raise_line = h.line_of(RUNTIME_ERROR, "raise RuntimeError")
    assert line == f"error: migrations/versions/d4_joined.py:{raise_line}: {_message(D4)}"
    assert f"`sqlcompile downgrade {D4}` undoes only the revisions after it" in refused.stderr
    assert h.run(rendered, "current", "--url", url).stdout.decode().split() == [E5]
    assert h.run(rendered, "downgrade", D4, "--url", url).code == 0
    assert h.run(rendered, "current", "--url", url).stdout.decode().split() == [D4]


BROKEN = h.script(B2, A1, 'op.add_column("member", sa.Column("email", sa.String(120)))', """
    names = {"member": "email"}
    op.drop_column("member", names["members"])
""", message="member emails")


def test_a_broken_downgrade_fails_until_declared_irreversible(tmp_path: Path) -> None:
    scripts = {"a1_members.py": CREATE, "b2_emails.py": BROKEN}
    root = h.write(tmp_path / "p", scripts, ("postgresql", "sqlite"))
    failed = h.run(root, "render")
    assert failed.code == 2
    (line,) = failed.errors()
    assert "KeyError: 'members'" in line and line.endswith(f"(revision {B2}, downgrade, "
                                                           "every dialect)")
    assert f'irreversible = ["{B2}"] in sqlcompile.toml' in failed.stderr

    h.write(root, scripts, ("postgresql", "sqlite"), f'irreversible = ["{B2}"]\n')
    # A hand-written file for one dialect still wins over the declaration.
    hand = root / "migrations" / "sql" / "sqlite" / f"{B2}.downgrade.sql"
    hand.parent.mkdir(parents=True)
    hand.write_text("ALTER TABLE member DROP COLUMN email;\n", encoding="utf-8")
    result = h.run(root, "render")
    assert result.code == 0, result.stderr
    declared = _file(root, "postgresql", "downgrade", B2)
    assert "declared irreversible in sqlcompile.toml (`irreversible`)" in declared
    assert "SELECT CAST('sqlcompile: the downgrade of 0002" in declared
    assert "ALTER TABLE member DROP COLUMN email" in _file(root, "sqlite", "downgrade", B2)
    assert "1 irreversible downgrade (0002 b2b2b2b2b2b2)" in result.stderr


@pytest.mark.parametrize(("downgrade", "fragment"), [
    ("op.drop_table(123)", "drop_table() got 123 (int) for `table_name`"),
    ('op.drop_table("member", "extra", "arguments")', "too many positional arguments"),
    ('op.drop_tabel("member")', "drop_tabel"),
])
def test_calling_op_wrongly_stays_a_failure(tmp_path: Path, downgrade: str,
                                            fragment: str) -> None:
    scripts = {"a1_members.py": CREATE, "b2_bad.py": h.script(B2, A1, "pass", downgrade)}
    root = h.write(tmp_path / "p", scripts, ("postgresql",))
    result = h.run(root, "render")
    assert result.code == 2, result.stderr
    (line,) = result.errors()
    assert fragment in line and "(revision b2b2b2b2b2b2, downgrade, postgresql)" in line
    assert "irreversible" not in line


def test_an_unknown_revision_in_the_config_is_an_error(tmp_path: Path) -> None:
    root = h.write(tmp_path / "p", {"a1_members.py": CREATE}, ("postgresql",),
                   'irreversible = ["a1a1"]\n')
    result = h.run(root, "render")
    assert result.code == 2
    assert result.errors() == [f"error: {root / h.CONFIG}: `irreversible` names revision "
                               "'a1a1', which the history does not have"]
    assert f"did you mean '{A1}'?" in result.stderr
    h.write(root, {}, ("postgresql",), 'irreversible = "a1a1a1a1a1a1"\n')
    wrong = h.run(root, "render")
    assert wrong.code == 2 and "`irreversible` must be a list of revision ids" in wrong.stderr
