"""Messages found by compiling real histories: each says what the script did and what to do.

Reading rows through an ORM session or a result names the read (not a Session internal); a
revision after one that failed names the failed one as why the model lacks something;
reflecting a table whose foreign key targets a table the model lacks names that table.
"""

from __future__ import annotations

from pathlib import Path

import histories as h
import pytest
from helpers import REVISION, compile_body_of, script_source

from sqlcompile.errors import CompileError, LiveDatabaseRequired, ScriptError

SESSION = "from sqlalchemy import orm"

#: name -> (body, what the message names); the read is on the line marked `# READ`.
ROW_READS = {
    "query_all": ("""
        session = orm.Session(bind=op.get_bind())
        rows = session.query(sa.table("t", sa.column("id"))).all()  # READ
    """, "(session.query(...).all())"),
    "query_count": ("""
        session = orm.Session(bind=op.get_bind())
        n = session.query(sa.table("t", sa.column("id"))).count()  # READ
    """, "(session.query(...).count())"),
    "query_iterated": ("""
        session = orm.Session(bind=op.get_bind())
        for row in session.query(sa.table("t", sa.column("id"))):  # READ
            pass
    """, "(iterating session.query(...))"),
    "session_select": ("""
        session = orm.Session(bind=op.get_bind())
        rows = session.execute(sa.select(sa.table("t", sa.column("id")))).all()  # READ
    """, "(a SELECT through session.execute(): `SELECT t.id FROM t`)"),
    "session_scalars": ("""
        session = orm.Session(bind=op.get_bind())
        ids = session.scalars(sa.text("SELECT id FROM t")).all()  # READ
    """, "(a SELECT through session.scalars(): `SELECT id FROM t`)"),
    "fetchall": ("""
        rows = op.get_bind().execute(sa.text("SELECT id FROM t")).fetchall()  # READ
    """, "(fetchall() of `SELECT id FROM t`)"),
    "scalar": ("""
        n = op.get_bind().execute(sa.text("SELECT count(*) FROM t")).scalar()  # READ
    """, "(scalar() of `SELECT count(*) FROM t`)"),
    "first": ("""
        row = op.get_bind().execute(sa.text("SELECT id FROM t")).first()  # READ
    """, "(first() of `SELECT id FROM t`)"),
    "select_iterated": ("""
        bind = op.get_bind()
        for row in bind.execute(sa.select(sa.table("t", sa.column("id")))):  # READ
            pass
    """, "(iterating the result of `SELECT t.id FROM t`)"),
    "connection_scalar": ("""
        n = op.get_bind().scalar(sa.text("SELECT count(*) FROM t"))  # READ
    """, "(connection.scalar() of `SELECT count(*) FROM t`)"),
}


def marked(body: str, imports: str = SESSION) -> int:
    """The script line of the `# READ` marker (helpers.script_source puts the body after
    its imports)."""
    lines = script_source(body, imports=imports).splitlines()
    return next(i for i, line in enumerate(lines, 1) if "# READ" in line)


@pytest.mark.parametrize("name", sorted(ROW_READS))
def test_reading_rows_names_the_read(name: str, tmp_path: Path) -> None:
    body, named = ROW_READS[name]
    with pytest.raises(LiveDatabaseRequired) as info:
        compile_body_of(body, "postgresql", tmp_path=tmp_path, imports=SESSION)
    exc = info.value
    message = str(exc).splitlines()[0]
    assert f"the revision reads rows from the database {named}, which needs a live database" \
        in message
    assert "in_transaction" not in message
    assert exc.line == marked(body)
    assert f"migrations/sql/postgresql/{REVISION}.upgrade.sql" in (exc.hint or "")


def test_writing_through_a_session_says_so_and_points_at_op_execute(tmp_path: Path) -> None:
    body = """
        session = orm.Session(bind=op.get_bind())
        session.execute(sa.update(sa.table("t", sa.column("a"))).values(a=1))  # READ
    """
    with pytest.raises(LiveDatabaseRequired) as info:
        compile_body_of(body, "sqlite", tmp_path=tmp_path, imports=SESSION)
    exc = info.value
    assert str(exc).splitlines()[0].endswith(
        "the revision runs statements through an ORM session (session.execute(): "
        "`UPDATE t SET a=:a`), which needs a live database connection; offline compilation "
        "has none")
    assert exc.line == marked(body)
    assert "op.execute(sa.update(...))" in (exc.hint or "")
    assert f"migrations/sql/sqlite/{REVISION}.upgrade.sql" in (exc.hint or "")


def test_a_recorded_select_nobody_reads_still_compiles(tmp_path: Path) -> None:
    body = compile_body_of('op.get_bind().execute(sa.text("SELECT setval(\'s\', 5)"))',
                           "postgresql", tmp_path=tmp_path)
    assert [s.sql for seg in body.segments for s in seg.statements] == ["SELECT setval('s', 5)"]


# -- a revision after one that failed ----------------------------------------------------------

A1, B2, C3 = "a1a1a1a1a1a1", "b2b2b2b2b2b2", "c3c3c3c3c3c3"

CREATE = h.script(A1, None, """
    op.create_table("latest_metrics", sa.Column("id", sa.Integer, primary_key=True))
""", 'op.drop_table("latest_metrics")')

#: Adds a column, then reads rows: offline it fails, and the model never gets the column.
FAILS = h.script(B2, A1, """
    op.add_column("latest_metrics", sa.Column("is_nan", sa.Boolean, nullable=True))
    op.get_bind().execute(sa.text("SELECT id FROM latest_metrics")).fetchall()
""", 'op.drop_column("latest_metrics", "is_nan")')

#: MySQL's MODIFY restates the column, which only the failed revision would have told.
LATER = h.script(C3, B2, """
    op.alter_column("latest_metrics", "is_nan", nullable=False)
""", 'op.alter_column("latest_metrics", "is_nan", nullable=True)')


def test_a_later_revision_names_the_failed_one(tmp_path: Path) -> None:
    root = h.write(tmp_path, {"a1.py": CREATE, "b2.py": FAILS, "c3.py": LATER}, ["mariadb"])
    result = h.run(root, "render")
    assert result.code == 2, result.stderr
    later = [e for e in result.errors() if "c3.py" in e]
    assert len(later) == 2, result.stderr  # upgrade and downgrade
    for error in later:
        assert ("the schema model does not know column latest_metrics.is_nan (revision "
                f"{B2} failed above, so the schema model lacks what it makes)") in error
        assert "raw SQL" not in error


def test_without_a_failure_the_model_gap_is_still_raw_sql(tmp_path: Path) -> None:
    alone = LATER.replace(f"down_revision = {B2!r}", f"down_revision = {A1!r}")
    root = h.write(tmp_path, {"a1.py": CREATE, "c3.py": alone}, ["mariadb"])
    errors = h.run(root, "render").errors()
    assert len(errors) == 2, errors
    assert all("latest_metrics.is_nan (created by raw SQL?)" in e for e in errors)


def test_error_classes_stay_user_errors() -> None:
    assert issubclass(LiveDatabaseRequired, ScriptError)
    assert not issubclass(CompileError, LiveDatabaseRequired)


# -- reflection reaching a table the model lacks -----------------------------------------------

DATASETS = """
    op.create_table("datasets", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("experiment_id", sa.Integer, sa.ForeignKey("experiments.id")))
"""


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_reflecting_a_foreign_key_target_the_model_lacks_names_it(dialect: str,
                                                                  tmp_path: Path) -> None:
    body = """
        datasets = sa.Table("datasets", sa.MetaData(), autoload_with=op.get_bind())  # READ
        op.drop_column("datasets", "experiment_id")
    """
    with pytest.raises(ScriptError) as info:
        compile_body_of(body, dialect, tmp_path=tmp_path, setup=DATASETS)
    exc = info.value
    assert exc.message == (
        "upgrade() failed: table `experiments` is not in the schema model (reflecting "
        "`datasets` follows its foreign key to it): it was created outside this history, or "
        "by a revision that failed or raw SQL the model could not follow (NoSuchTableError)")
    assert exc.line == marked(body, imports="")
    assert "create `experiments` in an earlier revision" in (exc.hint or "")
    assert 'resolve_fks=False to sa.Table("datasets", ...)' in (exc.hint or "")


def test_reflection_that_does_not_follow_foreign_keys_compiles(tmp_path: Path) -> None:
    body = """
        datasets = sa.Table("datasets", sa.MetaData(), autoload_with=op.get_bind(),
                            resolve_fks=False)
        op.drop_column("datasets", datasets.c.experiment_id.name)
    """
    assert [s.sql for seg in compile_body_of(body, "postgresql", tmp_path=tmp_path,
                                             setup=DATASETS).segments
            for s in seg.statements] == ["ALTER TABLE datasets DROP COLUMN experiment_id"]


def test_a_missing_table_is_still_catchable_as_no_such_table(tmp_path: Path) -> None:
    body = """
        try:
            sa.Table("experiments", sa.MetaData(), autoload_with=op.get_bind())
        except sa.exc.NoSuchTableError:
            op.create_table("experiments", sa.Column("id", sa.Integer, primary_key=True))
    """
    sql = [s.sql for seg in compile_body_of(body, "sqlite", tmp_path=tmp_path).segments
           for s in seg.statements]
    assert len(sql) == 1 and sql[0].startswith("CREATE TABLE experiments")


def test_reflecting_the_table_itself_after_a_failed_revision_names_it(tmp_path: Path) -> None:
    reflect = h.script(C3, B2, """
        t = sa.Table("datasets", sa.MetaData(), autoload_with=op.get_bind())
    """)
    creates_and_fails = h.script(B2, A1, """
        op.create_table("datasets", sa.Column("id", sa.Integer, primary_key=True))
        op.get_bind().execute(sa.text("SELECT 1")).scalar()
    """, 'op.drop_table("datasets")')
    root = h.write(tmp_path, {"a1.py": CREATE, "b2.py": creates_and_fails, "c3.py": reflect},
                   ["postgresql"])
    later = [e for e in h.run(root, "render").errors() if "c3.py" in e]
    assert later and all(
        f"table `datasets` is not in the schema model: revision {B2} failed above, so the "
        "schema model lacks what it makes" in e for e in later), later


# -- the project's own package: prepend_sys_path ------------------------------------------------

def own_package(root: Path, package: str) -> None:
    """``root/src/<package>``: a helper module the scripts import, as real projects do."""
    folder = root / "src" / package
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("", encoding="utf-8")
    (folder / "names.py").write_text('TABLE = "widgets"\n', encoding="utf-8")
    # Imported first inside upgrade(): it notes which process imported it.
    (folder / "late.py").write_text(
        "import os, pathlib\n"
        "pathlib.Path(__file__).with_name(f'pid-{os.getpid()}').touch()\n"
        'TABLE = "widgets"\n', encoding="utf-8")


def importing_history(package: str, count: int = 1) -> dict[str, str]:
    """Revisions importing ``package``: the first at module level, the others in upgrade()."""
    revisions = [f"{i:012x}" for i in range(1, count + 1)]
    scripts = {"r1.py": h.script(revisions[0], None, f"""
        op.create_table({package}.names.TABLE, sa.Column("id", sa.Integer, primary_key=True))
    """, f"op.drop_table({package}.names.TABLE)", top=f"import {package}.names")}
    for i, rev in enumerate(revisions[1:], 2):
        scripts[f"r{i}.py"] = h.script(rev, revisions[i - 2], f"""
            from {package}.late import TABLE
            op.add_column(TABLE, sa.Column("c{i}", sa.Integer))
        """, f'op.drop_column("widgets", "c{i}")')
    return scripts


def test_an_unimportable_own_package_names_prepend_sys_path(tmp_path: Path) -> None:
    own_package(tmp_path, "h_pkg_missing")
    root = h.write(tmp_path, importing_history("h_pkg_missing"), ["sqlite"])
    result = h.run(root, "render")
    assert result.code == 2
    assert "No module named 'h_pkg_missing'" in result.stderr
    assert ('hint: install the package that provides `h_pkg_missing` where sqlcompile runs '
            '(a plugin the script uses, or a dependency of the project); if it is the '
            'project\'s own package, put its folder on the path: prepend_sys_path = ["."] in '
            'the config (folders relative to the config file, as in alembic.ini), or '
            'PYTHONPATH') in result.stderr


def test_prepend_sys_path_lets_scripts_import_the_project(tmp_path: Path) -> None:
    import sys

    own_package(tmp_path, "h_pkg_inproc")
    root = h.write(tmp_path, importing_history("h_pkg_inproc", 2), ["sqlite"],
                   'prepend_sys_path = ["src"]\n')
    before = list(sys.path)
    result = h.run(root, "render")
    assert result.code == 0, result.stderr
    assert sys.path == before  # only while the project's code runs
    out = sorted((root / h.OUT / "sqlite" / "upgrade").glob("*.sql"))
    assert len(out) == 2 and "CREATE TABLE widgets" in out[0].read_text(encoding="utf-8")


def test_prepend_sys_path_reaches_forked_workers(tmp_path: Path) -> None:
    own_package(tmp_path, "h_pkg_forked")
    root = h.write(tmp_path, importing_history("h_pkg_forked", 6), ["sqlite"],
                   'prepend_sys_path = ["src"]\n')
    result = h.run_process(root, "render", jobs=2)
    assert result.code == 0, result.stderr
    assert len(list((root / h.OUT / "sqlite" / "upgrade").glob("*.sql"))) == 6
    # the parent and a worker each imported the module the revisions import in upgrade()
    assert len(list((tmp_path / "src" / "h_pkg_forked").glob("pid-*"))) == 2


@pytest.mark.parametrize("value", ['""', "[1]", '[""]', "{}"])
def test_prepend_sys_path_must_be_folders(value: str, tmp_path: Path) -> None:
    from sqlcompile.config import load_config
    from sqlcompile.errors import ConfigError

    (tmp_path / "sqlcompile.toml").write_text(f"prepend_sys_path = {value}\n",
                                              encoding="utf-8")
    with pytest.raises(ConfigError, match="`prepend_sys_path` must be a list of folders") \
            as info:
        load_config(tmp_path / "sqlcompile.toml")
    assert info.value.hint == 'for example: prepend_sys_path = ["."]'


def test_prepend_sys_path_is_relative_to_the_config(tmp_path: Path) -> None:
    from sqlcompile.config import load_config

    (tmp_path / "sqlcompile.toml").write_text('prepend_sys_path = [".", "src", "/opt/x"]\n',
                                              encoding="utf-8")
    config = load_config(tmp_path / "sqlcompile.toml")
    assert config.prepend_sys_path == (".", "src", "/opt/x")
    assert config.sys_path_dirs == (tmp_path.resolve(), tmp_path.resolve() / "src",
                                    Path("/opt/x"))


# -- dialect.name under the mariadb target ------------------------------------------------------

NAME_WARNING = ("the script compares dialect.name with 'mysql'; for the mariadb target it is "
                "'mariadb' (as with a mariadb:// url): set url = \"mysql://...\" for this "
                "environment if your MariaDB is reached by mysql:// URLs")

#: name -> a body whose MySQL-only step is on the line marked `# STEP`.
COMPARISONS = {
    "equal": 'if op.get_bind().dialect.name == "mysql":  # STEP',
    "not_equal": 'if op.get_bind().dialect.name != "mysql":  # STEP',
    "tuple": 'if op.get_bind().dialect.name in ("mysql", "postgresql"):  # STEP',
    "list": 'if op.get_bind().dialect.name in ["postgresql", "mysql"]:  # STEP',
    "set": 'if op.get_bind().dialect.name in {"mssql", "mysql"}:  # STEP',
    "startswith": 'if op.get_bind().dialect.name.startswith("mysql"):  # STEP',
    "substring": 'if "mysql" in op.get_bind().dialect.name:  # STEP',
    "lowered": 'if op.get_bind().dialect.name.lower() == "MySQL".lower():  # STEP',
    "engine": 'if op.get_bind().engine.name == "mysql":  # STEP',
    "context": 'if op.get_context().dialect.name == "mysql":  # STEP',
}


def compared(condition: str) -> str:
    return f"""
        op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))
        {condition}
            op.execute("ALTER TABLE t ENGINE=InnoDB")
        if op.get_bind().dialect.name == "mysql":
            op.execute("ALTER TABLE t COMMENT 'twice'")
    """


@pytest.mark.parametrize("name", sorted(COMPARISONS))
def test_comparing_the_mariadb_name_with_mysql_warns_once(name: str, tmp_path: Path) -> None:
    body = compared(COMPARISONS[name])
    compiled = compile_body_of(body, "mariadb", tmp_path=tmp_path)
    line = marked(body.replace("# STEP", "# READ"), imports="")
    assert compiled.warnings == (
        f"migrations/versions/{REVISION}_test.py:{line}: {NAME_WARNING}",)


@pytest.mark.parametrize("condition", [
    'if op.get_bind().dialect.name in ("mysql", "mariadb"):',
    'if op.get_bind().dialect.name in {"mariadb", "mysql"}:',
    'if op.get_bind().dialect.name == "mariadb":',
    'if op.get_bind().dialect.name == "postgresql":',
])
def test_a_script_that_knows_both_names_hears_nothing(condition: str, tmp_path: Path) -> None:
    body = f"""
        {condition}
            op.execute("ALTER TABLE t ENGINE=InnoDB")
        sa.Enum("a", "b", name="kind").create(op.get_bind(), checkfirst=True)
        op.create_table("t", sa.Column("id", sa.Integer, primary_key=True),
                        mysql_engine="InnoDB", mariadb_charset="utf8mb4")
    """
    assert compile_body_of(body, "mariadb", tmp_path=tmp_path).warnings == ()


def test_other_targets_have_plain_names(tmp_path: Path) -> None:
    body = compile_body_of('assert type(op.get_bind().dialect.name) is str\n'
                           'assert op.get_bind().dialect.name != "mysql"', "postgresql",
                           tmp_path=tmp_path / "pg")
    assert body.warnings == ()
    mysql = compile_body_of('assert op.get_bind().dialect.name == "mysql"', "mysql",
                            tmp_path=tmp_path / "my")
    assert mysql.warnings == ()


@pytest.mark.parametrize(("url", "name"), [
    ("mysql+pymysql://app@db/app", "mysql"),
    ("mysql://app@db/app", "mysql"),
    ("mariadb+mariadbconnector://app@db/app", "mariadb"),
])
def test_with_a_url_the_name_is_the_urls(url: str, name: str, tmp_path: Path) -> None:
    body = compile_body_of(f"""
        bind = op.get_bind()
        assert (bind.dialect.name, bind.engine.name) == ({name!r}, {name!r})
        assert op.get_context().dialect.name == {name!r}
        assert bind.dialect.is_mariadb
        if bind.dialect.name == "mysql":
            op.execute("ALTER TABLE t ENGINE=InnoDB")
    """, "mariadb", tmp_path=tmp_path, url=url)
    sql = [s.sql for seg in body.segments for s in seg.statements]
    assert sql == (["ALTER TABLE t ENGINE=InnoDB"] if name == "mysql" else [])
    assert body.warnings == ()


def test_the_warning_reaches_render_output(tmp_path: Path) -> None:
    text = h.script(A1, None, """
        op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))
        if op.get_bind().dialect.name == "mysql":
            op.execute("ALTER TABLE t ENGINE=InnoDB")
    """, 'op.drop_table("t")')
    root = h.write(tmp_path, {"a1.py": text}, ["mariadb"])
    result = h.run(root, "render")
    assert result.code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "compares dialect.name" in line]
    assert len(warnings) == 1, result.stderr
    assert warnings[0].startswith("warning: mariadb: out/mariadb/upgrade/0001_")
    assert warnings[0].endswith(
        f"migrations/versions/a1.py:{h.line_of(text, 'dialect.name')}: {NAME_WARNING}")


def test_prepend_sys_path_reaches_target_metadata(tmp_path: Path) -> None:
    """The models autogenerate imports live in the project's package too (`src/` layout)."""
    import sys

    from sqlcompile.autogen.target import load_metadata
    from sqlcompile.config import load_config

    models = tmp_path / "src" / "h_pkg_models"
    models.mkdir(parents=True)
    (models / "__init__.py").write_text(
        "import sqlalchemy as sa\nmetadata = sa.MetaData()\n"
        "sa.Table('gadgets', metadata, sa.Column('id', sa.Integer, primary_key=True))\n",
        encoding="utf-8")
    (tmp_path / "sqlcompile.toml").write_text(
        'prepend_sys_path = ["src"]\ntarget_metadata = "h_pkg_models:metadata"\n',
        encoding="utf-8")
    before = list(sys.path)
    metadata = load_metadata(load_config(tmp_path / "sqlcompile.toml"))
    assert sorted(metadata.tables) == ["gadgets"]
    assert sys.path == before
