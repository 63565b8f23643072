"""`baseline = "REV"`: adopting a history whose databases are already at REV.

REV and its ancestors get no per-revision files; they are only replayed into the schema model,
`baseline.sql` creates an empty database directly at REV, and the first file after it expects
REV in the version table. The histories are our own.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import dbs
import histories as h
import pytest
import sqlc_project as sp

from sqlcompile.config import load_config
from sqlcompile.errors import ConfigError

DIALECTS = ("postgresql", "sqlite", "mariadb")
A1, B2, C3, D4 = "a1a1a1a1a1a1", "b2b2b2b2b2b2", "c3c3c3c3c3c3", "d4d4d4d4d4d4"

HISTORY = {
    "a1_account.py": h.script(A1, None, """
        op.create_table("account", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("email", sa.String(200), nullable=False),
                        sa.UniqueConstraint("email", name="uq_account_email"))
    """, 'op.drop_table("account")', message="accounts"),
    "b2_post.py": h.script(B2, A1, """
        op.add_column("account", sa.Column("name", sa.String(80)))
        op.create_table("post", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("account_id", sa.Integer, nullable=False),
                        sa.Column("title", sa.String(120), nullable=False),
                        sa.ForeignKeyConstraint(["account_id"], ["account.id"],
                                                name="fk_post_account"))
        op.create_index("ix_post_title", "post", ["title"])
    """, """
        op.drop_index("ix_post_title", "post")
        op.drop_table("post")
        op.drop_column("account", "name")
    """, message="posts"),
    "c3_comment.py": h.script(C3, B2, """
        op.create_table("comment", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("post_id", sa.Integer, nullable=False),
                        sa.Column("body", sa.Text),
                        sa.ForeignKeyConstraint(["post_id"], ["post.id"],
                                                name="fk_comment_post"))
        op.execute("INSERT INTO account (id, email) VALUES (1, 'a@example.org')")
    """, 'op.drop_table("comment")', message="comments"),
    "d4_published.py": h.script(D4, C3, """
        op.add_column("post", sa.Column("published", sa.Boolean, nullable=True))
        op.create_index("ix_comment_post", "comment", ["post_id"])
    """, """
        op.drop_index("ix_comment_post", "comment")
        op.drop_column("post", "published")
    """, message="published"),
}


def project(root: Path, scripts: dict[str, str] = HISTORY, baseline: str | None = B2,
            dialects: tuple[str, ...] = DIALECTS) -> Path:
    extra = f'baseline = "{baseline}"\n' if baseline else ""
    return h.write(root, scripts, dialects, extra)


def ok(root: Path, *args: str) -> h.Run:
    done = h.run(root, *args)
    assert done.code == 0, done.stderr
    return done


def files(root: Path, dialect: str, direction: str) -> list[str]:
    return sorted(p.name for p in (root / h.OUT / dialect / direction).glob("*.sql"))


def outputs(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted((root / h.OUT).rglob("*.sql"))}


# --- configuration and the option ---------------------------------------------------------------


def test_config_key_is_read_and_checked(tmp_path: Path) -> None:
    (tmp_path / "sqlcompile.toml").write_text(f'baseline = "{B2}"\n', encoding="utf-8")
    assert load_config(cwd=tmp_path).baseline == B2
    (tmp_path / "sqlcompile.toml").write_text("baseline = 12\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(cwd=tmp_path)
    assert "`baseline` must be a non-empty string" in caught.value.message
    assert caught.value.hint == 'for example: baseline = "1975ea83b712"'


def test_without_a_baseline_every_revision_has_files(tmp_path: Path) -> None:
    root = project(tmp_path, baseline=None)
    ok(root, "render", "--dialect", "sqlite")
    assert len(files(root, "sqlite", "upgrade")) == 4
    assert not (root / h.OUT / "sqlite" / "baseline.sql").exists()


def test_files_only_after_the_baseline(tmp_path: Path) -> None:
    root = project(tmp_path)
    ok(root, "render")
    for dialect in DIALECTS:
        for direction in ("upgrade", "downgrade"):
            assert files(root, dialect, direction) == [f"0003_{C3}_comments.sql",
                                                       f"0004_{D4}_published.sql"]
        assert (root / h.OUT / dialect / "baseline.sql").is_file()
        assert (root / h.OUT / dialect / "schema.sql").is_file()


def test_first_file_after_the_baseline_expects_it(tmp_path: Path) -> None:
    root = project(tmp_path)
    ok(root, "render", "--dialect", "postgresql")
    text = (root / h.OUT / "postgresql" / "upgrade" / f"0003_{C3}_comments.sql").read_text()
    assert f"-- expects:    sqlcompile_version holds [{B2}]; leaves [{C3}]" in text
    assert (f"sqlcompile guard: upgrade of 0003 {C3} expects the version table to hold "
            f"[{B2}] but found [") in text
    down = (root / h.OUT / "postgresql" / "downgrade" / f"0003_{C3}_comments.sql").read_text()
    assert f"holds [{C3}]; leaves [{B2}]" in down


def test_option_overrides_the_config(tmp_path: Path) -> None:
    root = project(tmp_path, baseline=A1)
    ok(root, "render", "--dialect", "sqlite", "--baseline", C3)
    assert files(root, "sqlite", "upgrade") == [f"0004_{D4}_published.sql"]
    baseline = (root / h.OUT / "sqlite" / "baseline.sql").read_text()
    assert re.search(rf"^-- baseline: +{C3} \(3 of 4\): comments$", baseline, re.M)
    assert "CREATE TABLE comment" in baseline


def test_check_takes_the_option_too(tmp_path: Path) -> None:
    root = project(tmp_path, baseline=A1, dialects=("sqlite",))
    ok(root, "render", "--baseline", C3)
    assert "SQL files up to date" in ok(root, "check", "--baseline", C3).stderr
    # Against the configured baseline the files are not those.
    done = h.run(root, "check")
    assert done.code == 1
    assert f"missing: out/sqlite/upgrade/0002_{B2}_posts.sql" in done.stderr
    assert "stale: out/sqlite/baseline.sql" in done.stderr


@pytest.mark.parametrize("given", ["config", "option"])
def test_unknown_baseline_is_an_error(tmp_path: Path, given: str) -> None:
    root = project(tmp_path, baseline="nope" if given == "config" else None)
    args = ("render",) if given == "config" else ("render", "--baseline", "nope")
    done = h.run(root, *args)
    assert done.code == 2
    where = str(root / h.CONFIG) if given == "config" else "--baseline"
    assert done.errors() == [f"error: {where}: the baseline names revision 'nope', which the "
                             "history does not have"]
    assert "hint: give the full id of the revision" in done.stderr
    assert not (root / h.OUT).exists()


def test_a_prefix_is_not_taken_but_named(tmp_path: Path) -> None:
    root = project(tmp_path, baseline=None)
    done = h.run(root, "check", "--baseline", "b2b2")
    assert done.code == 2
    assert f"hint: did you mean '{B2}'? the baseline is a full revision id" in done.stderr


# --- baseline.sql on real servers ---------------------------------------------------------------


def _pg_shape(db: dbs.ScratchDB) -> Any:
    return sp.snapshot(db)


def _sqlite_shape(db: dbs.ScratchDB) -> Any:
    """Tables, columns, indexes and foreign keys as SQLite reports them (not the CREATE text,
    which records how each table came to be)."""
    shape: dict[str, Any] = {}
    for table in db.tables():
        quoted = '"' + table.replace('"', '""') + '"'
        indexes = {}
        for row in db.query(f"PRAGMA index_list({quoted})"):
            name, unique, origin = row[1], row[2], row[3]
            columns = [r[2] for r in db.query(f'PRAGMA index_info("{name}")')]
            key = name if origin == "c" else f"{origin}:{columns}"
            indexes[key] = (unique, columns)
        shape[table] = {
            "columns": sorted(db.query(f"PRAGMA table_info({quoted})"), key=repr),
            "indexes": indexes,
            "fks": sorted((r[2], r[3], r[4]) for r in
                          db.query(f"PRAGMA foreign_key_list({quoted})")),
            "rows": sorted(db.query(f"SELECT * FROM {quoted}"), key=repr),
        }
    return shape


def _mariadb_shape(db: dbs.ScratchDB) -> Any:
    where = [db.name]
    columns = db.query(
        "SELECT table_name, column_name, column_type, is_nullable, column_default, extra"
        " FROM information_schema.columns WHERE table_schema = %s"
        " ORDER BY table_name, column_name", where)
    indexes = db.query(
        "SELECT table_name, index_name, non_unique, seq_in_index, column_name"
        " FROM information_schema.statistics WHERE table_schema = %s"
        " ORDER BY table_name, index_name, seq_in_index", where)
    keys = db.query(
        "SELECT table_name, constraint_name, column_name, referenced_table_name,"
        " referenced_column_name FROM information_schema.key_column_usage"
        " WHERE table_schema = %s ORDER BY table_name, constraint_name, column_name", where)
    data = {t: sorted(db.query(f"SELECT * FROM `{t}`"), key=repr) for t in db.tables()}
    return {"columns": columns, "indexes": indexes, "keys": keys, "data": data}


SERVERS = [("pg_db", "postgresql", _pg_shape), ("mariadb_db", "mariadb", _mariadb_shape),
           ("sqlite_db", "sqlite", _sqlite_shape)]


@pytest.mark.parametrize(("fixture", "dialect", "shape"), SERVERS,
                         ids=[s[1] for s in SERVERS])
def test_baseline_then_the_upgrades_equals_the_whole_history(
        request: pytest.FixtureRequest, tmp_path: Path, fixture: str, dialect: str,
        shape: Any) -> None:
    adopted = project(tmp_path / "adopted", dialects=(dialect,))
    ok(adopted, "render")
    whole = project(tmp_path / "whole", baseline=None, dialects=(dialect,))
    ok(whole, "render")
    db: dbs.ScratchDB = request.getfixturevalue(fixture)
    sp.apply_ok(db, adopted / h.OUT / dialect / "baseline.sql")
    assert sp.version_rows(db) == [B2]
    for name in files(adopted, dialect, "upgrade"):
        sp.apply_ok(db, adopted / h.OUT / dialect / "upgrade" / name)
    assert sp.version_rows(db) == [D4]
    with dbs.scratch(dialect, tmp_path) as reference:
        for name in files(whole, dialect, "upgrade"):
            sp.apply_ok(reference, whole / h.OUT / dialect / "upgrade" / name)
        assert shape(db) == shape(reference)
    # Down again, as far as the files go: back at the baseline.
    for name in reversed(files(adopted, dialect, "downgrade")):
        sp.apply_ok(db, adopted / h.OUT / dialect / "downgrade" / name)
    assert sp.version_rows(db) == [B2]
    assert sorted(t for t in db.tables() if t != sp.VERSION_TABLE) == ["account", "post"]


def test_baseline_sql_refuses_a_database_that_has_revisions(sqlite_db: dbs.SQLiteDB,
                                                            tmp_path: Path) -> None:
    root = project(tmp_path, dialects=("sqlite",))
    ok(root, "render")
    baseline = root / h.OUT / "sqlite" / "baseline.sql"
    sp.apply_ok(sqlite_db, baseline)
    again = sp.apply(sqlite_db, baseline)
    assert again.returncode != 0
    assert (f"sqlcompile guard: baseline {B2} expects the version table to hold "
            f"[no revision (empty)] but found [{B2}]") in again.stderr


# --- scripts before the baseline that do not run offline -----------------------------------------

READS_ROWS = h.script(B2, A1, """
    op.create_table("post", sa.Column("id", sa.Integer, primary_key=True))
    rows = op.get_bind().execute(sa.text("SELECT id FROM account")).fetchall()
""", 'op.drop_table("post")', message="posts")


def test_a_failing_script_before_the_baseline_is_a_warning(tmp_path: Path) -> None:
    scripts = {**HISTORY, "b2_post.py": READS_ROWS}
    scripts["c3_comment.py"] = scripts["c3_comment.py"].replace(
        'sa.ForeignKeyConstraint(["post_id"], ["post.id"],\n'
        '                                            name="fk_comment_post")', "")
    root = project(tmp_path, scripts, dialects=("postgresql", "sqlite"))
    done = ok(root, "render")
    line = h.line_of(READS_ROWS, "fetchall")
    for dialect in ("postgresql", "sqlite"):
        assert (f"warning: {dialect}: migrations/versions/b2_post.py:{line}: schema model may be "
                f"incomplete: revision {B2} (covered by the baseline) was skipped, as its "
                "upgrade cannot run offline: ") in done.stderr
        text = (root / h.OUT / dialect / "baseline.sql").read_text()
        assert "CREATE TABLE account" in text and "CREATE TABLE post" not in text
        assert re.search(rf"^-- warning: +schema model may be incomplete after revision {B2}: "
                         "it is covered by the baseline and was skipped", text, re.M)
    assert files(root, "sqlite", "upgrade") == [f"0003_{C3}_comments.sql",
                                                f"0004_{D4}_published.sql"]
    checked = ok(root, "check")
    assert f"warning: sqlite: schema model may be incomplete after revision {B2}" in \
        checked.stderr
    assert "SQL files up to date" in checked.stderr
    # The same history without the baseline: that script is a failure.
    plain = project(tmp_path / "plain", scripts, baseline=None, dialects=("sqlite",))
    assert h.run(plain, "render").code == 2


def test_hand_written_sql_before_the_baseline_builds_the_model(tmp_path: Path) -> None:
    scripts = {**HISTORY, "b2_post.py": READS_ROWS}
    root = project(tmp_path, scripts, dialects=("sqlite",))
    hand = root / "migrations" / "sql" / "sqlite" / f"{B2}.upgrade.sql"
    hand.parent.mkdir(parents=True)
    hand.write_text("CREATE TABLE post (id INTEGER NOT NULL PRIMARY KEY,"
                    " account_id INTEGER NOT NULL, title VARCHAR(120) NOT NULL);\n"
                    "ALTER TABLE account ADD COLUMN name VARCHAR(80);\n", encoding="utf-8")
    done = ok(root, "render")
    assert "schema model may be incomplete" not in done.stderr
    text = (root / h.OUT / "sqlite" / "baseline.sql").read_text()
    assert "CREATE TABLE post" in text and "title VARCHAR(120) NOT NULL" in text
    assert "name VARCHAR(80)" in text


# --- check, stale files, byte stability ---------------------------------------------------------


def test_check_counts_baseline_sql(tmp_path: Path) -> None:
    root = project(tmp_path, dialects=("sqlite",))
    ok(root, "render")
    assert "SQL files up to date" in ok(root, "check").stderr
    baseline = root / h.OUT / "sqlite" / "baseline.sql"
    baseline.write_text(baseline.read_text() + "-- edited\n", encoding="utf-8")
    done = h.run(root, "check")
    assert done.code == 1 and "stale: out/sqlite/baseline.sql" in done.stderr
    baseline.unlink()
    done = h.run(root, "check")
    assert done.code == 1 and "missing: out/sqlite/baseline.sql" in done.stderr
    ok(root, "render")
    # Without a baseline, baseline.sql is no longer produced: extra for check, removed by render.
    project(root, baseline=None, dialects=("sqlite",))
    done = h.run(root, "check")
    assert done.code == 1 and "extra: out/sqlite/baseline.sql" in done.stderr
    assert "removed 1 stale file(s)" in ok(root, "render").stderr
    assert not baseline.exists()
    assert len(files(root, "sqlite", "upgrade")) == 4


def test_output_is_byte_stable(tmp_path: Path) -> None:
    first = project(tmp_path / "one")
    ok(first, "render")
    again = ok(first, "render")
    assert "wrote 0 changed file(s)" in again.stderr
    second = tmp_path / "two"
    shutil.copytree(first / "migrations", second / "migrations")
    shutil.copy(first / h.CONFIG, second / h.CONFIG)
    done = h.run_process(second, "render", jobs=2)
    assert done.code == 0, done.stderr
    assert outputs(first) == outputs(second)


# --- streams ----------------------------------------------------------------------------------


def test_streams_start_and_end_at_the_baseline(tmp_path: Path, sqlite_db: dbs.SQLiteDB) -> None:
    root = project(tmp_path, dialects=("sqlite",))
    ok(root, "render")
    up = ok(root, "render", "--stdout").stdout.decode("utf-8")
    assert f"upgrade 0003 {C3}" in up and f"upgrade 0004 {D4}" in up
    assert A1 not in up and f"[{B2}] but found" in up
    down = ok(root, "render", "--stdout", "--downgrade").stdout.decode("utf-8")
    assert f"downgrade 0003 {C3}" in down and f"downgrade 0002 {B2}" not in down
    sp.apply_ok(sqlite_db, root / h.OUT / "sqlite" / "baseline.sql")
    sp.apply_ok(sqlite_db, up)
    assert sp.version_rows(sqlite_db) == [D4]
    sp.apply_ok(sqlite_db, down)
    assert sp.version_rows(sqlite_db) == [B2]
    done = h.run(root, "render", "--stdout", "--from", A1)
    assert done.code == 2
    assert done.errors() == [f"error: the range includes revision {B2}, which the baseline "
                             f"{B2} covers: revisions up to the baseline have no SQL"]
    assert f"hint: start (or, downgrading, end) at the baseline or after it: --from {B2}" \
        in done.stderr


# --- graphs: a branch point, and an order that interleaves ----------------------------------------


def test_a_branch_point_as_baseline(tmp_path: Path, sqlite_db: dbs.SQLiteDB) -> None:
    scripts = {
        "a1.py": h.script(A1, None, 'op.create_table("t", sa.Column("id", sa.Integer, '
                                    'primary_key=True))', 'op.drop_table("t")'),
        "b2.py": h.script(B2, A1, 'op.create_table("u", sa.Column("id", sa.Integer, '
                                  'primary_key=True))', 'op.drop_table("u")'),
        "c3.py": h.script(C3, B2, 'op.create_table("v", sa.Column("id", sa.Integer, '
                                  'primary_key=True))', 'op.drop_table("v")'),
        "d4.py": h.script(D4, B2, 'op.create_table("w", sa.Column("id", sa.Integer, '
                                  'primary_key=True))', 'op.drop_table("w")'),
    }
    root = project(tmp_path, scripts, dialects=("sqlite",))
    ok(root, "render")
    names = files(root, "sqlite", "upgrade")
    assert [n.split("_")[1] for n in names] == [C3, D4]
    sp.apply_ok(sqlite_db, root / h.OUT / "sqlite" / "baseline.sql")
    for name in names:
        sp.apply_ok(sqlite_db, root / h.OUT / "sqlite" / "upgrade" / name)
    assert sp.version_rows(sqlite_db) == [C3, D4]
    assert sqlite_db.tables() == ["sqlcompile_version", "t", "u", "v", "w"]


def test_revisions_outside_the_baseline_that_came_before_it_follow_it(
        tmp_path: Path, sqlite_db: dbs.SQLiteDB) -> None:
    """a1 has two children; the graph order takes b9 (a sibling branch) before the baseline's
    own branch, so with the baseline z3 it moves after it and gets its files there."""
    side, mid, top = "b9b9b9b9b9b9", "z2z2z2z2z2z2", "z3z3z3z3z3z3"
    scripts = {
        "a1.py": h.script(A1, None, 'op.create_table("t", sa.Column("id", sa.Integer, '
                                    'primary_key=True))', 'op.drop_table("t")'),
        "b9.py": h.script(side, A1, 'op.create_table("side", sa.Column("id", sa.Integer, '
                                    'primary_key=True))', 'op.drop_table("side")'),
        "z2.py": h.script(mid, A1, 'op.add_column("t", sa.Column("x", sa.Integer))',
                          'op.drop_column("t", "x")'),
        "z3.py": h.script(top, mid, 'op.create_index("ix_t_x", "t", ["x"])',
                          'op.drop_index("ix_t_x", "t")'),
    }
    whole = project(tmp_path / "whole", scripts, baseline=None, dialects=("sqlite",))
    ok(whole, "render")
    assert [n.split("_")[1] for n in files(whole, "sqlite", "upgrade")] == [A1, side, mid, top]
    root = project(tmp_path / "adopted", scripts, baseline=top, dialects=("sqlite",))
    ok(root, "render")
    assert files(root, "sqlite", "upgrade") == [f"0004_{side}_revision_{side}.sql"]
    text = (root / h.OUT / "sqlite" / "upgrade" / files(root, "sqlite", "upgrade")[0]).read_text()
    assert f"holds [{top}]; leaves [{side}, {top}]" in text
    sp.apply_ok(sqlite_db, root / h.OUT / "sqlite" / "baseline.sql")
    sp.apply_ok(sqlite_db, root / h.OUT / "sqlite" / "upgrade" / files(root, "sqlite",
                                                                        "upgrade")[0])
    assert sp.version_rows(sqlite_db) == [side, top]
    assert sqlite_db.tables() == ["side", "sqlcompile_version", "t"]


# --- the failure report suggests a baseline -------------------------------------------------------

E5, F6 = "e5e5e5e5e5e5", "f6f6f6f6f6f6"


def _long_history(failing: str) -> dict[str, str]:
    """Six revisions, each adding a table; ``failing`` reads rows (which needs a database)."""
    revs = [A1, B2, C3, D4, E5, F6]
    scripts = {}
    for index, rev in enumerate(revs):
        body = f'op.create_table("t{index}", sa.Column("id", sa.Integer, primary_key=True))'
        if rev == failing:
            body += '\nop.get_bind().execute(sa.text("SELECT 1")).fetchall()'
        scripts[f"{rev[:2]}.py"] = h.script(rev, revs[index - 1] if index else None, body,
                                            f'op.drop_table("t{index}")')
    return scripts


def test_failures_early_in_the_history_suggest_a_baseline(tmp_path: Path) -> None:
    root = project(tmp_path, _long_history(B2), baseline=None, dialects=("sqlite",))
    done = h.run(root, "render")
    assert done.code == 2
    assert (f'  hint: if every database is already at revision {B2} or later, set baseline = '
            f'"{B2}" in sqlcompile.toml (or pass --baseline {B2}): the 2 revision(s) up to it '
            "then get no files") in done.stderr
    followed = ok(root, "render", "--baseline", B2)
    assert "schema model may be incomplete" in followed.stderr


def test_late_failures_suggest_no_baseline(tmp_path: Path) -> None:
    root = project(tmp_path, _long_history(E5), baseline=None, dialects=("sqlite",))
    done = h.run(root, "render")
    assert done.code == 2
    assert "baseline" not in done.stderr


def test_the_head_as_baseline_leaves_only_baseline_sql(tmp_path: Path,
                                                       sqlite_db: dbs.SQLiteDB) -> None:
    root = project(tmp_path, baseline=D4, dialects=("sqlite",))
    ok(root, "render")
    assert files(root, "sqlite", "upgrade") == [] and files(root, "sqlite", "downgrade") == []
    assert "SQL files up to date" in ok(root, "check").stderr
    sp.apply_ok(sqlite_db, root / h.OUT / "sqlite" / "baseline.sql")
    assert sp.version_rows(sqlite_db) == [D4]
    assert sqlite_db.tables() == ["account", "comment", "post", "sqlcompile_version"]
    stream = ok(root, "render", "--stdout").stdout.decode("utf-8")
    assert "-- migrations: 0" in stream


# --- the dev loop -----------------------------------------------------------------------------


def test_the_dev_loop_creates_an_empty_database_at_the_baseline(
        tmp_path: Path, pg_db: dbs.PostgresDB) -> None:
    """`sqlcompile upgrade --url` on an empty database does what baseline.sql then the later
    files do: the covered revisions are not run (they may not compile offline)."""
    root = project(tmp_path, dialects=("postgresql",))
    done = ok(root, "upgrade", "--url", pg_db.url)
    assert f"baseline {B2}: the schema at the baseline, created" in done.stderr
    assert sp.version_rows(pg_db) == [D4]
    assert sorted(pg_db.tables()) == sorted(["account", "comment", "post", sp.VERSION_TABLE])
    assert pg_db.query("SELECT email FROM account") == [("a@example.org",)]  # C3 ran
    ok(root, "downgrade", B2, "--url", pg_db.url)
    assert sp.version_rows(pg_db) == [B2]
    assert sorted(pg_db.tables()) == sorted(["account", "post", sp.VERSION_TABLE])
    pg_db.query("DELETE FROM account")  # (C3's downgrade leaves the row it inserted)
    ok(root, "upgrade", "--url", pg_db.url)  # not empty now: from B2 on
    assert sp.version_rows(pg_db) == [D4]
