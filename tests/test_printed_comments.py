"""What a script prints from upgrade()/downgrade() is a comment in its revision's file.

Alembic's `upgrade --sql` puts what a script prints into the SQL stream, and histories use it
to tell the DBA what to do by hand (`if context.is_offline_mode(): print(...); return`).
sqlcompile keeps each printed line as a `-- printed by the script: ` comment where it was
printed, warns once per compiled function, and still echoes the text on stderr. A printed line
can never end its comment or run: the hostile lines below are applied to real servers.
"""

from __future__ import annotations

from pathlib import Path

import dbs
import histories as hs
import pytest
from helpers import compile_body_of

from sqlcompile.dialects import get_dialect, known_dialects
from sqlcompile.pipeline.compiler import Body, split_sql

PREFIX = "-- printed by the script: "
WARNING = ("the script printed {n} line(s) while compiling; they are comments in the file, "
           "not statements: check whether they ask for something done by hand")


def hostile(marker: Path) -> str:
    """Text that would end a comment, add a statement or run a client command if it were
    copied into the file as it is (``marker`` is created by any command that runs)."""
    return "\n".join([
        "\r-- x",
        "DROP TABLE keep;",
        "nul\x00here; DROP TABLE keep;",
        "*/ DROP TABLE keep; /*",
        f"\\! touch {marker}",
        f".shell touch {marker}",
        f".system touch {marker}",
        "\\q",
        "GO",
        "/",
        "bidi \u202e sep \u2028 para \u2029 nel \x85 esc \x1b[2J del \x7f",
        "ends with a backslash \\",
    ])


#: How the file shows each line of :func:`hostile` (after the prefix), ``{m}`` the marker.
SHOWN = [
    "\\r-- x",
    "DROP TABLE keep;",
    "nul\\x00here; DROP TABLE keep;",
    "*/ DROP TABLE keep; /*",
    "\\! touch {m}",
    ".shell touch {m}",
    ".system touch {m}",
    "\\q",
    "GO",
    "/",
    "bidi \\u202e sep \\u2028 para \\u2029 nel \\x85 esc \\x1b[2J del \\x7f",
    "ends with a backslash \\",
]

UPGRADE = """\
op.create_table("keep", sa.Column("id", sa.Integer, primary_key=True))
print({text!r})
op.add_column("keep", sa.Column("note", sa.String(20)))
"""


def comments(body: Body) -> list[str]:
    """Every comment-only entry's lines and every statement's first word, in order."""
    out: list[str] = []
    for segment in body.segments:
        for statement in segment.statements:
            if statement.sql:
                out.append(statement.sql.split()[0] + " " + statement.sql.split()[2])
            else:
                out += [f"-- {c}" for c in statement.comments]
    return out


def printed_lines(text: str) -> list[str]:
    """What the file says the script printed, line by line (an empty line has no space)."""
    return [line[len(PREFIX):] for line in text.splitlines()
            if line.startswith(PREFIX.rstrip())]


def without_comments(text: str, dialect: str) -> list[str]:
    """The statements of a file as its client cuts them, comment lines left out."""
    return ["\n".join(line for line in chunk.sql.splitlines() if not line.startswith("--"))
            for chunk in split_sql(text, get_dialect(dialect))]


# -- where the lines go ----------------------------------------------------------------------

def test_lines_are_comments_between_the_ops_where_they_were_printed(tmp_path: Path) -> None:
    body = compile_body_of("""\
        import sys
        print("before anything")
        op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))
        print("two", "words", sep="-")
        print("first line\\nsecond line")
        sys.stdout.write("begun before the op, ")
        op.create_index("ix_t_id", "t", ["id"])
        sys.stdout.write("ended after it\\n")
        print()
        sys.stdout.write("no line feed at the end")
        """, "postgresql", tmp_path=tmp_path)
    assert comments(body) == [
        "-- printed by the script: before anything",
        "CREATE t",
        "-- printed by the script: two-words",
        "-- printed by the script: first line",
        "-- printed by the script: second line",
        "-- printed by the script: begun before the op, ended after it",
        "CREATE ix_t_id",
        "-- printed by the script:",
        "-- printed by the script: no line feed at the end",
    ]
    assert body.warnings == (f"migrations/versions/aaaaaaaaaaaa_test.py:13: "
                             f"{WARNING.format(n=7)}",)


def test_a_script_that_prints_nothing_has_no_comment_and_no_warning(tmp_path: Path) -> None:
    body = compile_body_of('op.create_table("t", sa.Column("id", sa.Integer))', "sqlite",
                           tmp_path=tmp_path)
    assert comments(body) == ["CREATE t"]
    assert body.warnings == ()


def test_lines_printed_in_a_batch_block_follow_it_and_keep_one_sqlite_rebuild(
        tmp_path: Path) -> None:
    setup = 'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), ' \
            'sa.Column("a", sa.Integer))'
    batch = compile_body_of("""\
        with op.batch_alter_table("t") as batch_op:
            batch_op.alter_column("a", nullable=False, existing_type=sa.Integer())
            print("inside the block")
            batch_op.drop_column("a")
        print("after the block")
        """, "sqlite", tmp_path=tmp_path / "batch", setup=setup)
    text = comments(batch)
    assert sum(1 for line in text if line.startswith("DROP t")) == 1  # one rebuild
    assert text[-2:] == ["-- printed by the script: inside the block",
                         "-- printed by the script: after the block"]
    # Outside batch mode two changes of one table are one rebuild too, a print between them
    # or not: the comment follows the rebuild.
    plain = compile_body_of("""\
        op.alter_column("t", "a", nullable=False, existing_type=sa.Integer())
        print("between")
        op.create_check_constraint("ck_a", "t", "a > 0")
        """, "sqlite", tmp_path=tmp_path / "plain", setup=setup)
    text = comments(plain)
    assert sum(1 for line in text if line.startswith("DROP t")) == 1
    assert text[-1] == "-- printed by the script: between"


def test_a_line_printed_in_an_autocommit_block_stays_in_it(tmp_path: Path) -> None:
    body = compile_body_of("""\
        with op.get_context().autocommit_block():
            op.create_index("ix_t_a", "t", ["a"], postgresql_concurrently=True)
            print("inside")
        print("outside")
        op.add_column("t", sa.Column("b", sa.Integer))
        """, "postgresql", tmp_path=tmp_path,
        setup='op.create_table("t", sa.Column("a", sa.Integer))')
    assert [(segment.kind, [s.sql.split(" ")[0] or s.comments[-1] for s in segment.statements])
            for segment in body.segments] == [
        ("autocommit", ["CREATE", "printed by the script: inside"]),
        ("transaction", ["printed by the script: outside", "ALTER"]),
    ]


def test_a_script_may_use_standard_output_as_a_stream(tmp_path: Path) -> None:
    """What scripts do with sys.stdout besides print() still works: flush, the encoding, a
    binary write (echoed on stderr only), a redirect of their own."""
    body = compile_body_of("""\
        import contextlib, io, sys
        sys.stdout.flush()
        assert sys.stdout.writable() and sys.stdout.encoding
        sys.stdout.buffer.write(b"BYTES ARE ECHOED ONLY\\n")
        with contextlib.redirect_stdout(io.StringIO()):
            print("CAPTURED BY THE SCRIPT")
        print("kept", flush=True)
        op.create_table("t", sa.Column("id", sa.Integer))
        """, "sqlite", tmp_path=tmp_path)
    assert comments(body) == ["-- printed by the script: kept", "CREATE t"]


def test_offline_mode_instructions_are_the_file_and_printing_at_import_is_not(
        tmp_path: Path) -> None:
    """The pattern of real histories: offline, print what to do by hand and return."""
    hs.write(tmp_path, {"a1_keys.py": hs.script("a1", None, top=(
        "from alembic import context\n"
        "print('IMPORT-TIME')"), upgrade="""\
        if context.is_offline_mode():
            print("/* copy the serpapi keys by hand: UPDATE tool_providers SET ... */")
            return
        op.get_bind().execute(sa.text("SELECT 1")).fetchall()
        """)}, ["postgresql", "mysql"])
    done = hs.run(tmp_path, "render")
    assert done.code == 0, done.stderr
    for dialect in ("postgresql", "mysql"):
        (path,) = (tmp_path / hs.OUT / dialect / "upgrade").glob("*.sql")
        text = path.read_text(encoding="utf-8")
        assert printed_lines(text) == [
            "/* copy the serpapi keys by hand: UPDATE tool_providers SET ... */"]
        assert "IMPORT-TIME" not in text
        warned = [line for line in done.stderr.splitlines()
                  if line.startswith(f"warning: {dialect}: ") and WARNING.format(n=1) in line]
        assert len(warned) == 1
        assert f"{path.relative_to(tmp_path).as_posix()}: migrations/versions/a1_keys.py:" \
            in warned[0]
    assert done.stderr.count(WARNING.format(n=1)) == 2
    assert "/* copy the serpapi keys by hand" in done.stderr  # still echoed
    assert "IMPORT-TIME" in done.stderr


def test_hand_written_sql_replaces_the_script_and_its_prints(tmp_path: Path) -> None:
    hs.write(tmp_path, {"a1_x.py": hs.script("a1", None, upgrade="""\
        print("DO THIS BY HAND")
        op.create_table("t", sa.Column("id", sa.Integer))
        """)}, ["sqlite"])
    folder = tmp_path / "migrations" / "sql" / "sqlite"
    folder.mkdir(parents=True)
    (folder / "a1.upgrade.sql").write_text("CREATE TABLE t (id INTEGER);\n", encoding="utf-8")
    done = hs.run(tmp_path, "render")
    assert done.code == 0, done.stderr
    (path,) = (tmp_path / hs.OUT / "sqlite" / "upgrade").glob("*.sql")
    assert "DO THIS BY HAND" not in path.read_text(encoding="utf-8")
    assert WARNING.format(n=1) not in done.stderr


# -- hostile lines ---------------------------------------------------------------------------

@pytest.mark.parametrize("dialect", sorted(known_dialects()))
def test_hostile_lines_stay_one_comment_line_each_on_every_dialect(tmp_path: Path,
                                                                  dialect: str) -> None:
    marker = tmp_path / "ran"
    quiet = tmp_path / "quiet"
    for root, body in ((tmp_path, UPGRADE.format(text=hostile(marker))),
                       (quiet, UPGRADE.format(text=""))):
        root.mkdir(exist_ok=True)
        hs.write(root, {"a1_x.py": hs.script("a1", None, upgrade=body)}, [dialect])
        done = hs.run(root, "render")
        assert done.code == 0, done.stderr
    (loud_file,) = (tmp_path / hs.OUT / dialect / "upgrade").glob("*.sql")
    (quiet_file,) = (quiet / hs.OUT / dialect / "upgrade").glob("*.sql")
    loud, calm = (p.read_bytes().decode("utf-8") for p in (loud_file, quiet_file))
    assert printed_lines(loud) == [line.format(m=marker) for line in SHOWN]
    assert printed_lines(calm) == [""]  # print("") is one empty line
    assert "\r" not in loud and "\x00" not in loud and "\u2028" not in loud
    # The client cuts the file into the same statements, printed lines or not.
    assert without_comments(loud, dialect) == without_comments(calm, dialect)


def _hostile_project(root: Path, dialect: str, marker: Path) -> Path:
    hs.write(root, {"a1_x.py": hs.script("a1", None,
                                         upgrade=UPGRADE.format(text=hostile(marker)))},
             [dialect])
    done = hs.run(root, "render")
    assert done.code == 0, done.stderr
    (path,) = (root / hs.OUT / dialect / "upgrade").glob("*.sql")
    return path


@pytest.mark.parametrize(("fixture", "dialect"), [("pg_db", "postgresql"),
                                                  ("sqlite_db", "sqlite"),
                                                  ("mariadb_db", "mariadb")])
def test_hostile_lines_run_nothing_on_a_real_server(tmp_path: Path, fixture: str, dialect: str,
                                                    request: pytest.FixtureRequest) -> None:
    db: dbs.ScratchDB = request.getfixturevalue(fixture)
    marker = tmp_path / "ran"
    path = _hostile_project(tmp_path / "project", dialect, marker)
    dbs.apply_ok(db, path)
    assert not marker.exists()  # no client command ran
    assert db.query("SELECT COUNT(*) FROM keep") == [(0,)]  # DROP TABLE keep did not run
    db.query("SELECT note FROM keep")  # the statement after the print ran
    assert db.query("SELECT version_num FROM sqlcompile_version") == [("a1",)]


# -- the same bytes with forked workers --------------------------------------------------------

def test_forked_workers_write_the_same_files(tmp_path: Path) -> None:
    scripts = {}
    down = None
    for number in range(1, 7):
        rev = f"r{number}"
        scripts[f"{rev}_x.py"] = hs.script(rev, down, upgrade=f"""\
            print("up {number}: line one\\nline two")
            op.create_table("t{number}", sa.Column("id", sa.Integer, primary_key=True))
            print("up {number} done")
            """, downgrade=f"""\
            print("down {number}")
            op.drop_table("t{number}")
            """)
        down = rev
    files: list[dict[str, bytes]] = []
    for jobs in (1, 2):
        root = tmp_path / f"jobs{jobs}"
        hs.write(root, scripts, ["postgresql", "sqlite"])
        done = hs.run_process(root, "render", jobs=jobs)
        assert done.code == 0, done.stderr
        assert done.stderr.count(WARNING.format(n=3)) == 12  # per revision and dialect
        assert done.stderr.count(WARNING.format(n=1)) == 12
        out = root / hs.OUT
        files.append({p.relative_to(out).as_posix(): p.read_bytes()
                      for p in sorted(out.rglob("*.sql"))})
    assert files[0] == files[1]
    assert any(b"-- printed by the script: down 3" in blob for blob in files[0].values())
