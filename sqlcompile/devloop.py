"""The dev loop: upgrade/downgrade/current/stamp against a database URL.

The statements executed are the same compiled, framed statements the SQL files contain,
sent one by one through SQLAlchemy in autocommit mode so the files' own BEGIN/COMMIT apply.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from sqlcompile.clisupport import handle_errors, project, settings
from sqlcompile.dialects import DEFAULT_DEV_URL
from sqlcompile.errors import Findings, SqlcompileError

if TYPE_CHECKING:
    import sqlalchemy as sa

    from sqlcompile.config import Config
    from sqlcompile.dialects.base import DialectSupport
    from sqlcompile.pipeline.compiler import Body, Irreversible, Statement
    from sqlcompile.pipeline.render import Project
    from sqlcompile.sources.graph import Step


class ApplyFailed(Findings):
    """A statement failed while applying migrations to a database: a finding (exit code 1),
    reported as `error: <the statement's comment>: <the database's message>`."""


def _engine(config: Config, url: str | None) -> tuple[sa.Engine, DialectSupport]:
    """The engine for the dev-loop URL and its dialect; a URL that does not parse, or whose
    driver is missing, is the user's error."""
    import sqlalchemy as sa

    from sqlcompile.dialects import get_dialect

    given = url or config.url or DEFAULT_DEV_URL
    try:
        parsed = sa.make_url(given)
    except sa.exc.ArgumentError as exc:
        raise SqlcompileError(f"the database URL does not parse: {exc}",
                              hint="e.g. postgresql://user@host/db or sqlite:///dev.db"
                              ) from None
    dialect = get_dialect(parsed.get_backend_name())
    try:
        engine = sa.create_engine(dialect.project_url(parsed, config.root))
    except (sa.exc.SQLAlchemyError, ImportError) as exc:
        raise SqlcompileError(f"cannot connect to the database {_hidden(parsed)}: {exc}",
                              hint="is the driver the URL names installed?") from None
    return engine, dialect


def _hidden(url: sa.URL) -> str:
    return url.render_as_string(hide_password=True)


@contextmanager
def _connect(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection; failing to connect is the user's error (exit 2), naming the URL with its
    password hidden."""
    import sqlalchemy as sa

    try:
        conn = engine.connect()
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        lines = [line.strip() for line in str(getattr(exc, "orig", None) or exc).splitlines()]
        reason = next((line for line in lines if line), type(exc).__name__)
        if engine.url.password:
            reason = reason.replace(str(engine.url.password), "***")
        raise SqlcompileError(f"cannot connect to the database {_hidden(engine.url)}: {reason}",
                              hint="check the URL, that the server is running and that this "
                                   "user may connect") from None
    with conn:
        yield conn


def current_heads(engine: sa.Engine, config: Config) -> list[str]:
    """Rows of the version table (empty when it does not exist yet)."""
    import sqlalchemy as sa

    from sqlcompile.pipeline.plan import version_table

    table = version_table(config)
    with _connect(engine) as conn:
        if not sa.inspect(conn).has_table(table.name, schema=table.schema):
            return []
        return sorted(conn.execute(sa.select(table.c.version_num)).scalars())


def execute_statements(engine: sa.Engine, statements: list[Statement]) -> int:
    """Run statements in order on one autocommit connection; roll back an open transaction
    and raise ApplyFailed naming the statement when one fails. Returns how many ran."""
    count = 0
    with _connect(engine) as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        for statement in statements:
            if not statement.sql or statement.file_only:
                continue  # for a file's client program (psql, sqlite3) only
            try:
                cursor.execute(statement.sql)
            except Exception as exc:
                try:
                    cursor.execute("ROLLBACK")
                except Exception:  # noqa: BLE001  (nothing was open)
                    pass
                # Close the session rather than pool it: that releases the migration lock.
                conn.invalidate()
                where = "; ".join(statement.comments) or statement.sql.splitlines()[0]
                raise ApplyFailed(f"{where}: {exc}".strip()) from None
            count += 1
        cursor.close()
    return count


def migrate(proj: Project, url: str | None, target: str, direction: str) -> None:
    """Bring the database at ``url`` to ``target`` by upgrading or downgrading."""
    from sqlcompile.pipeline.plan import Framer

    engine, dialect = _engine(proj.config, url)
    graph = proj.graph
    heads = current_heads(engine, proj.config)
    first: list[tuple[Step, Body]] = []
    if direction == "upgrade" and not heads and proj.config.baseline:
        # An empty database with a baseline: created at the baseline, as baseline.sql does
        # (the revisions it covers may not compile offline), then upgraded from there.
        from sqlcompile.pipeline.baseline import baseline_migration

        step, body, _ = baseline_migration(proj, dialect)
        first.append((step, body))
        heads = list(step.after)
    steps = graph.steps(direction, heads, graph.resolve(target))
    bodies = [proj.body(step, dialect) for step in steps]  # every one compiles, or nothing runs
    for step, body in zip(steps, bodies, strict=True):
        if body.irreversible is not None:
            _refuse(proj, step, body.irreversible, dialect)
    framer = Framer(dialect, proj.config)
    framer.session_setup()
    for step, body in [*first, *zip(steps, bodies, strict=True)]:
        framer.migration(step, body)
    execute_statements(engine, framer.finish())
    for step, _ in first:
        click.echo(f"baseline {step.script.revision}: the schema at the baseline, created",
                   err=True)
    for step in steps:
        click.echo(f"{step.direction} {step.position:04d} {step.script.revision}: "
                   f"{step.script.message}", err=True)
    click.echo(f"at {', '.join(current_heads(engine, proj.config)) or 'base'}", err=True)


def _refuse(proj: Project, step: Step, irreversible: Irreversible,
            dialect: DialectSupport) -> None:
    """Stop a downgrade that crosses an irreversible revision before it changes anything,
    with the message its file's refusal gives."""
    from sqlcompile.pipeline.plan import refusal_message

    hand = proj.config.hand_written_sql(dialect.name, step.script.revision, "downgrade")
    raise SqlcompileError(
        refusal_message(step, irreversible.reason),
        path=irreversible.path, line=irreversible.line,
        hint=f"no migration ran; `sqlcompile downgrade {step.script.revision}` undoes only "
             "the revisions after it, or write its downgrade by hand in "
             f"{hand.relative_to(proj.config.root).as_posix()}")


_URL_OPTION = click.option("--url", help="Database URL (default: the environment's url, "
                                        f"else {DEFAULT_DEV_URL}).")


@click.command("upgrade")
@click.argument("target", default="heads")
@_URL_OPTION
@click.pass_context
@handle_errors
def upgrade_command(ctx: click.Context, target: str, url: str | None) -> None:
    """Apply migrations up to TARGET (default: heads) to a database."""
    migrate(project(ctx), url, target, "upgrade")


@click.command("downgrade")
@click.argument("target")
@_URL_OPTION
@click.pass_context
@handle_errors
def downgrade_command(ctx: click.Context, target: str, url: str | None) -> None:
    """Undo migrations down to TARGET (`base` undoes all) on a database."""
    migrate(project(ctx), url, target, "downgrade")


@click.command("current")
@_URL_OPTION
@click.pass_context
@handle_errors
def current_command(ctx: click.Context, url: str | None) -> None:
    """Print the revisions the database's version table holds."""
    config = settings(ctx)
    engine, _ = _engine(config, url)
    heads = current_heads(engine, config)
    click.echo("\n".join(heads) if heads else "base (no revision applied)")


@click.command("stamp")
@click.argument("target")
@_URL_OPTION
@click.pass_context
@handle_errors
def stamp_command(ctx: click.Context, target: str, url: str | None) -> None:
    """Set the version table to TARGET without running migrations."""
    from sqlcompile.pipeline.plan import Framer

    proj = project(ctx)
    engine, dialect = _engine(proj.config, url)
    rows = proj.graph.resolve(target)
    framer = Framer(dialect, proj.config)
    framer.begin()
    framer.clear_versions()
    for rev in rows:
        framer.insert_version(rev)
    execute_statements(engine, framer.finish())
    click.echo(f"stamped {', '.join(rows) or 'base'}", err=True)


#: The dev loop's commands (cli.py adds them to the group).
COMMANDS = (upgrade_command, downgrade_command, current_command, stamp_command)
