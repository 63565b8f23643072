"""What every command shares: turning exceptions into exit codes, and loading the settings."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from sqlcompile.errors import EX_SOFTWARE, SqlcompileError, WorkerCrash, one_line, shown

if TYPE_CHECKING:
    from sqlcompile.config import Config
    from sqlcompile.pipeline.render import Project

F = TypeVar("F", bound=Callable[..., Any])

#: The environment variable that, like the root `--traceback` option, shows the traceback of
#: an internal error.
TRACEBACK_ENV = "SQLCOMPILE_TRACEBACK"
#: Exit status for output that was closed early (`render --stdout | head`): what the shell
#: reports for a program that SIGPIPE ended.
EX_PIPE = 128 + 13
#: click's own exceptions: they carry their exit code (usage errors: 2) and click reports them.
_CLICK_EXCEPTIONS = (click.exceptions.ClickException, click.exceptions.Exit, click.Abort)


def handle_errors(fn: F) -> F:
    """Run a command, turning what it raises into a message on stderr and an exit code.

    Our errors (:class:`SqlcompileError`) exit with their code: 1 for findings, 2 for bad
    input; a :class:`~sqlcompile.errors.Findings` without a message was reported already and
    prints nothing more. Any other exception is a bug of ours: one line naming it, a hint,
    exit 70, and its traceback only when asked for (:func:`traceback_wanted`); but standard
    output closed by its reader ends quietly (exit 141). click's own exceptions, SystemExit and
    KeyboardInterrupt pass through.
    """

    @wraps(fn)
    def wrapper(*args: Any, **kw: Any) -> Any:
        try:
            return fn(*args, **kw)
        except _CLICK_EXCEPTIONS:
            raise
        except SqlcompileError as exc:
            text = str(exc)
            if text:
                click.echo(f"error: {text}", err=True)
            code = exc.exit_code
        except BrokenPipeError:
            _quiet_stdout()
            code = EX_PIPE
        except Exception as exc:  # noqa: BLE001  (the one place a bug of ours is reported)
            report_internal_error(exc, traceback_wanted())
            code = EX_SOFTWARE
        sys.exit(code)

    # A mark the tests look for on every command (click's decorators copy it outward).
    wrapper.handles_errors = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def traceback_wanted() -> bool:
    """Whether the root `--traceback` option is given (or SQLCOMPILE_TRACEBACK set)."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.find_root().params.get("traceback"):
        return True
    return os.environ.get(TRACEBACK_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def report_internal_error(exc: Exception, with_traceback: bool) -> None:
    """Print ``exc``, a bug of ours, on stderr: its traceback (when asked), then one line
    naming it and a hint. Every text is escaped, so the exception cannot drive the terminal."""
    if isinstance(exc, WorkerCrash):
        kind, message, details = exc.kind, exc.message, exc.details
    else:
        kind, details = type(exc).__name__, ""
        try:
            message = str(exc)
        except Exception:  # noqa: BLE001  (an exception that cannot even say what it is)
            message = "<the message could not be read>"
    if with_traceback:
        if not details:
            import traceback

            details = "".join(traceback.format_exception(exc))
        click.echo(shown(details.rstrip("\n")), err=True)
    what = f"{kind}: {message}" if message else kind
    click.echo(f"error: internal error in sqlcompile (a bug, not a problem with your "
               f"scripts): {one_line(what)}", err=True)
    hint = ("please report it, with the traceback above" if with_traceback else
            f"run again with --traceback (or {TRACEBACK_ENV}=1) to see the traceback, "
            "and report it")
    click.echo(f"  hint: {hint}", err=True)


def _quiet_stdout() -> None:
    """After the reader of standard output went away: send what is still buffered (and the
    flush at exit) to the null device, so Python does not complain about it on stderr."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file (a test's capture)
        pass


def settings(ctx: click.Context) -> Config:
    """The configuration the root options (--config, --env, -x) select."""
    from sqlcompile.config import load_config

    opts = ctx.find_root().params
    path = Path(opts["config"]) if opts.get("config") else None
    return load_config(path, env=opts.get("env"), x_arguments=tuple(opts.get("x_arg") or ()))


def project(ctx: click.Context, use_cache: bool = True) -> Project:
    """The history the root options select, loaded (scripts and their graph)."""
    from sqlcompile.pipeline.render import load_project

    return load_project(settings(ctx), use_cache=use_cache)
