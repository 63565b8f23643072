"""A baseline: the revision every database already has, when adopting an existing history.

With `baseline = "REV"`, REV and its ancestors are "applied everywhere already": they get no
per-revision files, and are only replayed into the schema model (from the script where it runs
offline, from its hand-written SQL where there is one, else skipped with a warning). The files
of the other revisions start from there, the first one guarded to expect REV, and
`<output_dir>/<dialect>/baseline.sql` creates an empty database directly at REV.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlcompile import __version__
from sqlcompile.errors import ConfigError, SqlcompileError, one_line
from sqlcompile.pipeline.compiler import Body, Segment, Statement
from sqlcompile.pipeline.output import BASELINE_FILE, format_statements, header
from sqlcompile.pipeline.plan import Framer, revisions_text
from sqlcompile.pipeline.printer import schema_statements
from sqlcompile.pipeline.validate import Report, Validator
from sqlcompile.sources.graph import Step

if TYPE_CHECKING:
    from pathlib import Path

    from sqlcompile.config import Config
    from sqlcompile.dialects.base import DialectSupport
    from sqlcompile.pipeline.render import Project
    from sqlcompile.schema.model import Schema
    from sqlcompile.sources.graph import RevisionGraph


def check_baseline(graph: RevisionGraph, config: Config, where: str | None = None) -> None:
    """The baseline names a revision of the history: an error at ``where`` (the option that
    gave it; None: the config file) otherwise."""
    rev = config.baseline
    if rev is None or rev in graph.scripts:
        return
    near = sorted(r for r in graph.scripts if r.startswith(rev))
    hint = (f"did you mean {near[0]!r}? the baseline is a full revision id"
            if len(near) == 1 else
            "give the full id of the revision every database is already at (see "
            "`sqlcompile history`)")
    raise ConfigError(f"the baseline names revision {rev!r}, which the history does not have",
                      path=where or config.source, hint=hint)


def adopt_baseline(graph: RevisionGraph, rev: str) -> frozenset[str]:
    """The revisions the baseline covers (``rev`` and its ancestors); the graph's order is
    changed, where it must be, to put them first (the rest keeps its order), so the models
    and files after them start from the database at the baseline."""
    covered = graph.ancestors([rev])
    order = ([r for r in graph.order if r in covered]
             + [r for r in graph.order if r not in covered])
    if order != graph.order:
        graph.order = order
        graph.position = {r: i for i, r in enumerate(order, 1)}
    return frozenset(covered)


def baseline_rows(graph: RevisionGraph, rev: str) -> tuple[str, ...]:
    """The version table's rows of a database at the baseline."""
    return graph.upgrade_steps([], [rev])[-1].after


def skip_message(rev: str, exc: SqlcompileError) -> tuple[str, str]:
    """(the warning `render` prints, the model's incomplete reason) for a revision before the
    baseline whose upgrade cannot run offline."""
    where = (f"{exc.path}:{exc.line}" if exc.path and exc.line
             else str(exc.path) if exc.path else f"revision {rev}")
    cause = one_line(exc.message)
    warning = (f"{where}: schema model may be incomplete: revision {rev} (covered by the "
               f"baseline) was skipped, as its upgrade cannot run offline: {cause}")
    reason = (f"it is covered by the baseline and was skipped, as its upgrade cannot run "
              f"offline ({where}: {cause})")
    return warning, reason


def baseline_migration(project: Project, dialect: DialectSupport) -> tuple[Step, Body, Schema]:
    """The migration from an empty version table to the baseline's rows that creates the
    schema at the baseline (as schema.sql prints it), and that schema model."""
    rev = project.config.baseline
    assert rev is not None
    graph = project.graph
    schema = project.state(dialect, len(project.baseline_revisions))
    step = Step(graph.scripts[rev], "upgrade", graph.position[rev], (),
                baseline_rows(graph, rev))
    return step, Body([Segment("transaction", schema_statements(schema))]), schema


def baseline_file(project: Project, dialect: DialectSupport, shown: str
                  ) -> tuple[str, Report, list[str]]:
    """The text of `baseline.sql` (``shown``: its path as reports show it), its validation
    report, and why the model it prints may differ from the database at the baseline.

    It is framed as a migration from an empty version table to the baseline's rows: the
    dialect's client directives, the migration lock and the transaction (or, where DDL
    commits, numbered steps) around the schema at the baseline, as schema.sql prints it.
    """
    config = project.config
    graph = project.graph
    rev = config.baseline
    assert rev is not None
    step, body, schema = baseline_migration(project, dialect)
    rows = step.after
    script = step.script
    framer = Framer(dialect, config, label=f"baseline {rev}")
    framer.session_setup()
    framer.statements.append(Statement("", [
        f"baseline {rev}: the schema once revisions 1 to {len(project.baseline_revisions)} "
        "ran, created in an empty database"]))
    framer.migration(step, body)
    statements = framer.finish()
    validator = Validator(dialect)
    for statement in statements:
        validator.statement(shown, statement)
    validator.report.files = 1
    fields = [
        ("baseline", f"{rev} ({graph.position[rev]} of {len(graph.order)}): "
                     f"{script.message or '(no message)'}"),
        ("dialect", dialect.name),
        ("tables", str(len(schema.tables))),
        ("expects", f"an empty database ({config.version_table} holds no revision); leaves "
                    f"[{revisions_text(rows)}]"),
        ("purpose", "creates a new database directly at the baseline; then apply the "
                    "upgrade files after it"),
        ("tool", f"sqlcompile {__version__}"),
        ("apply with", dialect.apply_command.format(file=BASELINE_FILE)),
    ]
    if dialect.transaction_note():
        fields.append(("transactions", dialect.transaction_note()))
    messages = schema.messages()
    if messages:
        fields.append(("warning", "\n".join(messages)))
    return header(fields) + format_statements(statements, dialect), validator.report, messages


def baseline_path(config: Config, dialect: str) -> Path:
    """Where `baseline.sql` of ``dialect`` is written."""
    return config.output_path / dialect / BASELINE_FILE
