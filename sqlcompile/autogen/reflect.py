"""`revision --autogenerate --against URL`: a live database's schema, read through SQLAlchemy
reflection, as a schema model of the shape the history's replay gives.

Reflection shows what the database stores in the database's words. The dialect hooks
(`type_key`, `default_key`, `sql_key`, `fk_action_key`) make equivalent words compare equal on
both sides, so a database compares with the models as the history does. Reading it
(:mod:`autogen.reflect_read`) states each reflected value the way a script would, so that a
script written against the database reads as one written against the history:

* types, server defaults, check conditions, index predicates and expressions and foreign key
  actions are stated as the models state them when the dialect says the two are the same (a
  MySQL DATETIME keeps no ``timezone=True``, PostgreSQL keeps ``'pending'`` as
  ``'pending'::character varying``); otherwise in the plainest form the dialect still takes
  as equal: generic SQLAlchemy types, literals without casts, identifiers without quotes,
  ``CURRENT_TIMESTAMP`` for ``current_timestamp()``, ``true`` for a boolean's ``1``;
* on a numeric column, a default the database reports in another written form of the same
  number (``0.00`` for ``0``, PostgreSQL's ``'7'::bigint`` for ``'7'``) is the models'
  default (on a text column ``'7'`` and ``7`` stay apart, as the history keeps them);
* where SQLAlchemy's reflection misreads a column's server default or comment (MariaDB's
  ``DEFAULT 'it\\'s'`` on a TEXT column loses both), the dialect reads them from its catalog
  (``DialectSupport.column_catalog``), a literal as the models' DDL renders it;
* a default that is the mechanism of an autoincrementing column (the ``nextval()`` of a
  PostgreSQL SERIAL) is no server default, as in the models;
* a primary key the database keeps no name for (MySQL's ``PRIMARY``) takes the models' name;
* on a dialect that stores no comments (SQLite), comments are the history's at the revisions
  the version table names (the database cannot contradict them; the offline comparison uses
  the same ones); for a table or column the history does not have there, or when the
  version table names no revision of the history, the models' (then comments are not
  compared: the schema says so in ``incomplete``, which the command prints as a warning);
* a unique key the database reports both as a constraint and as an index (MySQL, MariaDB) is
  a unique constraint, unless the models declare a unique index of that name;
* an index the database made for a foreign key (MySQL, MariaDB) is left out unless the models
  declare an index of that name;
* options at their default (an empty INCLUDE, NULLS DISTINCT, NOT DEFERRABLE) are left out,
  and table options (engine, charset) are kept only where the models state them.

Only the default schema is read, without the version table. A relative SQLite path is
resolved against the project (as the dev loop's ``--url``), and the file is opened read-only.

What a database cannot tell, a script written against it cannot restate as the history does:
for a table, column or index the models no longer have (so none to take it from), a MySQL or
MariaDB primary key has no name, a DATETIME no time zone, a DECIMAL default its written form
(``0.00``); an index keeps only this dialect's options (not the ``mssql_where`` the history's
script also gave). What SQLAlchemy cannot reflect (an SQLite index on an expression) is listed
in ``incomplete`` and printed as a warning.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import sqlalchemy as sa

from sqlcompile.autogen.reflect_read import DatabaseReader
from sqlcompile.errors import SqlcompileError

if TYPE_CHECKING:
    from sqlcompile.autogen.target import Target
    from sqlcompile.config import Config
    from sqlcompile.dialects.base import DialectSupport
    from sqlcompile.pipeline.render import Project
    from sqlcompile.schema.model import Schema

CONNECT_HINT = "check the URL, that the server is running and that this user may connect"


def url_dialect(url: str) -> str:
    """Our dialect name for a SQLAlchemy URL: its backend, or, where a backend reaches two
    servers (``mysql://``: MySQL or MariaDB), what the server says it is."""
    from sqlcompile.dialects import get_dialect

    parsed = _parse(url)
    dialect = get_dialect(_backend(parsed))
    if not dialect.shares_url_backend:
        return dialect.name
    with _connection(dialect.reflection_url(parsed), parsed) as conn:
        return dialect.server_dialect(conn.dialect)


def database_schema(url: str, dialect: DialectSupport, config: Config,
                    target: Target | None = None,
                    project: Project | None = None) -> tuple[Schema, str]:
    """The schema of the database at ``url`` (its default schema, without the version table)
    as a model for ``dialect``, and a description of it ("database postgresql://user@host/db",
    password hidden). With ``target`` (the models), reflected values are stated as the models
    state them where the dialect finds them equal; with ``project``, what the dialect cannot
    store (comments) comes from the history (see the module's notes)."""
    from sqlcompile.dialects import get_dialect, known_dialects

    parsed = _parse(url)
    backend = parsed.get_backend_name()
    own = get_dialect(backend) if backend in known_dialects() else dialect
    parsed = own.project_url(parsed, config.root)
    with _connection(own.reflection_url(parsed), parsed) as conn:
        server = own.server_dialect(conn.dialect)
        if server != dialect.name and backend in known_dialects():
            raise SqlcompileError(
                f"--against {_shown(parsed)}: the database is {get_dialect(server).title}, "
                f"but the comparison is for {dialect.title}",
                hint="leave out --dialect: the database decides")
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", sa.exc.SAWarning)
                schema = DatabaseReader(conn, dialect, config, target, project).schema()
        except sa.exc.SQLAlchemyError as exc:
            raise SqlcompileError(f"reading the schema of {_shown(parsed)} failed: "
                                  f"{_reason(exc, parsed)}") from None
    for warning in caught:
        if issubclass(warning.category, sa.exc.SAWarning):
            note = (f"reflection left something out ({warning.message}); the comparison may "
                    "report differences that are not there")
            if note not in schema.incomplete:
                schema.incomplete.append(note)
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno)
    shown = parsed.set(drivername=parsed.get_backend_name(), query={})
    return schema, f"database {_shown(shown)}"


# -- connecting -------------------------------------------------------------------------------


def _parse(url: str) -> sa.URL:
    try:
        return sa.make_url(url)
    except sa.exc.ArgumentError:
        hidden = re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", url)
        raise SqlcompileError(f"--against {hidden!r} is not a database URL",
                              hint="e.g. postgresql+psycopg://user@host/db, "
                                   "sqlite:///app.db") from None


def _backend(url: sa.URL) -> str:
    from sqlcompile.dialects import known_dialects

    backend = url.get_backend_name()
    if backend not in known_dialects():
        raise SqlcompileError(f"--against {_shown(url)}: no dialect for database backend "
                              f"{backend!r}",
                              hint=f"known dialects: {', '.join(known_dialects())} "
                                   "(or give one with --dialect)")
    return backend


def _shown(url: sa.URL) -> str:
    """The URL as messages show it: the password hidden."""
    return url.render_as_string(hide_password=True)


def _reason(exc: BaseException, url: sa.URL) -> str:
    """What went wrong, in the driver's words: its first line, without the password."""
    cause = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    text = lines[0] if lines else type(cause).__name__
    if url.password:
        text = text.replace(str(url.password), "***")
    return text


@contextmanager
def _connection(url: sa.URL, shown: sa.URL) -> Iterator[sa.Connection]:
    """A connection to ``url``; failing to connect is an error naming ``shown`` (the URL
    as the user gave it, password hidden), without a traceback."""
    try:
        engine = sa.create_engine(url)
    except (sa.exc.SQLAlchemyError, ImportError) as exc:
        raise SqlcompileError(f"cannot connect to the database {_shown(shown)}: "
                              f"{_reason(exc, url)}",
                              hint="is the driver the URL names installed?") from None
    try:
        try:
            conn = engine.connect()
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            raise SqlcompileError(f"cannot connect to the database {_shown(shown)}: "
                                  f"{_reason(exc, url)}", hint=CONNECT_HINT) from None
        with conn:
            yield conn
    finally:
        engine.dispose()
