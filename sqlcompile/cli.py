"""The `sqlcompile` command line. Heavy imports happen inside the commands that need them."""

from __future__ import annotations

import atexit
import gc
import io
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING, Any, TextIO

import click

from sqlcompile import __version__, commands, devloop
from sqlcompile.clisupport import TRACEBACK_ENV, handle_errors, project, settings
from sqlcompile.errors import Findings, SqlcompileError, one_line

if TYPE_CHECKING:
    from sqlcompile.config import Config
    from sqlcompile.pipeline.render import Project, Rendered
    from sqlcompile.pipeline.validate import Problem
    from sqlcompile.sources.graph import Step


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
    """Print validation findings and one summary line per dialect; True when all passed.

    With ``verbose``, also each unvalidated statement and why (its kind and the parser's
    message), and where a server parser decided, sqlglot's own verdict where it differs.
    """
    ok = True
    for result in rendered:
        report = result.report
        for problem in report.errors:
            ok = False
            click.echo(f"error: {problem.location()}: statement failed validation "
                       f"({problem.detail}): in {problem.file}:\n"
                       f"    {problem.sql.strip()[:500]}\n  hint: {_validation_hint(problem)}",
                       err=True)
        if verbose:
            for problem in report.unvalidated_items:
                click.echo(f"{problem.file}: unvalidated, {problem.kind} ({problem.detail}): "
                           f"{_first_line(problem.sql)}", err=True)
            for problem in report.second_opinions:
                click.echo(f"{problem.file}: {problem.detail}: {_first_line(problem.sql)}",
                           err=True)
            if report.sqlglot_summary():
                click.echo(report.sqlglot_summary(), err=True)
        click.echo(report.summary(), err=True)
    return ok


def _validation_hint(problem: Problem) -> str:
    """What to do about a statement that failed validation, by where it comes from."""
    from sqlcompile.pipeline.validate import MARKER

    accept = (f"if the server does accept it, put a `{MARKER} <why>` comment line before "
              "the statement")
    if problem.origin != "raw":
        return ("the statement was compiled from the op at that line: check the SQL text the "
                "script gives it (a server_default, a CHECK condition), or write this "
                "revision's SQL by hand")
    if problem.source.endswith(".sql"):
        return f"correct the statement in {problem.source}, or {accept}"
    return f"correct the SQL the script gives op.execute(), or {accept}"


def _first_line(sql: str) -> str:
    """The first line of a statement that is not a comment, cut at 120 characters."""
    lines = [line for line in sql.splitlines() if line.strip()]
    code = [line for line in lines if not line.lstrip().startswith("--")]
    return (code or lines or [""])[0][:120]


def _dialects(config: Config, chosen: tuple[str, ...]) -> list[str]:
    from sqlcompile.config import coerce_setting

    if not chosen:
        return list(config.dialects)
    return list(coerce_setting("dialects", list(chosen), "--dialect"))


class _Tee(io.TextIOBase):
    """Standard error, also kept: what a run printed, for :mod:`sqlcompile.pipeline.rerun`."""

    def __init__(self, stream: TextIO, keep: Callable[[str], None], inputs: str) -> None:
        self.stream = stream
        self.parts: list[str] = []
        self._keep = keep
        #: the project's rerun.inputs() when the run started
        self.inputs = inputs

    def remember(self) -> None:
        """This run changed nothing: keep what it printed for the next one."""
        self._keep("".join(self.parts))

    def write(self, text: str) -> int:
        if isinstance(text, str):
            self.parts.append(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.stream.encoding


def _run_key(ctx: click.Context, command: str, options: dict[str, Any], baseline: str | None,
             dialects: tuple[str, ...] = (), inputs: str | None = None
             ) -> tuple[Config, list[str], str, str]:
    """(settings, dialects, key, inputs) of a run of ``command`` (see pipeline/rerun.py);
    ``inputs``: the project's rerun.inputs(), when known."""
    from dataclasses import replace

    from sqlcompile.pipeline import rerun

    config = settings(ctx)
    if baseline is not None:
        config = replace(config, baseline=baseline)
    names = _dialects(config, dialects)
    root = ctx.find_root().params
    inputs = inputs if inputs is not None else rerun.inputs(config)
    run_key = rerun.key(inputs, command, {**options, **{k: repr(v) for k, v in root.items()}})
    return config, names, run_key, inputs


def _prime_check(ctx: click.Context, proj: Project, results: list[Rendered],
                 inputs: str) -> None:
    """After a render of every configured dialect wrote its files: remember what `check`
    (without options) would print now, so the first check after a render answers at once.
    Not with `target_metadata` (check then also compares the models)."""
    from sqlcompile.pipeline import rerun

    names = list(proj.config.dialects)
    if proj.config.target_metadata or [r.dialect for r in results] != names:
        return
    options = {"verbose": False, "strict": False}
    config, names, run_key, _ = _run_key(ctx, "check", options, None, inputs=inputs)
    kept = io.StringIO()
    stream, sys.stderr = sys.stderr, kept
    try:
        _checked(proj, results, names, False, False, written=True)
    except (Findings, SqlcompileError):
        return
    finally:
        sys.stderr = stream
    rerun.remember(config, "check", run_key, names, kept.getvalue())


@contextmanager
def _remembered(ctx: click.Context, command: str, options: dict[str, Any],
                baseline: str | None, dialects: tuple[str, ...] = ()) -> Iterator[_Tee]:
    """Answer from an earlier run when nothing it depends on changed (raise click's Exit 0
    then); else give a :class:`_Tee` collecting what this run prints, whose ``remember()``
    keeps it when the run changed nothing."""
    from sqlcompile.pipeline import rerun

    config, names, run_key, inputs = _run_key(ctx, command, options, baseline, dialects)
    text = rerun.answer(config, command, run_key, names)
    if text is not None:
        sys.stderr.write(text)
        raise click.exceptions.Exit(0)
    tee = _Tee(sys.stderr, lambda text: rerun.remember(config, command, run_key, names,
                                                      text), inputs)
    sys.stderr = tee
    try:
        yield tee
    finally:
        sys.stderr = tee.stream


def _project(ctx: click.Context, baseline: str | None, use_cache: bool = True) -> Project:
    """The history, with ``baseline`` (from --baseline) instead of the configured one;
    ``use_cache`` False: .sqlcompile_cache/ neither read nor written (--no-cache)."""
    if baseline is None:
        return project(ctx, use_cache)
    from dataclasses import replace

    from sqlcompile.pipeline.render import load_project

    return load_project(replace(settings(ctx), baseline=baseline), baseline_from="--baseline",
                        use_cache=use_cache)


_NO_CACHE_HELP = ("Compile every revision again, neither reading nor updating "
                  ".sqlcompile_cache/.")
_BASELINE_HELP = ("Revision every database is already at: it and its ancestors get no files "
                  "(overrides `baseline` in the config).")


@cli.command()
@click.option("--dialect", "dialects", multiple=True, help="Target dialect (repeatable).")
@click.option("--from", "from_rev", help="With --stdout: start of the range.")
@click.option("--to", "to_rev", help="With --stdout: end of the range.")
@click.option("--downgrade", is_flag=True, help="With --stdout: downgrade stream.")
@click.option("--stdout", "to_stdout", is_flag=True, help="Print one SQL stream instead of files.")
@click.option("-v", "--verbose", is_flag=True, help="List unvalidated statements too.")
@click.option("--baseline", metavar="REV", help=_BASELINE_HELP)
@click.option("--no-cache", is_flag=True, help=_NO_CACHE_HELP)
@click.pass_context
@handle_errors
def render(ctx: click.Context, dialects: tuple[str, ...], from_rev: str | None,
           to_rev: str | None, downgrade: bool, to_stdout: bool, verbose: bool,
           baseline: str | None, no_cache: bool) -> None:
    """Compile every revision to SQL files (or one stream with --stdout)."""
    if to_stdout or no_cache:
        _render(ctx, dialects, from_rev, to_rev, downgrade, to_stdout, verbose, baseline,
                no_cache, None)
        return
    options = {"dialects": dialects, "verbose": verbose}
    with _remembered(ctx, "render", options, baseline, dialects) as tee:
        _render(ctx, dialects, from_rev, to_rev, downgrade, to_stdout, verbose, baseline,
                no_cache, tee)


def _render(ctx: click.Context, dialects: tuple[str, ...], from_rev: str | None,
            to_rev: str | None, downgrade: bool, to_stdout: bool, verbose: bool,
            baseline: str | None, no_cache: bool, tee: _Tee | None) -> None:
    from sqlcompile.pipeline.output import commit_staged, discard_staged, remove_stale
    from sqlcompile.pipeline.render import render_files, render_stream

    proj = _project(ctx, baseline, not no_cache)
    proj.keep_going = True  # every failure is reported, not just the first
    names = _dialects(proj.config, dialects)
    if not to_stdout:
        if from_rev or to_rev or downgrade:
            raise SqlcompileError("--from, --to and --downgrade only apply with --stdout",
                                  hint="files are always written for every revision")
        results: list[Rendered] = []
        try:
            for name in names:
                results.append(render_files(proj, name, write=True, verbose=verbose))
        except BaseException:
            for result in results:
                discard_staged(result.staged)
            raise
        staged = {path: tmp for r in results for path, tmp in r.staged.items()}
        if any(r.failures for r in results):
            discard_staged(staged)
            _failures(proj, results, names, "no files were written", verbose)
        if not _report(results, verbose):
            discard_staged(staged)
            raise Findings("validation failed; no files were written")
        commit_staged(staged)
        produced = [path for r in results for path in r.files]
        removed = remove_stale(produced, [proj.config.output_path / n for n in names])
        for result in results:
            for message in result.skipped:
                click.echo(f"warning: {result.dialect}: {one_line(message)}", err=True)
        # Where the model stops following the SQL (a drop of a table never created, raw SQL
        # it cannot read): the files are written, and these say what they may not know.
        _model_warnings(proj, results, strict=False)
        _compile_warnings(results)
        click.echo(f"wrote {len(staged)} changed file(s), removed {removed} stale file(s) under "
                   f"{proj.config.output_dir}/", err=True)
        _irreversible(results, names, verbose)
        if tee is not None:
            if not staged and not removed:
                tee.remember()
            if baseline is None and not verbose:
                _prime_check(ctx, proj, results, tee.inputs)
        return
    if len(names) != 1:
        raise SqlcompileError(f"--stdout prints one dialect, but {len(names)} are configured",
                              hint="pick one with --dialect")
    graph = proj.graph
    direction, start, target = (
        ("downgrade", from_rev or "heads", to_rev or "base") if downgrade
        else ("upgrade", from_rev or "base", to_rev or "heads")
    )
    steps = graph.steps(direction, _stream_end(proj, start), _stream_end(proj, target))
    _check_stream_range(proj, steps)
    description = f"{direction} {start} -> {target}"
    result = render_stream(proj, names[0], steps, description)
    _failures(proj, [result], names, "nothing was printed", verbose)
    if not _report([result], verbose):
        raise Findings("validation failed; nothing was printed")
    _irreversible([result], names, verbose)
    # The stream is UTF-8 bytes whatever the locale (the PostgreSQL session says so too).
    sys.stdout.buffer.write(next(iter(result.files.values())).encode("utf-8"))
    sys.stdout.flush()


def _stream_end(proj: Project, ref: str) -> list[str]:
    """The revisions a stream's --from or --to names; with a baseline, `base` is the
    baseline (nothing before it has SQL)."""
    if ref == "base" and proj.config.baseline is not None:
        return [proj.config.baseline]
    return proj.graph.resolve(ref)


def _check_stream_range(proj: Project, steps: list[Step]) -> None:
    """A stream may not run a revision the baseline covers: those have no SQL."""
    covered = [s for s in steps if s.script.revision in proj.baseline_revisions]
    if covered:
        first = covered[0].script.revision
        raise SqlcompileError(
            f"the range includes revision {first}, which the baseline "
            f"{proj.config.baseline} covers: revisions up to the baseline have no SQL",
            hint=f"start (or, downgrading, end) at the baseline or after it: "
                 f"--{'to' if covered[0].direction == 'downgrade' else 'from'} "
                 f"{proj.config.baseline}")


def _failures(proj: Project, results: list[Rendered], names: list[str], outcome: str,
              verbose: bool) -> None:
    """With compile failures in ``results``: print each, by revision, then the validation
    report of what compiled and a line counting the failures by cause, and exit 2 (raise)."""
    from sqlcompile.pipeline.failures import baseline_hint, merged, report_lines, summary

    failures = merged([f for r in results for f in r.failures], names)
    if not failures:
        return
    for line in report_lines(failures, names):
        click.echo(line, err=True)
    _report(results, verbose)
    command = click.get_current_context().info_name
    click.echo(f"{command} failed: {summary(failures, len(proj.graph.order))}; {outcome}",
               err=True)
    suggestion = baseline_hint(failures, proj.graph, proj.config)
    if suggestion:
        click.echo(f"  hint: {suggestion}", err=True)
    raise SqlcompileError("")  # exit 2; everything is printed above


def _irreversible(results: list[Rendered], names: list[str], verbose: bool) -> int:
    """Print how many downgrades are irreversible (each with ``verbose``); return how many."""
    from sqlcompile.pipeline.failures import irreversible_lines, merged_irreversible

    notes = merged_irreversible(n for r in results for n in r.irreversible)
    for line in irreversible_lines(notes, names, verbose):
        click.echo(line, err=True)
    return len({n.revision for n in notes})


_UNKNOWN_TABLE = re.compile(r"schema model may be incomplete after revision (?P<rev>\S+): "
                            r"(?P<what>.+) names table (?P<table>\S+), which the history "
                            r"never created")


def _model_warnings(proj: Project, results: list[Rendered], strict: bool) -> int:
    """Print where each dialect's schema model stops following the SQL (raw statements it
    cannot follow), as the render found it; returns how many were printed. Ops on tables
    the history never created (the application made them) are one line per table, with
    one hint for them all."""
    count = 0
    label = "error" if strict else "warning"
    for result in results:
        unknown: dict[str, list[tuple[str, str]]] = {}
        for message in result.incomplete:
            found = _UNKNOWN_TABLE.fullmatch(message)
            if found is not None:
                unknown.setdefault(found["table"], []).append((found["rev"], found["what"]))
                continue
            count += 1
            click.echo(f"{label}: {result.dialect}: {message}", err=True)
        for table, uses in unknown.items():
            count += 1
            click.echo(f"{label}: {result.dialect}: table {table}, which the history never "
                       f"created, is named by {len(uses)} op(s) from revision {uses[0][0]} on "
                       f"(first: {uses[0][1]}); the schema model does not know it", err=True)
        if unknown:
            click.echo(f"  hint: {_unknown_tables_hint(proj, result.dialect)}", err=True)
    return count


def _unknown_tables_hint(proj: Project, dialect: str) -> str:
    """How to tell the model about the tables the application created itself: a baseline
    whose hand-written SQL creates them."""
    config = proj.config
    first = config.baseline or proj.graph.order[0]
    sql = config.hand_written_sql(dialect, first, "upgrade").relative_to(config.root)
    start = ("" if config.baseline else
             f"set baseline = \"{first}\" in {config.source_name} and ")
    return (f"{start}hand-write {sql.as_posix()} to create those tables as they are "
            f"after revision {first}, so the model knows them (see README \"Adopting an existing "
            "database\")")


def _compile_warnings(results: list[Rendered]) -> None:
    """Print what compiling decided on its own that the author should hear of (an op moved
    out of the transaction): warnings, never --strict errors."""
    for result in results:
        for message in result.warnings:
            click.echo(f"warning: {result.dialect}: {one_line(message)}", err=True)


@cli.command()
@click.option("-v", "--verbose", is_flag=True, help="List unvalidated statements too.")
@click.option("--strict", is_flag=True,
              help="Fail (exit 1) when the schema model may be incomplete, not just warn.")
@click.option("--baseline", metavar="REV", help=_BASELINE_HELP)
@click.option("--no-cache", is_flag=True, help=_NO_CACHE_HELP)
@click.pass_context
@handle_errors
def check(ctx: click.Context, verbose: bool, strict: bool, baseline: str | None,
          no_cache: bool) -> None:
    """Check the graph, that every script compiles, and that the SQL files are up to date."""
    remembered = (nullcontext(None) if no_cache or settings(ctx).target_metadata else
                  _remembered(ctx, "check", {"verbose": verbose, "strict": strict}, baseline))
    with remembered as tee:
        _check(ctx, verbose, strict, baseline, no_cache)
        if tee is not None:
            tee.remember()


def _check(ctx: click.Context, verbose: bool, strict: bool, baseline: str | None,
           no_cache: bool) -> None:
    from sqlcompile.pipeline.render import render_files

    proj = _project(ctx, baseline, not no_cache)
    proj.keep_going = True  # every failure is reported, not just the first
    names = list(proj.config.dialects)
    results = [render_files(proj, name, verbose=verbose) for name in names]
    _checked(proj, results, names, verbose, strict)


def _checked(proj: Project, results: list[Rendered], names: list[str], verbose: bool,
             strict: bool, written: bool = False) -> None:
    """Print what `check` finds in the renders ``results`` of every configured dialect
    (``written``: their files were just written, so none is stale, missing or extra);
    raise Findings when something is wrong."""
    from sqlcompile.pipeline.output import compare_outputs

    _failures(proj, results, names, "nothing else was checked", verbose)
    ok = _report(results, verbose)
    warnings = _model_warnings(proj, results, strict)
    _compile_warnings(results)
    root = proj.config.root
    for result in [] if written else results:
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
    irreversible = _irreversible(results, names, verbose)
    if irreversible:
        note += f", {irreversible} irreversible downgrade(s)"
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
