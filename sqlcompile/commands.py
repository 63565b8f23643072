"""Commands besides render/check: init, revision, merge, history, heads, show, schema."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sqlcompile.cli import handle_errors, project, settings

if TYPE_CHECKING:
    from sqlcompile.config import Config
    from sqlcompile.render import Project
    from sqlcompile.sources.graph import RevisionGraph

TEMPLATE_NAME = "script.py.j2"


def _templates(config_dir: Path | None = None) -> Any:
    import jinja2

    loaders: list[jinja2.BaseLoader] = []
    if config_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(config_dir)))
    loaders.append(jinja2.PackageLoader("sqlcompile", "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders), keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined, autoescape=False,
    )
    env.filters["pyrepr"] = repr
    return env


def script_text(
    config: Config,
    message: str,
    down_revision: str | tuple[str, ...] | None,
    *,
    rev_id: str | None = None,
    branch_labels: tuple[str, ...] | None = None,
    depends_on: tuple[str, ...] | None = None,
    upgrade_body: str = "",
    downgrade_body: str = "",
    imports: list[str] | None = None,
) -> tuple[Path, str]:
    """Where a new migration script goes and its text, from the project's (or the packaged)
    template."""
    from sqlcompile.errors import SqlcompileError
    from sqlcompile.output import slug

    revision = rev_id or secrets.token_hex(6)
    parents = (down_revision,) if isinstance(down_revision, str) else (down_revision or ())
    text = _templates(config.root / config.script_location).get_template(TEMPLATE_NAME).render(
        message=message,
        revision=revision,
        down_revision=down_revision,
        down_revision_text=", ".join(parents) or "(none)",
        branch_labels=branch_labels or None,
        depends_on=depends_on or None,
        upgrade_body=upgrade_body,
        downgrade_body=downgrade_body,
        imports=imports or [],
    )
    path = config.scripts_dir / f"{revision}_{slug(message)}.py"
    if path.exists():
        raise SqlcompileError(f"{path} already exists", hint="choose another --rev-id")
    return path, text


def write_script(config: Config, message: str, down_revision: str | tuple[str, ...] | None,
                 **kw: Any) -> Path:
    """Write a new migration script (see :func:`script_text`)."""
    from sqlcompile.output import write_atomic

    path, text = script_text(config, message, down_revision, **kw)
    write_atomic(path, text)
    return path


def _describe(graph: RevisionGraph, rev: str) -> str:
    script = graph.scripts[rev]
    tags = []
    if not graph.children[rev]:
        tags.append("head")
    if len(graph.children[rev]) > 1:
        tags.append("branchpoint")
    if script.is_merge:
        tags.append("mergepoint")
    if script.branch_labels:
        tags.append("labels: " + ", ".join(script.branch_labels))
    parents = ", ".join(script.down_revisions) or "<base>"
    suffix = f" ({'; '.join(tags)})" if tags else ""
    return f"{graph.position[rev]:04d} {parents} -> {rev}{suffix}: {script.message}"


def _autogenerate(proj: Project, message: str, parent: str | None, *, rev_id: str | None,
                  branch_labels: tuple[str, ...], depends_on: tuple[str, ...],
                  against: str | None, dialect: str | None, renames: tuple[str, ...],
                  allow_empty: bool) -> None:
    """`revision --autogenerate`: compare, report on stderr, write the script (or nothing)."""
    from sqlcompile.autogen.compare import Renames
    from sqlcompile.autogen.generate import autogenerate, self_check
    from sqlcompile.config import coerce_setting
    from sqlcompile.dialects import get_dialect
    from sqlcompile.errors import SqlcompileError
    from sqlcompile.output import write_atomic

    if dialect:
        name = coerce_setting("dialects", [dialect], "--dialect")[0]
    elif against:
        from sqlcompile.autogen.reflect import url_dialect

        name = url_dialect(against)
    else:
        name = proj.config.dialects[0]
    if parent is not None and proj.graph.heads() != [parent]:
        raise SqlcompileError("autogenerate compares with the schema at every head; the new "
                              f"revision would follow {parent} only",
                              hint="merge the heads first (sqlcompile merge heads)")
    result = autogenerate(proj, get_dialect(name), against=against,
                          renames=Renames.parse(renames))
    click.echo(f"compared the models with {result.against} ({result.dialect.title}):", err=True)
    for line in result.report_lines():
        click.echo(line, err=True)
    if result.diff.empty and not allow_empty:
        click.echo("no differences: no script written (--allow-empty writes one anyway)",
                   err=True)
        return
    path, text = script_text(
        proj.config, message, parent, rev_id=rev_id, branch_labels=branch_labels,
        depends_on=depends_on, upgrade_body=result.upgrade_body(),
        downgrade_body=result.downgrade_body(), imports=result.diff.imports.sorted())
    problems = self_check(text, path.name, proj, result)
    write_atomic(path, text)
    shown = path.relative_to(proj.config.root).as_posix()
    for problem in problems:
        click.echo(f"warning: {shown}: {problem}", err=True)
    if problems:
        click.echo("warning: the script does not fully match the models (see above); please "
                   "review it and report the case", err=True)
    click.echo(f"created {shown} ({len(result.diff.changes)} change(s))")


def register(cli: click.Group) -> None:
    """Add the commands of this module (and the dev loop) to the CLI group."""

    @cli.command("schema")
    @click.option("--dialect", help="Target dialect (default: the first configured).")
    @click.option("--at", "at", default="heads",
                  help="Revision (id, prefix, label, head, heads; default: heads).")
    @click.pass_context
    @handle_errors
    def schema_command(ctx: click.Context, dialect: str | None, at: str) -> None:
        """Print the schema at a revision as DDL, from the schema model (no database)."""
        import sys

        from sqlcompile.config import coerce_setting
        from sqlcompile.render import render_schema

        proj = project(ctx)
        name = (coerce_setting("dialects", [dialect], "--dialect")[0] if dialect
                else proj.config.dialects[0])
        revisions = proj.graph.resolve(at)
        everything = set(revisions) == set(proj.graph.heads())
        shown = ", ".join(revisions) or "nothing applied"
        description = at if shown == at else f"{at} ({shown})"
        if everything:  # the same bytes as the schema.sql that render writes
            result = render_schema(proj, name)
        else:
            result = render_schema(proj, name, revisions, description)
        for problem in result.report.errors:
            click.echo(f"statement failed validation ({problem.detail}): {problem.sql}",
                       err=True)
        if result.report.errors:
            sys.exit(1)
        sys.stdout.buffer.write(next(iter(result.files.values())).encode("utf-8"))
        sys.stdout.flush()

    @cli.command()
    @click.argument("directory", default=".", type=click.Path(file_okay=False))
    @click.option("--dialect", "dialects", multiple=True, help="Target dialect(s).")
    @handle_errors
    def init(directory: str, dialects: tuple[str, ...]) -> None:
        """Create sqlcompile.toml, migrations/ with a script template, and sql_out/."""
        from sqlcompile.config import CONFIG_FILE, coerce_setting
        from sqlcompile.dialects import DEFAULT_DIALECT
        from sqlcompile.errors import SqlcompileError
        from sqlcompile.output import write_atomic

        root = Path(directory)
        config_path = root / CONFIG_FILE
        if config_path.exists():
            raise SqlcompileError(f"{config_path} already exists; nothing was changed")
        chosen = list(coerce_setting("dialects", list(dialects) or [DEFAULT_DIALECT], "--dialect"))
        env = _templates()
        template = env.loader.get_source(env, TEMPLATE_NAME)[0]
        (root / "migrations" / "versions").mkdir(parents=True, exist_ok=True)
        (root / "sql_out").mkdir(parents=True, exist_ok=True)
        write_atomic(root / "migrations" / TEMPLATE_NAME, template)
        rendered = env.get_template("sqlcompile.toml.j2").render(
            dialects="[" + ", ".join(f'"{d}"' for d in chosen) + "]"
        )
        write_atomic(config_path, rendered)
        click.echo(f"created {config_path}, {root / 'migrations'}, {root / 'sql_out'}")

    @cli.command()
    @click.option("-m", "--message", required=True, help="What the revision does.")
    @click.option("--head", "head", help="Parent revision (default: the single head).")
    @click.option("--rev-id", help="Revision id to use instead of a random one.")
    @click.option("--branch-label", "branch_labels", multiple=True)
    @click.option("--depends-on", "depends_on", multiple=True)
    @click.option("--autogenerate", is_flag=True,
                  help="Fill the script with what the models (target_metadata) add or change "
                       "compared with the history's schema.")
    @click.option("--against", metavar="URL",
                  help="With --autogenerate: compare with this live database instead.")
    @click.option("--dialect", help="With --autogenerate: the dialect to compare for (default: "
                                    "the first configured; with --against, the URL's).")
    @click.option("--rename", "renames", multiple=True, metavar="[TABLE.]OLD=NEW",
                  help="With --autogenerate: a column (TABLE.OLD=NEW) or table (OLD=NEW) was "
                       "renamed, not dropped and added (repeatable).")
    @click.option("--allow-empty", is_flag=True,
                  help="With --autogenerate: write a script even when nothing differs.")
    @click.pass_context
    @handle_errors
    def revision(ctx: click.Context, message: str, head: str | None, rev_id: str | None,
                 branch_labels: tuple[str, ...], depends_on: tuple[str, ...],
                 autogenerate: bool, against: str | None, dialect: str | None,
                 renames: tuple[str, ...], allow_empty: bool) -> None:
        """Create a new migration script on the current head (empty, or with --autogenerate
        the changes that bring the history to the models)."""
        from sqlcompile.errors import SqlcompileError

        proj = project(ctx)
        graph = proj.graph
        if head:
            parents = graph.resolve(head)
            parent: str | None = parents[0] if len(parents) == 1 else None
            if len(parents) > 1:
                parent = graph.single_head("revision --head")
        else:
            parent = graph.single_head("a new revision") if graph.order else None
        if not autogenerate:
            if against or dialect or renames or allow_empty:
                raise SqlcompileError("--against, --dialect, --rename and --allow-empty only "
                                      "apply with --autogenerate")
            path = write_script(proj.config, message, parent, rev_id=rev_id,
                                branch_labels=branch_labels, depends_on=depends_on)
            click.echo(f"created {path.relative_to(proj.config.root).as_posix()}")
            return
        _autogenerate(proj, message, parent, rev_id=rev_id, branch_labels=branch_labels,
                      depends_on=depends_on, against=against, dialect=dialect,
                      renames=renames, allow_empty=allow_empty)

    @cli.command()
    @click.argument("revisions", nargs=-1, required=True)
    @click.option("-m", "--message", required=True)
    @click.option("--rev-id", help="Revision id to use instead of a random one.")
    @click.pass_context
    @handle_errors
    def merge(ctx: click.Context, revisions: tuple[str, ...], message: str,
              rev_id: str | None) -> None:
        """Create a merge revision joining REVISIONS (e.g. `heads`)."""
        from sqlcompile.errors import GraphError

        proj = project(ctx)
        parents = sorted({rev for ref in revisions for rev in proj.graph.resolve(ref)})
        if len(parents) < 2:
            raise GraphError(f"a merge needs at least two revisions, got {parents or 'none'}",
                             hint="name two heads, or `heads`")
        path = write_script(proj.config, message, tuple(parents), rev_id=rev_id)
        click.echo(f"created {path.relative_to(proj.config.root).as_posix()}")

    @cli.command()
    @click.pass_context
    @handle_errors
    def history(ctx: click.Context) -> None:
        """List revisions, newest first: position, parents -> revision, message."""
        graph = project(ctx).graph
        for rev in reversed(graph.order):
            click.echo(_describe(graph, rev))

    @cli.command()
    @click.pass_context
    @handle_errors
    def heads(ctx: click.Context) -> None:
        """List the head revisions."""
        graph = project(ctx).graph
        for rev in graph.heads():
            click.echo(_describe(graph, rev))

    @cli.command()
    @click.argument("rev")
    @click.pass_context
    @handle_errors
    def show(ctx: click.Context, rev: str) -> None:
        """Show one revision: ids, parents, children, file, message and docstring."""
        from sqlcompile.errors import GraphError

        graph = project(ctx).graph
        revs = graph.resolve(rev)
        if not revs:
            raise GraphError(f"{rev!r} names no revision")
        for name in revs:
            script = graph.scripts[name]
            click.echo(f"Revision:     {name}  ({graph.position[name]} of {len(graph.order)})")
            click.echo(f"Parents:      {', '.join(script.down_revisions) or '<base>'}")
            click.echo(f"Children:     {', '.join(graph.children[name]) or '<head>'}")
            if script.branch_labels:
                click.echo(f"Branch labels: {', '.join(script.branch_labels)}")
            if script.depends_on:
                click.echo(f"Depends on:   {', '.join(script.depends_on)}")
            click.echo(f"Path:         {script.rel_path}")
            click.echo(f"sha256:       {script.sha256}")
            doc = str(script.namespace.get("__doc__") or script.message).strip()
            click.echo("")
            click.echo("    " + doc.replace("\n", "\n    "))

    from sqlcompile.devloop import register as register_devloop

    register_devloop(cli, settings, project)
