"""Autogenerate round trip, drawn by hypothesis: random models, then random changes to them.

Each state of the models is written as a module the project's ``target_metadata`` names;
``sqlcompile revision --autogenerate`` (the CLI, in-process) writes the revision, whose script
must load and pass the command's own replay check (`self_check`); ``sqlcompile render`` compiles
it for the database; the new upgrade file is applied to a real PostgreSQL, SQLite or MariaDB
database; SQLAlchemy's reflection of the database must equal the models (the normalised
comparison of `test_schema_reflect`, plus names, check conditions and partial-index
conditions); a second autogenerate must find no difference, and so must one `--against`
the database. At the end the downgrade
files are applied in reverse: after each one the database equals the models before that
revision, and after the last only the version table is left.

The models and the changes are drawn by `autogen_models`: names from small pools, so that a
step often drops a name and gives it again.

``SQLC_AUTOGEN_EXAMPLES=N`` runs N random (not derandomized) examples per database instead of
the fixed ones CI runs.
"""

from __future__ import annotations

import importlib
import os
import re
import secrets
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dbs
import pytest
import sqlalchemy as sa
import sqlc_project as sp
from autogen_models import Models, draw_history
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_schema_reflect import _default, _unique_keys, from_database, from_model

from sqlcompile.autogen.generate import autogenerate, self_check
from sqlcompile.autogen.target import target_schema
from sqlcompile.config import load_config
from sqlcompile.dialects import get_dialect
from sqlcompile.dialects.base import DialectSupport
from sqlcompile.pipeline.render import load_project

# --- comparing the database with the models -----------------------------------------------------

_CASTS = re.compile(r"::(text|character varying|numeric|date|integer|bigint|boolean"
                    r"|timestamp without time zone)\b")


def _sql(text: Any) -> str | None:
    """A check or index condition as PostgreSQL, MariaDB and SQLite give it back, comparable
    with the models' text: casts, parentheses, identifier quotes and case do not count (the
    conditions drawn have no function calls and no upper case in their literals)."""
    if text is None:
        return None
    value = _CASTS.sub("", str(text))
    value = re.sub(r"[()`\"]", "", value).lower()
    return " ".join(value.split())


def expected_state(models: Models, dialect: DialectSupport) -> dict[str, Any]:
    """The models as `test_schema_reflect.from_model` states them, with the names of foreign
    keys and unique constraints, check conditions and partial-index conditions."""
    state = from_model(target_schema(models.metadata(), dialect).schema, dialect.sa_dialect)
    partial = dialect.name in ("postgresql", "sqlite")
    for name, table in state.items():
        described = models.tables[name]
        if not dialect.supports_comments:
            table["comment"] = None
            table["columns"] = {k: (*v[:3], None) for k, v in table["columns"].items()}
        table["fk_names"] = sorted((n, fk.column, fk.ref) for n, fk in described.fks.items())
        table["unique_names"] = sorted(described.uniques.items())
        table["check_sql"] = sorted((n, _sql(c)) for n, c in described.checks.items())
        table["index_where"] = sorted((n, _sql(ix.where) if partial else None)
                                      for n, ix in described.indexes.items()
                                      if partial or not ix.only_partial)
    return state


def reflected_state(db: dbs.ScratchDB, dialect: DialectSupport,
                    expected: dict[str, Any]) -> dict[str, Any]:
    state = from_database(db.url, dialect.sa_dialect, dialect.supports_comments)
    mariadb = dialect.name == "mariadb"
    engine = sa.create_engine(db.url)
    try:
        inspector = sa.inspect(engine)
        for name, table in state.items():
            index_names = {i[0] for i in expected.get(name, {}).get("indexes", [])}
            table["fk_names"] = sorted(
                (f["name"], *f["constrained_columns"], f["referred_table"])
                for f in inspector.get_foreign_keys(name))
            # MariaDB has unique keys only: the models' unique indexes are reflected as
            # unique constraints too.
            table["unique_names"] = sorted(
                (u["name"], tuple(u["column_names"]))
                for u in inspector.get_unique_constraints(name)
                if not (mariadb and u["name"] in index_names))
            table["check_sql"] = sorted((c["name"], _sql(c["sqltext"]))
                                        for c in inspector.get_check_constraints(name))
            where_key = f"{dialect.sa_dialect.name}_where"
            table["index_where"] = sorted(
                (i["name"], _sql(i.get("dialect_options", {}).get(where_key)))
                for i in inspector.get_indexes(name) if i["name"] in index_names)
            table["keys_are_indexes"] = mariadb
        if mariadb:
            _mariadb_defaults(engine, state)
    finally:
        engine.dispose()
    _unique_keys(expected, state)
    return state


def _mariadb_defaults(engine: sa.Engine, state: dict[str, Any]) -> None:
    """Columns whose line of SHOW CREATE TABLE SQLAlchemy could not parse, from
    information_schema: MariaDB escapes a quote in a TEXT column's default with a backslash
    (``DEFAULT 'it\\'s'``), and SQLAlchemy's parser then reads neither the default nor the
    comment after it."""
    query = sa.text("SELECT table_name, column_name, column_default, column_comment FROM "
                    "information_schema.columns WHERE table_schema = DATABASE()")
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    for table_name, column_name, value, comment in rows:
        columns = state.get(table_name, {}).get("columns", {})
        found = columns.get(column_name)
        if found is None or found[2] is not None or value is None or "\\'" not in value:
            continue
        value = value.replace("\\'", "''")
        columns[column_name] = (found[0], found[1], _default(value, False), comment or None)


def assert_database_is(db: dbs.ScratchDB, dialect: DialectSupport, models: Models,
                       when: str) -> None:
    expected = expected_state(models, dialect)
    found = reflected_state(db, dialect, expected)
    problems = []
    for name in sorted(set(expected) | set(found)):
        if name not in found or name not in expected:
            problems.append(f"table {name}: {'missing' if name not in found else 'not in models'}")
            continue
        for part in sorted(set(expected[name]) | set(found[name])):
            want, got = expected[name].get(part), found[name].get(part)
            if want != got:
                problems.append(f"{name}.{part}: models {want!r}, database {got!r}")
    assert not problems, (f"{when}: the database differs from the models:\n  "
                          + "\n  ".join(problems) + f"\nmodels:\n{models.source()}")


# --- the round trip -----------------------------------------------------------------------------

@contextmanager
def _project(root: Path, dialect: str) -> Iterator[Callable[[Models], None]]:
    """A project in ``root`` whose models module is rewritten by the function yielded (each
    time under a new module name: the models are imported in this process)."""
    (root / "migrations" / "versions").mkdir(parents=True)
    token = secrets.token_hex(4)
    written: list[str] = []

    def write(models: Models) -> None:
        module = f"models_{token}_{len(written)}"
        written.append(module)
        (root / f"{module}.py").write_text(models.source(), encoding="utf-8")
        (root / sp.CONFIG_NAME).write_text(
            f'script_location = "migrations"\noutput_dir = "{sp.OUTPUT_DIR}"\n'
            f'dialects = ["{dialect}"]\ntarget_metadata = "{module}:metadata"\n',
            encoding="utf-8")
        importlib.invalidate_caches()

    try:
        yield write
    finally:
        for module in written:
            sys.modules.pop(module, None)


def _autogenerate(root: Path, dialect: str, rev: str, step: int, models: Models) -> str:
    """`sqlcompile revision --autogenerate`; the script's text, or "" when nothing differs.

    The command replays the script on the schema model (`self_check`) and warns of any
    difference left; the same check is also run here, on the comparison made before the
    script existed, and must find nothing."""
    versions = root / "migrations" / "versions"
    before = set(versions.glob("*.py"))
    project = load_project(load_config(cwd=root))
    compared = autogenerate(project, get_dialect(dialect), metadata=models.metadata())
    out, err = sp.run_cli(root, "revision", "--autogenerate", "-m", f"step {step}",
                          "--rev-id", rev, "--dialect", dialect)
    created = sorted(set(versions.glob("*.py")) - before)
    if "no differences" in err:
        assert not created and not out and compared.diff.empty, err
        return ""
    assert len(created) == 1 and created[0].name.startswith(f"{rev}_"), (out, err)
    text = created[0].read_text(encoding="utf-8")
    assert "does not fully match" not in err, f"{err}\n{text}"
    assert not [line for line in err.splitlines() if "after upgrade()" in line
                or "after downgrade()" in line], f"{err}\n{text}"
    assert self_check(text, created[0].name, project, compared) == [], text
    return text


def assert_against_finds_nothing(root: Path, db: dbs.ScratchDB, dialect: DialectSupport,
                                 models: Models, step: int, script: str) -> None:
    """`revision --autogenerate --against` the database, which now holds the models: its
    reflection, stated as the models state it, must leave no difference and no warning."""
    project = load_project(load_config(cwd=root))
    result = autogenerate(project, dialect, against=db.url, metadata=models.metadata())
    found = [change.description for change in result.diff.changes]
    assert found == [] and result.warnings == [], (
        f"step {step}: --against {db.url} found {found}, warnings {result.warnings}\n"
        f"script:\n{script or '(none)'}\nmodels:\n{models.source()}")


def round_trip(root: Path, db: dbs.ScratchDB, dialect_name: str, states: list[Models]) -> None:
    dialect = get_dialect(dialect_name)
    revisions: list[tuple[str, Models]] = []  # (revision, the models before it)
    with _project(root, dialect_name) as write:
        previous = Models()
        for step, models in enumerate(states, 1):
            write(models)
            rev = f"s{step:02d}"
            script = _autogenerate(root, dialect_name, rev, step, models)
            if script:
                rendered = sp.render(root, dialect_name)
                new = [p for p in rendered.upgrade if sp.revision_of(p) == rev]
                assert len(new) == 1, rendered.upgrade
                result = sp.apply(db, new[0])
                assert result.returncode == 0, (
                    f"step {step}: applying {new[0].name} failed:\n{result.stderr}\n"
                    f"script:\n{script}\nSQL:\n{sp.sql_text(new[0])}")
                revisions.append((rev, previous))
            assert_database_is(db, dialect, models, f"step {step} ({script or 'no script'})")
            again = _autogenerate(root, dialect_name, f"x{step:02d}", step, models)
            assert again == "", f"step {step}: autogenerate again wrote\n{again}"
            assert_against_finds_nothing(root, db, dialect, models, step, script)
            previous = models
        if not revisions:
            return
        rendered = sp.render(root, dialect_name)
        by_rev = {sp.revision_of(p): p for p in rendered.downgrade}
        for rev, before in reversed(revisions):
            result = sp.apply(db, by_rev[rev])
            assert result.returncode == 0, (
                f"downgrade {rev} failed:\n{result.stderr}\nSQL:\n{sp.sql_text(by_rev[rev])}")
            assert_database_is(db, dialect, before, f"after the downgrade of {rev}")
    assert db.tables() == [sp.VERSION_TABLE]
    assert sp.version_rows(db) == []


_RAISED = os.environ.get("SQLC_AUTOGEN_EXAMPLES")
# Fixed examples (derandomize) keep CI reproducible and fast; SQLC_AUTOGEN_EXAMPLES=N draws
# N fresh random examples per database instead.
SETTINGS = settings(max_examples=int(_RAISED or 12), deadline=None, derandomize=not _RAISED,
                    database=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                          HealthCheck.too_slow,
                                                          HealthCheck.data_too_large])


@contextmanager
def _fresh(path: Path) -> Iterator[Path]:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    yield path


@SETTINGS
@given(data=st.data())
def test_autogenerate_round_trip_on_sqlite(tmp_path_factory: pytest.TempPathFactory,
                                           data: st.DataObject) -> None:
    states = draw_history(data, "sqlite")
    with _fresh(tmp_path_factory.getbasetemp() / "autogen-sqlite") as root, \
            dbs.sqlite_scratch(root) as db:
        round_trip(root, db, "sqlite", states)


@SETTINGS
@given(data=st.data())
def test_autogenerate_round_trip_on_postgresql(tmp_path_factory: pytest.TempPathFactory,
                                               pg_server: Any, data: st.DataObject) -> None:
    states = draw_history(data, "postgresql")
    with _fresh(tmp_path_factory.getbasetemp() / "autogen-pg") as root, \
            dbs.postgres_scratch() as db:
        round_trip(root, db, "postgresql", states)


@SETTINGS
@given(data=st.data())
def test_autogenerate_round_trip_on_mariadb(tmp_path_factory: pytest.TempPathFactory,
                                            mariadb_server: Any, data: st.DataObject) -> None:
    states = draw_history(data, "mariadb")
    with _fresh(tmp_path_factory.getbasetemp() / "autogen-mariadb") as root, \
            dbs.mariadb_scratch() as db:
        round_trip(root, db, "mariadb", states)


