"""`sqlcompile init --from-alembic`: alembic.ini and env.py shapes read into sqlcompile.toml, the
scripts then rendered where they are, the error cases, and the real Alembic reading the same
project the same way."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
import warnings
from pathlib import Path

import dbs
import pytest
from click.testing import CliRunner, Result
from histories import script

from sqlcompile.adopt import read_alembic
from sqlcompile.cli import cli
from sqlcompile.config import load_config

A, B, C = "a1a1a1a1a1a1", "b2b2b2b2b2b2", "c3c3c3c3c3c3"
ALEMBIC = Path(sys.executable).with_name("alembic")

#: An env.py of the usual shape: offline and online branches, each calling configure().
ENV_TEMPLATE = '''\
from alembic import context
from sqlalchemy import engine_from_config, pool
{top}

config = context.config
{target}


def run_migrations_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=target_metadata, literal_binds=True{configure})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    engine = engine_from_config(config.get_section(config.config_ini_section, {{}}),
                                prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata{configure})
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''

USERS = 'op.create_table("users", sa.Column("id", sa.Integer, primary_key=True))'
NOTES = 'op.add_column("users", sa.Column("note", sa.String(40)))'


def env_py(target: str = "target_metadata = None", top: str = "", configure: str = "") -> str:
    return ENV_TEMPLATE.format(top=top, target=target, configure=configure)


def make_project(root: Path, ini: str, *, env: str | None = None,
                 location: str = "migrations",
                 scripts: dict[str, dict[str, str]] | None = None) -> Path:
    """An Alembic project: alembic.ini, LOCATION/env.py and scripts ({folder: {file: text}},
    folders relative to the root; default: a two-revision history in LOCATION/versions)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "alembic.ini").write_text(textwrap.dedent(ini), encoding="utf-8")
    (root / location).mkdir(parents=True, exist_ok=True)
    (root / location / "env.py").write_text(env if env is not None else env_py(),
                                            encoding="utf-8")
    if scripts is None:
        scripts = {f"{location}/versions": {
            "a1_users.py": script(A, None, USERS, 'op.drop_table("users")'),
            "b2_note.py": script(B, A, NOTES, 'op.drop_column("users", "note")'),
        }}
    for folder, files in scripts.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (root / folder / name).write_text(text, encoding="utf-8")
    return root


def cli_in(root: Path, *args: str) -> Result:
    cwd = Path.cwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)
    finally:
        os.chdir(cwd)


def adopt_ok(root: Path, *args: str) -> tuple[dict[str, object], str]:
    """Run init --from-alembic in ``root``: the settings written and what stderr said."""
    result = cli_in(root, "init", "--from-alembic", *args)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "created sqlcompile.toml" in result.stdout
    return tomllib.loads((root / "sqlcompile.toml").read_text(encoding="utf-8")), result.stderr


def render_ok(root: Path, *args: str) -> Result:
    result = cli_in(root, "render", *args)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


def upgrade_files(root: Path, dialect: str) -> list[Path]:
    return sorted((root / "sql_out" / dialect / "upgrade").glob("*.sql"))


# -- what is read -------------------------------------------------------------------------------

def test_template_shaped_project_renders_where_it_is(tmp_path: Path) -> None:
    root = make_project(tmp_path / "app", """\
        [alembic]
        script_location = %(here)s/migrations
        prepend_sys_path = .
        path_separator = os
        sqlalchemy.url = postgresql+psycopg2://app:s3cret@db.internal/app

        [loggers]
        keys = root

        [logger_root]
        level = WARNING
        handlers =
        """, env=env_py("target_metadata = Base.metadata", top="from myapp.models import Base",
                        configure=', version_table="app_version"'))
    (root / "myapp").mkdir()
    (root / "myapp" / "__init__.py").write_text("", encoding="utf-8")
    (root / "myapp" / "models.py").write_text(textwrap.dedent("""\
        import sqlalchemy as sa
        from sqlalchemy.orm import DeclarativeBase


        class Base(DeclarativeBase):
            pass


        class User(Base):
            __tablename__ = "users"
            id = sa.Column(sa.Integer, primary_key=True)
            note = sa.Column(sa.String(40))
        """), encoding="utf-8")
    settings, stderr = adopt_ok(root)
    assert settings == {
        "script_location": "migrations",
        "prepend_sys_path": ["."],
        "url": "postgresql+psycopg2://app:s3cret@db.internal/app",
        "dialects": ["postgresql"],
        "version_table": "app_version",
        "target_metadata": "myapp.models:Base.metadata",
    }
    assert "read: script_location = 'migrations' (alembic.ini [alembic])" in stderr
    assert "read: target_metadata = 'myapp.models:Base.metadata' (migrations/env.py:6)" in stderr
    assert "read: version_table = 'app_version' (migrations/env.py:" in stderr
    assert "s3cret" not in stderr and "app:***@db.internal" in stderr
    # No file was copied or created besides the config.
    assert sorted(p.name for p in root.iterdir()) == [
        "alembic.ini", "migrations", "myapp", "sqlcompile.toml"]

    render_ok(root)
    first, second = upgrade_files(root, "postgresql")
    assert first.name == f"0001_{A}_revision_{A}.sql"
    assert "app_version" in first.read_text(encoding="utf-8")
    assert "ADD COLUMN note VARCHAR(40)" in second.read_text(encoding="utf-8")
    # The models match the history, so check compares them and passes.
    checked = cli_in(root, "check")
    assert checked.exit_code == 0, checked.stderr
    assert "models match" in checked.stderr


def test_prepend_sys_path_is_carried_over(tmp_path: Path) -> None:
    """Folders Alembic puts on sys.path (relative to where it runs: the ini's folder) become
    the config's, and the scripts that import the project's package from them compile."""
    root = make_project(tmp_path / "app", """\
        [alembic]
        script_location = migrations
        prepend_sys_path = . %(here)s/src
        sqlalchemy.url = sqlite:///app.db
        """, scripts={"migrations/versions": {
            "a1.py": script(A, None, "op.create_table(names.USERS, sa.Column('id', sa.Integer))",
                            "op.drop_table(names.USERS)", top="from adopted_pkg import names"),
        }})
    (root / "src" / "adopted_pkg").mkdir(parents=True)
    (root / "src" / "adopted_pkg" / "__init__.py").write_text("", encoding="utf-8")
    (root / "src" / "adopted_pkg" / "names.py").write_text('USERS = "users"\n',
                                                          encoding="utf-8")
    settings, stderr = adopt_ok(root)
    assert settings["prepend_sys_path"] == [".", "src"]
    assert "read: prepend_sys_path = ['.', 'src'] (alembic.ini [alembic])" in stderr
    assert "prepend_sys_path" not in stderr.replace("read: prepend_sys_path", "")
    assert load_config(root / "sqlcompile.toml").sys_path_dirs == (
        root.resolve(), root.resolve() / "src")
    render_ok(root)
    assert "CREATE TABLE users" in upgrade_files(root, "sqlite")[0].read_text(encoding="utf-8")


@pytest.mark.parametrize(("ini_lines", "expected"), [
    # No separator configured: Alembic's legacy split at commas and runs of spaces.
    ("version_locations = %(here)s/v/one, %(here)s/v/two  v/three",
     ["v/one", "v/two", "v/three"]),
    ("path_separator = os\nversion_locations = v/one" + os.pathsep + "%(here)s/v/two",
     ["v/one", "v/two"]),
    ("path_separator = space\nversion_locations = v/one   v/two", ["v/one", "v/two"]),
    ("path_separator = ;\nversion_locations = v/one;v/with space", ["v/one", "v/with space"]),
    ("path_separator = newline\nversion_locations =\n    v/one\n    v/two", ["v/one", "v/two"]),
    # The older name of the same option.
    ("version_path_separator = :\nversion_locations = v/one:v/two", ["v/one", "v/two"]),
])
def test_version_locations_are_split_as_alembic_splits_them(
        tmp_path: Path, ini_lines: str, expected: list[str]) -> None:
    root = tmp_path / "proj"
    make_project(root, "[alembic]\nscript_location = migrations\n" + ini_lines + "\n",
                 scripts={})
    adopted = read_alembic(root)
    assert list(adopted.settings["version_locations"]) == expected

    from alembic.config import Config as AlembicConfig  # the dev dependency, as a reference

    with warnings.catch_warnings():  # its deprecation warning for the legacy split
        warnings.simplefilter("ignore")
        theirs = AlembicConfig(str(root / "alembic.ini")).get_version_locations_list()
    assert theirs is not None
    assert [Path(p).relative_to(root.resolve()).as_posix() if Path(p).is_absolute() else p
            for p in theirs] == expected


def test_two_version_folders_and_the_real_alembic_agree(
        tmp_path: Path, sqlite_db: dbs.SQLiteDB) -> None:
    """Scripts in two folders, version_table from env.py: sqlcompile's SQL, applied with
    sqlite3, leaves a database that `alembic current` reads as at the head, and both tools
    list the same history."""
    root = make_project(tmp_path / "proj", f"""\
        [alembic]
        script_location = db
        version_locations = %(here)s/db/versions, %(here)s/plugins/versions
        sqlalchemy.url = {sqlite_db.url}
        """, location="db", env=env_py(configure=', version_table="app_version"'), scripts={
        "db/versions": {"a1.py": script(A, None, USERS, 'op.drop_table("users")')},
        "plugins/versions": {"b2.py": script(B, A, NOTES, 'op.drop_column("users", "note")'),
                             "c3.py": script(C, B, 'op.create_index("ix_note", "users", '
                                                   '["note"])',
                                             'op.drop_index("ix_note", "users")')},
    })
    settings, _ = adopt_ok(root)
    assert settings["version_locations"] == ["db/versions", "plugins/versions"]
    assert settings["dialects"] == ["sqlite"]
    render_ok(root, "--dialect", "sqlite")
    files = upgrade_files(root, "sqlite")
    assert [f.name.split("_")[1] for f in files] == [A, B, C]
    for path in files:
        applied = sqlite_db.apply(path)
        assert applied.returncode == 0, applied.stderr
    assert sqlite_db.query("SELECT version_num FROM app_version") == [(C,)]

    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    current = subprocess.run([str(ALEMBIC), "current"], cwd=root, env=env,
                             capture_output=True, text=True, timeout=120, check=False)
    assert current.returncode == 0, current.stderr
    assert f"{C} (head)" in current.stdout
    history = subprocess.run([str(ALEMBIC), "history"], cwd=root, env=env,
                             capture_output=True, text=True, timeout=120, check=False)
    assert history.returncode == 0, history.stderr
    theirs = [line.split(", ")[0] for line in history.stdout.splitlines()]
    ours = cli_in(root, "history")
    assert ours.exit_code == 0, ours.stderr
    assert theirs == [f"{B} -> {C} (head)", f"{A} -> {B}", f"<base> -> {A}"]
    for revision in (A, B, C):
        assert revision in ours.stdout


def test_several_urls_become_dialects_and_environments(tmp_path: Path) -> None:
    root = make_project(tmp_path, """\
        [alembic]
        script_location = migrations
        sqlalchemy.url = postgresql://app:pw1@db/app
        tenant = acme

        [staging]
        script_location = migrations
        sqlalchemy.url = mysql+pymysql://app:pw2@staging/app

        [local]
        script_location = migrations
        sqlalchemy.url = sqlite:///%(here)s/local.db

        [handlers]
        keys = console
        """)
    settings, stderr = adopt_ok(root)
    assert settings["dialects"] == ["postgresql", "mysql", "sqlite"]
    assert settings["main_options"] == {"tenant": "acme"}
    assert settings["environments"] == {
        "staging": {"dialect": "mysql", "url": "mysql+pymysql://app:pw2@staging/app"},
        "local": {"dialect": "sqlite", "url": f"sqlite:///{root.resolve().as_posix()}/local.db"},
    }
    assert "pw1" not in stderr and "pw2" not in stderr
    assert "if the server is MariaDB, write dialect mariadb" in stderr
    local = load_config(root / "sqlcompile.toml", env="local")
    assert local.dialects == ("sqlite",) and local.main_option("tenant") == "acme"
    render_ok(root)
    assert {p.name for p in (root / "sql_out").iterdir()} == {"postgresql", "mysql", "sqlite"}


def test_placeholder_url_and_dialect_option(tmp_path: Path) -> None:
    root = make_project(tmp_path, """\
        [alembic]
        script_location = migrations
        sqlalchemy.url = driver://user:pass@localhost/dbname
        file_template = %%(rev)s_%%(slug)s
        """)
    settings, stderr = adopt_ok(root, ".", "--dialect", "sqlite", "--dialect", "mariadb")
    assert settings["dialects"] == ["sqlite", "mariadb"]
    assert "url" not in settings
    assert "names no dialect sqlcompile knows" in stderr and "pass@" not in stderr
    assert "file_template (alembic.ini [alembic]) is not carried over" in stderr
    assert settings["version_table"] == "alembic_version"


@pytest.mark.parametrize(("top", "target", "expected"), [
    ("from myapp.models import Base", "target_metadata = Base.metadata",
     "myapp.models:Base.metadata"),
    ("from myapp import models", "target_metadata = models.Base.metadata",
     "myapp.models:Base.metadata"),
    ("import myapp.models", "target_metadata = myapp.models.metadata", "myapp.models:metadata"),
    ("from myapp.models import metadata as md", "target_metadata = md", "myapp.models:metadata"),
    ("import myapp.models as m\nmeta = m.Base.metadata", "target_metadata = meta",
     "myapp.models:Base.metadata"),
])
def test_metadata_by_plain_import(tmp_path: Path, top: str, target: str, expected: str) -> None:
    root = make_project(tmp_path, "[alembic]\nscript_location = migrations\n",
                        env=env_py(target, top=top))
    (root / "myapp").mkdir()
    (root / "myapp" / "__init__.py").write_text("", encoding="utf-8")
    (root / "myapp" / "models.py").write_text("", encoding="utf-8")
    settings, stderr = adopt_ok(root)
    assert settings["target_metadata"] == expected
    assert "note: " not in stderr.replace("note: no sqlalchemy.url", "")


@pytest.mark.parametrize(("top", "target", "note"), [
    ("", "target_metadata = None", "target_metadata = None: no models to compare"),
    ("from myapp import a, b", "target_metadata = [a.metadata, b.metadata]",
     "target_metadata is computed ([a.metadata, b.metadata])"),
    ("from myapp.models import make", "target_metadata = make()",
     "target_metadata is computed (make())"),
    ("from .models import Base", "target_metadata = Base.metadata",
     "target_metadata is computed (Base.metadata)"),
    ("", "", "no target_metadata assignment"),
])
def test_metadata_left_out_with_a_note(tmp_path: Path, top: str, target: str,
                                       note: str) -> None:
    root = make_project(tmp_path, "[alembic]\nscript_location = migrations\n",
                        env=env_py(target, top=top).replace("target_metadata=target_metadata",
                                                            "target_metadata=None"))
    settings, stderr = adopt_ok(root)
    assert "target_metadata" not in settings
    assert note in stderr
    text = (root / "sqlcompile.toml").read_text(encoding="utf-8")
    assert '# target_metadata = "myapp.models:metadata"' in text
    render_ok(root)


def test_configure_literals_and_ini_version_table(tmp_path: Path) -> None:
    configure = (', version_table=config.get_main_option("version_table"), '
                 'version_table_schema="ops", include_schemas=True, '
                 'transaction_per_migration=True')
    root = make_project(tmp_path, """\
        [alembic]
        script_location = migrations
        version_table = legacy_version
        """, env=env_py(configure=configure))
    settings, stderr = adopt_ok(root)
    assert settings["version_table"] == "legacy_version"
    assert settings["version_table_schema"] == "ops"
    assert settings["transaction_per_migration"] is True
    assert "include_schemas is not carried over" in stderr


def test_computed_version_table_keeps_the_ini_value_with_a_note(tmp_path: Path) -> None:
    root = make_project(tmp_path, """\
        [alembic]
        script_location = migrations
        version_table = legacy_version
        """, env=env_py(top="import os", configure=', version_table=os.environ["VT"]'))
    settings, stderr = adopt_ok(root)
    assert settings["version_table"] == "legacy_version"
    assert "context.configure(version_table=...) is computed" in stderr
    assert "version_table = 'legacy_version' is written: check it" in stderr


def test_ini_version_table_that_env_py_never_passes_is_not_used(tmp_path: Path) -> None:
    """Alembic reads no version_table from the ini by itself: only env.py's configure() counts."""
    root = make_project(tmp_path, """\
        [alembic]
        script_location = migrations
        version_table = legacy_version
        """, env=env_py())
    settings, stderr = adopt_ok(root)
    assert settings["version_table"] == "alembic_version"
    assert "names a version_table but" in stderr
    assert "so Alembic uses alembic_version" in stderr


def test_recursive_version_locations(tmp_path: Path) -> None:
    root = make_project(tmp_path, """\
        [alembic]
        script_location = migrations
        recursive_version_locations = true
        """, scripts={
        "migrations/versions/2024": {"a1.py": script(A, None, USERS, 'op.drop_table("users")')},
        "migrations/versions/2025/q1": {"b2.py": script(B, A, NOTES,
                                                        'op.drop_column("users", "note")')},
    })
    settings, stderr = adopt_ok(root)
    assert settings["version_locations"] == [
        "migrations/versions", "migrations/versions/2024", "migrations/versions/2025/q1"]
    assert "add new subfolders by hand" in stderr
    render_ok(root)
    assert len(upgrade_files(root, "postgresql")) == 2


def test_script_location_as_a_package_resource(tmp_path: Path) -> None:
    root = make_project(tmp_path, "[alembic]\nscript_location = shopdb:alembic_scripts\n",
                        location="shopdb/alembic_scripts")
    (root / "shopdb" / "__init__.py").write_text("raise RuntimeError('not imported')\n",
                                                 encoding="utf-8")
    settings, stderr = adopt_ok(root)
    assert settings["script_location"] == "shopdb/alembic_scripts"
    assert "package folder" in stderr
    render_ok(root)
    assert len(upgrade_files(root, "postgresql")) == 2


def test_settings_in_pyproject_tool_alembic(tmp_path: Path) -> None:
    """Alembic 1.16's pyproject layout: paths in [tool.alembic], the URL in alembic.ini."""
    root = make_project(tmp_path, """\
        [alembic]
        sqlalchemy.url = sqlite:///app.db
        """, location="schema", env=env_py(
            top="import os",
            target='config.set_main_option("sqlalchemy.url", os.environ["DB"])\n'
                   "target_metadata = None"), scripts={
        "schema/versions": {"a1.py": script(A, None, USERS, 'op.drop_table("users")')},
        "more": {"b2.py": script(B, A, NOTES, 'op.drop_column("users", "note")')},
    })
    (root / "pyproject.toml").write_text(textwrap.dedent("""\
        [tool.alembic]
        script_location = "%(here)s/schema"
        version_locations = ["%(here)s/schema/versions", "more"]
        prepend_sys_path = ["."]
        """), encoding="utf-8")
    settings, stderr = adopt_ok(root)
    assert settings["script_location"] == "schema"
    assert settings["version_locations"] == ["schema/versions", "more"]
    assert settings["dialects"] == ["sqlite"]
    assert "read: script_location = 'schema' (pyproject.toml [tool.alembic])" in stderr
    assert "env.py sets sqlalchemy.url when it runs" in stderr
    render_ok(root)
    assert len(upgrade_files(root, "sqlite")) == 2

    from alembic.config import Config as AlembicConfig

    theirs = AlembicConfig(str(root / "alembic.ini"), toml_file=str(root / "pyproject.toml"))
    assert theirs.get_alembic_option("script_location") == f"{root.resolve().as_posix()}/schema"


def test_values_that_need_escaping_read_back_as_written(tmp_path: Path) -> None:
    root = make_project(tmp_path, """\
        [alembic]
        script_location = migrations
        greeting = say "hi" \\ then\tgo, 100%% — ünïcode
        [eu west.prod]
        sqlalchemy.url = sqlite:///a "b".db
        """)
    settings, _ = adopt_ok(root)
    assert settings["main_options"] == {"greeting": 'say "hi" \\ then\tgo, 100% — ünïcode'}
    assert settings["environments"] == {
        "eu west.prod": {"dialect": "sqlite", "url": 'sqlite:///a "b".db'}}
    config = load_config(root / "sqlcompile.toml", env="eu west.prod")
    assert config.url == 'sqlite:///a "b".db'
    assert config.main_option("greeting") == 'say "hi" \\ then\tgo, 100% — ünïcode'

    from alembic.config import Config as AlembicConfig

    theirs = AlembicConfig(str(root / "alembic.ini"))
    assert theirs.get_main_option("greeting") == config.main_option("greeting")
    assert theirs.get_section_option("eu west.prod", "sqlalchemy.url") == config.url


# -- errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("ini", "message", "hint"), [
    (None, "no alembic.ini in", "run this in the folder holding alembic.ini"),
    ("[other]\nkey = 1\n", "alembic.ini: no [alembic] section", "Alembic reads its settings"),
    ("[alembic]\nsqlalchemy.url = sqlite://\n", "alembic.ini: [alembic] has no script_location",
     "script_location = the folder"),
    ("[alembic]\nscript_location = nosuchpkg_xyz:scripts\n",
     "names package 'nosuchpkg_xyz', which cannot be found",
     "write script_location as a folder path"),
    ("[alembic]\nscript_location = elsewhere\n", "script_location 'elsewhere' is not a folder",
     "point it at the folder"),
    ("[alembic]\nscript_location = migrations\nversion_locations = a\npath_separator = tab\n",
     "path_separator 'tab' is not one Alembic knows", "use one of"),
    ("[alembic]\nscript_location = %(there)s/migrations\n",
     "[alembic] script_location: %(there)s names no option",
     "write a literal % as %%; %(here)s is the folder of alembic.ini"),
    ("[alembic]\nscript_location = 100%/migrations\n", "[alembic] script_location: ",
     "write a literal % as %%"),
    ("[alembic]\nscript_location = migrations\nthis line has no equals sign\n",
     "alembic.ini:3: cannot parse this line", "each line is"),
])
def test_errors(tmp_path: Path, ini: str | None, message: str, hint: str) -> None:
    root = tmp_path / "proj"
    make_project(root, ini or "")
    if ini is None:
        (root / "alembic.ini").unlink()
    result = cli_in(root, "init", "--from-alembic")
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert f"hint: {hint}" in result.stderr
    assert not (root / "sqlcompile.toml").exists()
    assert result.stdout == ""


def test_never_overwrites_a_config(tmp_path: Path) -> None:
    root = make_project(tmp_path, "[alembic]\nscript_location = migrations\n")
    (root / "sqlcompile.toml").write_text('dialects = ["sqlite"]\n', encoding="utf-8")
    result = cli_in(root, "init", "--from-alembic")
    assert result.exit_code == 2
    assert "a sqlcompile config exists already; nothing was changed" in result.stderr
    assert "hint: remove it first" in result.stderr
    assert (root / "sqlcompile.toml").read_text(encoding="utf-8") == 'dialects = ["sqlite"]\n'

    (root / "sqlcompile.toml").unlink()
    (root / "pyproject.toml").write_text('[tool.sqlcompile]\ndialects = ["sqlite"]\n',
                                         encoding="utf-8")
    again = cli_in(root, "init", "--from-alembic")
    assert again.exit_code == 2 and "pyproject.toml" in again.stderr
    assert not (root / "sqlcompile.toml").exists()


def test_folder_given_twice_differently_is_a_usage_error(tmp_path: Path) -> None:
    make_project(tmp_path / "a", "[alembic]\nscript_location = migrations\n")
    result = cli_in(tmp_path, "init", "b", "--from-alembic", "a")
    assert result.exit_code == 2
    assert "give the Alembic folder once" in result.stderr
    # The folder as DIRECTORY, with the option's value left out, is the same as after it.
    given = cli_in(tmp_path, "init", "a", "--from-alembic")
    assert given.exit_code == 0, given.stderr
    assert f"created {Path('a') / 'sqlcompile.toml'}" in given.stdout
    assert tomllib.loads((tmp_path / "a" / "sqlcompile.toml").read_text(encoding="utf-8"))[
        "script_location"] == "migrations"
