"""The `sqlcompile` command line. Heavy imports happen inside the commands that need them."""

from __future__ import annotations

import atexit
import gc
import sys
from typing import TYPE_CHECKING

import click

from sqlcompile import __version__, commands, devloop
from sqlcompile.clisupport import TRACEBACK_ENV, handle_errors, project
from sqlcompile.errors import Findings, SqlcompileError

if TYPE_CHECKING:
    from sqlcompile.config import Config
    from sqlcompile.pipeline.render import Project, Rendered


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sqlcompile")
@click.option("--config", type=click.Path(dir_okay=False),
              help="Config file (default: ./sqlcompile.toml or [tool.sqlcompile] in "
                   "./pyproject.toml).")
@click.option("--env", help="Environment from [tool.sqlcompile.environments.NAME].")
@click.option("-x", "x_arg", multiple=True, help="KEY=VALUE for context.get_x_argument().")
@click.option("--traceback", is_flag=True,
              help=f"On an internal error (exit 70), show its traceback (or set "
                   f"{TRACEBACK_ENV}=1).")
def cli(config: str | None, env: str | None, x_arg: tuple[str, ...], traceback: bool) -> None:
    """Compile an Alembic-format migration history into plain, guarded, validated SQL."""


def _report(rendered: list[Rendered], verbose: bool) -> bool:
    """Print validation findings and one summary line per dialect; True when all passed."""
    ok = True
    for result in rendered:
        report = result.report
        for problem in report.errors:
            ok = False
            click.echo(f"{problem.file}: statement failed validation ({problem.detail}):\n"
                       f"    {problem.sql.strip()[:500]}", err=True)
        if verbose:
            for problem in report.unvalidated_items:
                click.echo(f"{problem.file}: unvalidated ({problem.detail}): "
                           f"{problem.sql.splitlines()[0][:120]}", err=True)
        click.echo(report.summary(), err=True)
    return ok


def _dialects(config: Config, chosen: tuple[str, ...]) -> list[str]:
    from sqlcompile.config import coerce_setting

    if not chosen:
        return list(config.dialects)
    return list(coerce_setting("dialects", list(chosen), "--dialect"))


@cli.command()
@click.option("--dialect", "dialects", multiple=True, help="Target dialect (repeatable).")
@click.option("--from", "from_rev", help="With --stdout: start of the range.")
@click.option("--to", "to_rev", help="With --stdout: end of the range.")
@click.option("--downgrade", is_flag=True, help="With --stdout: downgrade stream.")
@click.option("--stdout", "to_stdout", is_flag=True, help="Print one SQL stream instead of files.")
@click.option("-v", "--verbose", is_flag=True, help="List unvalidated statements too.")
@click.pass_context
@handle_errors
def render(ctx: click.Context, dialects: tuple[str, ...], from_rev: str | None,
           to_rev: str | None, downgrade: bool, to_stdout: bool, verbose: bool) -> None:
    """Compile every revision to SQL files (or one stream with --stdout)."""
    from sqlcompile.pipeline.output import commit_staged, discard_staged, remove_stale
    from sqlcompile.pipeline.render import render_files, render_stream

    proj = project(ctx)
    names = _dialects(proj.config, dialects)
    if not to_stdout:
        if from_rev or to_rev or downgrade:
            raise SqlcompileError("--from, --to and --downgrade only apply with --stdout",
                                  hint="files are always written for every revision")
        results: list[Rendered] = []
        try:
            for name in names:
                results.append(render_files(proj, name, write=True))
        except BaseException:
            for result in results:
                discard_staged(result.staged)
            raise
        staged = {path: tmp for r in results for path, tmp in r.staged.items()}
        if not _report(results, verbose):
            discard_staged(staged)
            raise Findings("validation failed; no files were written")
        commit_staged(staged)
        produced = [path for r in results for path in r.files]
        removed = remove_stale(produced, [proj.config.output_path / n for n in names])
        click.echo(f"wrote {len(staged)} changed file(s), removed {removed} stale file(s) under "
                   f"{proj.config.output_dir}/", err=True)
        return
    if len(names) != 1:
        raise SqlcompileError(f"--stdout prints one dialect, but {len(names)} are configured",
                              hint="pick one with --dialect")
    graph = proj.graph
    direction, start, target = (
        ("downgrade", from_rev or "heads", to_rev or "base") if downgrade
        else ("upgrade", from_rev or "base", to_rev or "heads")
    )
    steps = graph.steps(direction, graph.resolve(start), graph.resolve(target))
    description = f"{direction} {start} -> {target}"
    result = render_stream(proj, names[0], steps, description)
    if not _report([result], verbose):
        raise Findings("validation failed; nothing was printed")
    # The stream is UTF-8 bytes whatever the locale (the PostgreSQL session says so too).
    sys.stdout.buffer.write(next(iter(result.files.values())).encode("utf-8"))
    sys.stdout.flush()


def _model_warnings(results: list[Rendered], strict: bool) -> int:
    """Print where each dialect's schema model stops following the SQL (raw statements it
    cannot follow), as the render found it; returns how many were printed."""
    count = 0
    label = "error" if strict else "warning"
    for result in results:
        for message in result.incomplete:
            count += 1
            click.echo(f"{label}: {result.dialect}: {message}", err=True)
    return count


@cli.command()
@click.option("-v", "--verbose", is_flag=True, help="List unvalidated statements too.")
@click.option("--strict", is_flag=True,
              help="Fail (exit 1) when the schema model may be incomplete, not just warn.")
@click.pass_context
@handle_errors
def check(ctx: click.Context, verbose: bool, strict: bool) -> None:
    """Check the graph, that every script compiles, and that the SQL files are up to date."""
    from sqlcompile.pipeline.output import compare_outputs
    from sqlcompile.pipeline.render import render_files

    proj = project(ctx)
    results = [render_files(proj, name) for name in proj.config.dialects]
    ok = _report(results, verbose)
    warnings = _model_warnings(results, strict)
    root = proj.config.root
    for result in results:
        stale, missing, extra = compare_outputs(
            result.files, [proj.config.output_path / result.dialect]
        )
        for label, paths in (("stale", stale), ("missing", missing), ("extra", extra)):
            for path in paths:
                ok = False
                click.echo(f"{label}: {path.relative_to(root).as_posix()}", err=True)
    if not ok:
        click.echo("check failed: run `sqlcompile render` and review the diff", err=True)
    models_ok = _compare_models(proj)
    if not ok or not models_ok:
        raise Findings()  # each finding and a `check failed` line are printed above
    if strict and warnings:
        click.echo("check failed (--strict): the schema model may be incomplete (see above)",
                   err=True)
        raise Findings()
    note = f" ({warnings} schema model warning(s) above)" if warnings else ""
    models = ", models match" if proj.config.target_metadata else ""
    click.echo(f"ok: {len(proj.graph.order)} revisions, SQL files up to date{models}{note}",
               err=True)


def _compare_models(proj: Project) -> bool:
    """With `target_metadata` set: whether the models match the history's schema for every
    configured dialect (the differences are listed otherwise: a forgotten migration)."""
    if not proj.config.target_metadata:
        return True
    from sqlcompile.autogen.generate import autogenerate
    from sqlcompile.autogen.target import load_metadata
    from sqlcompile.dialects import get_dialect

    metadata = load_metadata(proj.config)
    ok = True
    for name in proj.config.dialects:
        result = autogenerate(proj, get_dialect(name), metadata=metadata)
        if result.diff.empty:
            continue
        ok = False
        click.echo(f"models differ from the history ({name}):", err=True)
        for line in result.report_lines():
            click.echo(line, err=True)
    if not ok:
        click.echo("check failed: the models and the history disagree; write the migration "
                   "(sqlcompile revision --autogenerate -m MESSAGE) or fix the models", err=True)
    return ok


for command in (*commands.COMMANDS, *devloop.COMMANDS):
    cli.add_command(command)


def main() -> None:
    """Console-script entry point."""
    # A short-lived compiler allocating many small objects: collect young objects far less
    # often than the default (measured: about 6% of a 1000-revision render).
    gc.set_threshold(50_000, 20, 100)
    # At exit, the interpreter's last collection would walk every object still alive (the
    # models of thousands of tables): frozen, they are left to be freed by reference counts.
    atexit.register(gc.freeze)
    cli(prog_name="sqlcompile")
