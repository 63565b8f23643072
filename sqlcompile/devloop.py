"""The dev loop: upgrade/downgrade/current/stamp against a database URL.

The statements executed are the same compiled, framed statements the SQL files contain,
sent one by one through SQLAlchemy in autocommit mode so the files' own BEGIN/COMMIT apply.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from sqlcompile.cli import handle_errors

if TYPE_CHECKING:
    import sqlalchemy as sa

    from sqlcompile.config import Config
    from sqlcompile.dialects.base import DialectSupport
    from sqlcompile.pipeline.compiler import Statement
    from sqlcompile.pipeline.render import Project

class ApplyFailed(Exception):
    """A statement failed while applying migrations to a database."""


def _engine(config: Config, url: str | None) -> tuple[sa.Engine, DialectSupport]:
    import sqlalchemy as sa

    from sqlcompile.dialects import DEFAULT_DEV_URL, get_dialect

    parsed = sa.make_url(url or config.url or DEFAULT_DEV_URL)
    dialect = get_dialect(parsed.get_backend_name())
    engine = sa.create_engine(dialect.project_url(parsed, config.root))
    return engine, dialect


def current_heads(engine: sa.Engine, config: Config) -> list[str]:
    """Rows of the version table (empty when it does not exist yet)."""
    import sqlalchemy as sa

    from sqlcompile.pipeline.plan import version_table

    table = version_table(config)
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(table.name, schema=table.schema):
            return []
        return sorted(conn.execute(sa.select(table.c.version_num)).scalars())


def execute_statements(engine: sa.Engine, statements: list[Statement]) -> int:
    """Run statements in order on one autocommit connection; roll back an open transaction
    and raise ApplyFailed naming the statement when one fails. Returns how many ran."""
    count = 0
    with engine.connect() as conn:
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


def _apply(engine: sa.Engine, statements: list[Statement]) -> None:
    """Execute statements; a failing one ends the command with exit code 1."""
    try:
        execute_statements(engine, statements)
    except ApplyFailed as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None


def migrate(proj: Project, url: str | None, target: str, direction: str) -> None:
    """Bring the database at ``url`` to ``target`` by upgrading or downgrading."""
    from sqlcompile.pipeline.plan import Framer

    engine, dialect = _engine(proj.config, url)
    graph = proj.graph
    steps = graph.steps(direction, current_heads(engine, proj.config), graph.resolve(target))
    framer = Framer(dialect, proj.config)
    framer.session_setup()
    for step in steps:
        framer.migration(step, proj.body(step, dialect))
    _apply(engine, framer.finish())
    for step in steps:
        click.echo(f"{step.direction} {step.position:04d} {step.script.revision}: "
                   f"{step.script.message}", err=True)
    click.echo(f"at {', '.join(current_heads(engine, proj.config)) or 'base'}", err=True)


def register(
    cli: click.Group,
    settings: Callable[[click.Context], Config],
    project: Callable[[click.Context], Project],
) -> None:
    """Add upgrade, downgrade, current and stamp to the CLI."""
    from sqlcompile.dialects import DEFAULT_DEV_URL

    url_option = click.option("--url", help="Database URL (default: the environment's url, "
                                            f"else {DEFAULT_DEV_URL}).")

    @cli.command()
    @click.argument("target", default="heads")
    @url_option
    @click.pass_context
    @handle_errors
    def upgrade(ctx: click.Context, target: str, url: str | None) -> None:
        """Apply migrations up to TARGET (default: heads) to a database."""
        migrate(project(ctx), url, target, "upgrade")

    @cli.command()
    @click.argument("target")
    @url_option
    @click.pass_context
    @handle_errors
    def downgrade(ctx: click.Context, target: str, url: str | None) -> None:
        """Undo migrations down to TARGET (`base` undoes all) on a database."""
        migrate(project(ctx), url, target, "downgrade")

    @cli.command()
    @url_option
    @click.pass_context
    @handle_errors
    def current(ctx: click.Context, url: str | None) -> None:
        """Print the revisions the database's version table holds."""
        config = settings(ctx)
        engine, _ = _engine(config, url)
        heads = current_heads(engine, config)
        click.echo("\n".join(heads) if heads else "base (no revision applied)")

    @cli.command()
    @click.argument("target")
    @url_option
    @click.pass_context
    @handle_errors
    def stamp(ctx: click.Context, target: str, url: str | None) -> None:
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
        _apply(engine, framer.finish())
        click.echo(f"stamped {', '.join(rows) or 'base'}", err=True)
