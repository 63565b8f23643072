"""The compile pipeline: project -> bodies per dialect -> framed files or stream -> validation."""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlcompile import __version__, cachefile, parallel
from sqlcompile.config import Config
from sqlcompile.dialects import get_dialect
from sqlcompile.dialects.base import DialectSupport
from sqlcompile.errors import ConfigError, SqlcompileError, WorkerCrash
from sqlcompile.pipeline.baseline import (
    adopt_baseline,
    baseline_file,
    baseline_path,
    check_baseline,
    skip_message,
)
from sqlcompile.pipeline.cache import HeadsStore, ModelStore, RenderCache
from sqlcompile.pipeline.compiler import (
    FAILED_TO_COMPILE,
    Body,
    Irreversible,
    Recording,
    Statement,
    compile_recording,
    follows_a_failure,
    recorded,
    replay,
)
from sqlcompile.pipeline.failures import (
    Failure,
    IrreversibleDowngrade,
    failure_from,
    irreversible_from,
)
from sqlcompile.pipeline.output import discard_staged, format_statements, header, slug, stage
from sqlcompile.pipeline.plan import VERSION_LENGTH, Framer, revisions_text
from sqlcompile.pipeline.printer import schema_statements
from sqlcompile.pipeline.validate import Problem, Report, Validator
from sqlcompile.progress import Progress
from sqlcompile.schema.model import Schema
from sqlcompile.sources.graph import RevisionGraph, Step, check_ids
from sqlcompile.sources.raw import new_model
from sqlcompile.sources.scripts import Script, load_scripts, scripts_code

#: Every this many revisions a model is kept, so going back (a downgrade stream) replays at most
#: this many; between them only the latest model is kept, so memory does not grow with the
#: number of revisions times the number of tables.
CHECKPOINT_EVERY = 64
#: Every this many revisions at least (and at the first ones) the render cache reads the
#: model's content into its fingerprint (see Project.model_fingerprint); in a longer history
#: about 64 times in all, and a snapshot of the model is kept about 16 times in all, so their
#: cost (in the number of tables each time) stays linear in the history's length.
CONTENT_EVERY = 16


@dataclass
class Project:
    """A loaded history: settings, scripts and their graph, with recordings, schema models and
    compiled bodies cached per dialect.

    The schema model "at i" is the model once the first ``i`` revisions of the graph order are
    applied. Per-revision files assume that order, so file N (upgrade) starts from the model at
    N-1 and its downgrade from the model at N. Models are computed forward on demand, by
    replaying upgrades or taken from the upgrade just compiled, so a chunk of revisions needs
    only the replay of those before it.

    With ``keep_going`` (render and check, which report every failure), the model after a
    revision that failed is the model before it, marked incomplete (see compiler.replay);
    set it before compiling anything, as the models kept depend on it.

    With a baseline (see pipeline/baseline.py), the revisions it covers come first in the
    graph order (see :func:`load_project`) and are replayed into the model only: one whose
    upgrade cannot run offline is skipped, the model marked incomplete, whatever
    ``keep_going`` says; ``skipped`` holds the warnings about them, per dialect.
    """

    config: Config
    graph: RevisionGraph
    keep_going: bool = False
    baseline_revisions: frozenset[str] = frozenset()
    skipped: dict[str, dict[str, None]] = field(default_factory=dict)
    _bodies: dict[tuple[str, str, str], Body] = field(default_factory=dict)
    _recordings: dict[tuple[str, str, str], Recording] = field(default_factory=dict)
    #: per dialect: {i: model at i} for i a multiple of CHECKPOINT_EVERY, and the latest one
    _checkpoints: dict[str, dict[int, Schema]] = field(default_factory=dict)
    _latest: dict[str, tuple[int, Schema]] = field(default_factory=dict)
    #: Whether renders read and keep `.sqlcompile_cache/` (False: `--no-cache`).
    use_cache: bool = True
    #: (dialect, i) -> fingerprint of the model at i (see :meth:`model_fingerprint`)
    _fingerprints: dict[tuple[str, int], str] = field(default_factory=dict)
    #: dialect -> the hand-written SQL files of the dialect folder, name -> digest
    _hand_written: dict[str, dict[str, str]] = field(default_factory=dict)
    #: dialect -> model snapshots kept between runs (set by render_files)
    models: dict[str, ModelStore] = field(default_factory=dict)
    #: dialect -> where the model at every head is kept (see :meth:`heads_store`)
    _heads: dict[str, HeadsStore | None] = field(default_factory=dict)
    #: Counts the revisions replayed into a model (see :meth:`state`) where a command shows
    #: that as its progress (autogenerate); None elsewhere.
    replay_progress: Progress | None = None

    def recording(self, script: Script, direction: str, dialect: DialectSupport,
                  model: Schema | None = None) -> Recording:
        """What the script's ``direction`` function records for ``dialect``, cached.

        ``model`` is the model before it at its position in the graph order (for a downgrade:
        the model after its upgrade), which its schema reads answer from; a copy is given to
        the script. The cache is per position, which that model is a function of. Without a
        model, schema reads need a live database, and a recording that made one is not kept.
        """
        key = (script.revision, direction, dialect.name)
        found = self._recordings.get(key)
        if found is None:
            found = recorded(script, direction, dialect, self.config,
                             model.copy() if model is not None else None)
            if model is not None or not found.reads_model:
                self._recordings[key] = found
        return found

    def _subset_recording(self, script: Script, dialect: DialectSupport,
                          model: Schema) -> Recording:
        """The upgrade's recording for a replay of only some revisions (``model``: the
        model before it in that replay): the cached one where it did not read the model,
        else one recorded for ``model``, kept only if it did not read it either."""
        key = (script.revision, "upgrade", dialect.name)
        found = self._recordings.get(key)
        if found is not None and not found.reads_model and found.failure is None:
            return found
        found = recorded(script, "upgrade", dialect, self.config, model.copy())
        if not found.reads_model and found.failure is None:
            self._recordings[key] = found
        return found

    def _keep(self, dialect: DialectSupport, applied: int, schema: Schema) -> None:
        self._latest[dialect.name] = (applied, schema)
        if applied % CHECKPOINT_EVERY == 0:
            self._checkpoints.setdefault(dialect.name, {})[applied] = schema

    def _every(self, least: int, times: int) -> int:
        """A spacing of at least ``least`` (a multiple of it) that comes ``times`` times in
        the history at most."""
        count = len(self.graph.order)
        return least * max(1, -(-count // (least * times)))

    def heads_store(self, dialect: DialectSupport) -> HeadsStore | None:
        """Where the model at every head is kept between runs (None: --no-cache; or with a
        baseline, whose replay also says which revisions it skips)."""
        if not self.use_cache or self.baseline_revisions:
            return None
        if dialect.name not in self._heads:
            inputs = [self.settings_text()]
            for rev in self.graph.order:
                script = self.graph.scripts[rev]
                inputs += [script.rel_path, script.sha256,
                           self.hand_written_digest(dialect.name, rev, "upgrade")]
            self._heads[dialect.name] = HeadsStore.open(
                self.config.root, dialect.name, cachefile.digest(*inputs),
                self.config.sys_path_dirs)
        return self._heads[dialect.name]

    def heads_cached(self, dialect: DialectSupport) -> bool:
        """Whether the cache holds the model at every head (see :meth:`heads_store`)."""
        heads = self.heads_store(dialect)
        return heads is not None and heads.get() is not None

    def state(self, dialect: DialectSupport, applied: int) -> Schema:
        """A copy of the model once the first ``applied`` revisions (graph order) ran (the
        model at every head from the cache, where it holds it)."""
        checkpoints = self._checkpoints.setdefault(dialect.name, {0: new_model(dialect)})
        position, schema = self._latest.get(dialect.name, (0, checkpoints[0]))
        if position > applied:
            position = max(i for i in checkpoints if i <= applied)
            schema = checkpoints[position]
        heads = (self.heads_store(dialect)
                 if applied == len(self.graph.order) > position else None)
        if heads is not None:
            kept = heads.get()
            if kept is not None:
                position, schema = applied, _restored(dialect, kept)
                self._keep(dialect, position, schema)
        store = self.models.get(dialect.name)
        if store is not None and applied > position:
            # a snapshot between here and there, from an earlier run, saves the replay
            last = len(self.graph.order) - 1
            near = [last] if position < last <= applied else []
            every = self._every(CHECKPOINT_EVERY, 16)
            for at in [*near, *range(applied - applied % every, position, -every)]:
                known = self._fingerprints.get((dialect.name, at))
                state = store.get(known) if known is not None else None
                if state is not None:
                    position, schema = at, _restored(dialect, state)
                    self._keep(dialect, position, schema)
                    break
        while position < applied:
            schema = schema.copy()
            rev = self.graph.order[position]
            schema.revision = rev
            schema = self._replay(self.recording(self.graph.scripts[rev], "upgrade", dialect,
                                                 schema), schema, dialect)
            position += 1
            self._keep(dialect, position, schema)
            if self.replay_progress is not None:
                self.replay_progress.advance()
        if heads is not None and kept is None:
            heads.put(_model_state(schema))
        return schema.copy()

    def schema_at(self, dialect: DialectSupport, revisions: list[str] | None = None) -> Schema:
        """The model once ``revisions`` (and their ancestors) are applied; None: every head."""
        if revisions is None or set(revisions) == set(self.graph.heads()):
            return self.state(dialect, len(self.graph.order))
        wanted = self.graph.ancestors(revisions)
        schema = new_model(dialect)
        # While every revision so far is wanted, the model is the graph order's, and so are
        # the recordings; after a revision left out, a script that reads the model is run
        # again against this replay's model.
        in_order = True
        for rev in self.graph.order:
            if rev not in wanted:
                in_order = False
                continue
            schema.revision = rev
            script = self.graph.scripts[rev]
            recording = (self.recording(script, "upgrade", dialect, schema) if in_order
                         else self._subset_recording(script, dialect, schema))
            schema = self._replay(recording, schema, dialect)
        return schema

    def _replay(self, recording: Recording, schema: Schema, dialect: DialectSupport) -> Schema:
        """``schema`` with the recording replayed (in place, but for a revision the baseline
        covers: that one is replayed into a copy, and skipped if it fails)."""
        rev = recording.script.revision
        if rev not in self.baseline_revisions:
            known = len(schema.incomplete)
            replay(recording, schema, self.keep_going)
            if any(m.endswith(FAILED_TO_COMPILE) for m in schema.incomplete[known:]):
                schema.mark_failed(rev)  # skipped: later messages name it (unknown_origin)
            return schema
        problem = recording.failure
        if problem is None:
            trial = schema.copy()
            try:
                replay(recording, trial)
            except SqlcompileError as exc:
                problem = exc
            else:
                return trial
        warning, reason = skip_message(rev, problem)
        self.skipped.setdefault(dialect.name, {})[warning] = None
        schema.mark_incomplete(reason)
        return schema

    def settings_text(self) -> str:
        """Everything besides the scripts that compiled files depend on, as text."""
        return "\n".join([repr(self.config), str(self.keep_going),
                          ",".join(sorted(self.baseline_revisions))])

    def hand_written_digest(self, dialect: str, revision: str, direction: str) -> str:
        """The digest of the hand-written SQL file replacing a revision's ``direction``
        ("-" for none)."""
        found = self._hand_written.get(dialect)
        if found is None:
            folder = self.config.hand_written_sql(dialect, "x", "upgrade").parent
            found = {}
            if folder.is_dir():
                for path in sorted(folder.iterdir()):
                    try:
                        found[path.name] = cachefile.digest(path.read_bytes())
                    except OSError:
                        found[path.name] = "unreadable"
            self._hand_written[dialect] = found
        if not found:  # no hand-written file for this dialect (the usual case)
            return "-"
        name = self.config.hand_written_sql(dialect, revision, direction).name
        return found.get(name, "-")

    def model_fingerprint(self, dialect: DialectSupport, applied: int) -> str:
        """The fingerprint of the model at ``applied``: of its content (see
        schema/fingerprint.py) at the first positions and at every one of a spacing (see
        :data:`CONTENT_EVERY`); elsewhere, or where the content cannot be read, a digest of
        the fingerprint before and the inputs of the revision that made it. Reading the
        content costs time in the number of tables, so it is read at a fraction of the
        positions only: after an edit that leaves the model as it was, the revisions up to the
        next such position compile again, and those after it come from the cache. Known ones
        (:meth:`know_fingerprint`, the render cache's) are taken as they are; others replay
        the models they need."""
        from sqlcompile.schema.fingerprint import fingerprint

        name = dialect.name
        start = applied
        while start > 0 and (name, start) not in self._fingerprints:
            start -= 1
        if start == 0 and (name, 0) not in self._fingerprints:
            self._fingerprints[(name, 0)] = cachefile.digest("empty", name,
                                                             self.settings_text())
        content_every = self._every(CONTENT_EVERY, 64)
        snapshot_every = self._every(CHECKPOINT_EVERY, 16)
        for position in range(start + 1, applied + 1):
            content = None
            if position <= CONTENT_EVERY or position % content_every == 0:
                content = fingerprint(self.state(dialect, position))
            if content is None:
                script = self.graph.scripts[self.graph.order[position - 1]]
                content = cachefile.digest(
                    "inputs", self._fingerprints[(name, position - 1)], script.sha256,
                    self.hand_written_digest(name, script.revision, "upgrade"))
            self._fingerprints[(name, position)] = content
            store = self.models.get(name)
            # the model before the last revision too: editing the newest revision is the
            # common case, and it then starts from there
            if store is not None and (position % snapshot_every == 0
                                      or position == len(self.graph.order) - 1):
                store.add(content, _model_state(self.state(dialect, position)))
        return self._fingerprints[(name, applied)]

    def know_fingerprint(self, dialect: DialectSupport, applied: int, value: str) -> None:
        """Take ``value`` as the fingerprint of the model at ``applied`` (from the cache)."""
        self._fingerprints.setdefault((dialect.name, applied), value)

    def file_steps(self) -> list[tuple[Step, Step]]:
        """(upgrade, downgrade) of every revision that gets files: all but those the
        baseline covers."""
        return [pair for pair in self.graph.file_steps()
                if pair[0].script.revision not in self.baseline_revisions]

    def forget(self, step: Step, dialect: DialectSupport) -> None:
        """Drop what compiling ``step`` kept (its body; after a downgrade, both recordings
        of its revision): a render that wrote its file needs them no more, so memory does
        not grow with the history. Needed again (a replay from an earlier checkpoint), a
        recording is made again."""
        revision = step.script.revision
        self._bodies.pop((revision, step.direction, dialect.name), None)
        if step.direction == "downgrade":
            for direction in ("upgrade", "downgrade"):
                self._recordings.pop((revision, direction, dialect.name), None)

    def body(self, step: Step, dialect: DialectSupport) -> Body:
        key = (step.script.revision, step.direction, dialect.name)
        body = self._bodies.get(key)
        if body is None:
            index = step.position - 1  # revisions before this one in the graph order
            upgrade = step.direction == "upgrade"
            schema = self.state(dialect, index if upgrade else index + 1)
            schema.revision = step.script.revision
            schema.undoing = "" if upgrade else step.script.revision
            recording = self.recording(step.script, step.direction, dialect, schema)
            body = self._bodies[key] = compile_recording(recording, dialect, schema)
            if upgrade and self._latest.get(dialect.name, (0, None))[0] == index:
                self._keep(dialect, index + 1, schema)  # the model after it: no second replay
        return body


def _model_state(schema: Schema) -> tuple[Any, ...]:
    """What a model snapshot keeps (see pipeline/cache.py ModelStore)."""
    return (schema._tables, schema._enums, schema._objects, schema._index_owners,
            schema.incomplete, schema.warnings, schema.failed)


def _restored(dialect: DialectSupport, state: tuple[Any, ...]) -> Schema:
    """A model holding a snapshot's state; its maps are copied on its first change, as a
    :meth:`Schema.copy`'s are (the same state may be restored again)."""
    schema = new_model(dialect)
    tables, enums, objects, index_owners, incomplete, warnings, failed = state
    (schema._tables, schema._enums, schema._objects, schema._index_owners) = (
        tables, enums, objects, index_owners)
    schema.incomplete, schema.warnings, schema.failed = (list(incomplete), list(warnings),
                                                         list(failed))
    schema._shared = True
    return schema


def load_project(config: Config, keep_going: bool = False,
                 baseline_from: str | None = None, use_cache: bool = True) -> Project:
    """Load every script, check its ids (they name files and version rows) and the graph, and
    that the config's `irreversible` and `baseline` name revisions of it (``baseline_from``:
    the option the baseline came from, None: the config file)."""
    scripts = load_scripts(config.version_dirs, config.root, config.sys_path_dirs, use_cache)
    check_ids(scripts, VERSION_LENGTH)
    graph = RevisionGraph(scripts)
    for rev in config.irreversible:
        if rev not in graph.scripts:
            near = sorted(r for r in graph.scripts if r.startswith(rev))
            hint = (f"did you mean {near[0]!r}? `irreversible` takes full revision ids"
                    if len(near) == 1 else
                    f"list full revision ids of scripts in {config.script_location}/versions")
            raise ConfigError(f"`irreversible` names revision {rev!r}, which the history does "
                              "not have", path=config.source, hint=hint)
    check_baseline(graph, config, baseline_from)
    covered = (adopt_baseline(graph, config.baseline) if config.baseline is not None
               else frozenset())
    return Project(config, graph, keep_going=keep_going, baseline_revisions=covered,
                   use_cache=use_cache)


@dataclass
class Rendered:
    """Files (path -> text) or a stream for one dialect, with its validation report.

    ``staged`` maps files whose content changed to temporary copies written beside them
    (see output.stage); the caller commits or discards them. ``incomplete`` is why the schema
    model described (schema.sql) may differ from the database. A revision that failed to
    compile has no file and a :class:`Failure` instead.
    """

    dialect: str
    files: dict[Path, str]
    report: Report
    staged: dict[Path, Path] = field(default_factory=dict)
    incomplete: list[str] = field(default_factory=list)
    #: What compiling decided that the author should hear of, "<file>: <message>".
    warnings: list[str] = field(default_factory=list)
    #: What did not compile (then nothing is staged); and the downgrades that are refusals.
    failures: list[Failure] = field(default_factory=list)
    irreversible: list[IrreversibleDowngrade] = field(default_factory=list)
    #: What rendering schema.sql raised, as data (see :func:`_as_data`), kept going: it
    #: matters only when nothing failed (a model after a failure may hold what cannot print).
    schema_problem: tuple[str, Any] | None = None
    #: Revisions the baseline covers that were skipped (their upgrade cannot run offline):
    #: "<file:line>: <warning>".
    skipped: list[str] = field(default_factory=list)
    #: From a worker process: the render cache entries it used or made (see
    #: RenderCache.merge).
    cached: tuple[dict[str, Any], dict[str, Any], bool, dict[str, bytes]] | None = None


def _shown(path: Path, root: Path) -> str:
    """``path`` as reports show it: relative to the project root when it is under it."""
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()


def _file_header(project: Project, step: Step, dialect: DialectSupport, name: str,
                 body: Body) -> str:
    script = step.script
    total = len(project.graph.order)
    parents = ", ".join(script.down_revisions) or "(none: first revision)"
    fields = [
        ("revision", f"{script.revision} ({step.position} of {total})"),
        ("message", script.message or "(no message)"),
        ("parents", parents),
    ]
    if script.depends_on:
        fields.append(("depends on", ", ".join(script.depends_on)))
    fields += [
        ("dialect", dialect.name),
        ("direction", step.direction),
        ("source", f"{script.rel_path} (sha256 {script.sha256})"),
    ]
    if body.hand_written:
        fields.append(("hand-written", f"{body.hand_written} replaces the script's "
                                       f"{step.direction}()"))
    if body.irreversible is not None:
        fields.append(("irreversible", f"{body.irreversible.reason}; this file stops at its "
                                       "first statement, before any change"))
    leaves = ("changes nothing (irreversible)" if body.irreversible is not None
              else f"leaves [{revisions_text(step.after)}]")
    fields += [
        ("expects", f"{project.config.version_table} holds [{revisions_text(step.before)}]; "
                    f"{leaves}"),
        ("tool", f"sqlcompile {__version__}"),
        ("apply with", dialect.apply_command.format(file=name)),
    ]
    if dialect.transaction_note():
        fields.append(("transactions", dialect.transaction_note()))
    return header(fields)


def _frame(project: Project, dialect: DialectSupport, steps: list[Step],
           per_migration: bool) -> list[Statement]:
    """The framed statements of ``steps``; they end at an irreversible one (its refusal)."""
    framer = Framer(dialect, project.config, transaction_per_migration=per_migration)
    framer.session_setup()
    for index, step in enumerate(steps):
        framer.statements.append(Statement("", [
            f"{step.direction} {step.position:04d} {step.script.revision}: "
            f"{step.script.message}"
        ]))
        body = project.body(step, dialect)
        framer.migration(step, body)
        if body.irreversible is not None:
            left = len(steps) - index - 1
            if left:
                framer.statements.append(Statement("", [
                    f"the stream ends here: the {left} migration(s) after this irreversible "
                    "one are not included"]))
            break
    return framer.finish()


def _compiled(project: Project, step: Step, dialect: DialectSupport,
              failures: list[Failure]) -> Body | None:
    """The step's body; None when it failed to compile, the failure added to ``failures``
    (without the project's ``keep_going``, raised)."""
    try:
        return project.body(step, dialect)
    except SqlcompileError as exc:
        if not project.keep_going:
            raise
        failures.append(failure_from(exc, step, dialect.name, project.config))
        return None


def _compile_steps(project: Project, dialect: DialectSupport, steps: list[Step],
            until_irreversible: bool = False
            ) -> tuple[list[Failure], list[IrreversibleDowngrade]]:
    """Compile every step's body (each once; later framing reuses it): what failed (without
    the project's ``keep_going``, the first failure is raised), and which are irreversible;
    with ``until_irreversible``, no further than the first of those."""
    failures: list[Failure] = []
    irreversible: list[IrreversibleDowngrade] = []
    for step in steps:
        body = _compiled(project, step, dialect, failures)
        if body is None:
            continue
        if body.irreversible is not None:
            irreversible.append(irreversible_from(body.irreversible, step, dialect.name))
            if until_irreversible:
                break
    return failures, irreversible


def _step_key(project: Project, dialect: DialectSupport, step: Step, name: str,
              second_opinion: bool) -> str:
    """What a step's file body depends on (see pipeline/cache.py); it replays the models
    whose fingerprint is not known yet."""
    script = step.script
    applied = step.position - 1 if step.direction == "upgrade" else step.position
    return cachefile.digest(
        step.direction, name, script.rel_path, script.sha256,
        project.hand_written_digest(dialect.name, script.revision, step.direction),
        revisions_text(step.before), revisions_text(step.after),
        project.model_fingerprint(dialect, applied), str(second_opinion))


def _problems(items: list[Problem]) -> list[tuple[str, str, str, str]]:
    return [(p.sql, p.status, p.detail, p.kind) for p in items]


def _entry(text: str, report: Report, body: Body, after: str) -> tuple[Any, ...]:
    """A step's cache entry: its file body, report, warnings, what its header says of the
    body, and the fingerprint of the model after it (an upgrade's)."""
    irreversible = body.irreversible
    return (text, (report.statements, report.validated, report.unvalidated, report.kinds,
                   report.sqlglot, _problems(report.unvalidated_items),
                   _problems(report.second_opinions)),
            list(body.warnings), body.hand_written,
            None if irreversible is None else (irreversible.reason, irreversible.path,
                                               irreversible.line), after)


def _from_entry(entry: Any, rel: str, into: Report) -> tuple[str, Body, str] | None:
    """(file body, a Body standing for the compiled one, model fingerprint after) of a cache
    entry, its counts added to ``into``; None when the entry is not one (then it is rebuilt)."""
    try:
        text, counts, warnings, hand_written, irreversible, after = entry
        statements, validated, unvalidated, kinds, glot, unvalidated_items, seconds = counts
        part = Report(into.dialect, 0, statements, validated, unvalidated,
                      unvalidated_items=[Problem(rel, *item) for item in unvalidated_items],
                      kinds=dict(kinds), sqlglot=dict(glot),
                      second_opinions=[Problem(rel, *item) for item in seconds])
        body = Body([], hand_written=hand_written, warnings=tuple(warnings),
                    irreversible=None if irreversible is None else Irreversible(*irreversible))
        if not isinstance(text, str) or not isinstance(after, str):
            return None
    except (TypeError, ValueError):
        return None
    into.add(part)
    return text, body, after


def _render_steps(project: Project, dialect_name: str, steps: list[Step],
                  write: bool, schema: bool = False, cache: RenderCache | None = None,
                  verbose: bool = False, progress: Progress | None = None,
                  slot: int = 0) -> Rendered:
    """Frame, validate and format the files of ``steps`` (one file per step), and schema.sql
    with ``schema``; with ``write``, stage the changed ones once the whole chunk validated.

    With ``cache``, a step whose key (:func:`_step_key`) it holds is taken from it: neither
    its script nor the scripts before it run (their fingerprints come from the cache too).
    """
    dialect = get_dialect(dialect_name)
    validator = Validator(dialect, second_opinion=verbose,
                          known=cache.verdicts if cache is not None else None)
    base = project.config.output_path / dialect.name
    folders = {direction: base / direction for direction in ("upgrade", "downgrade")}
    rel_base = _shown(base, project.config.root)
    width = max(4, len(str(len(project.graph.order))))
    files: dict[Path, str] = {}
    warnings: list[str] = []
    failures: list[Failure] = []
    irreversible: list[IrreversibleDowngrade] = []
    failed: set[tuple[str, str]] = set()
    for step in steps:
        if progress is not None:
            progress.advance(1, slot)
        script = step.script
        name = f"{step.position:0{width}d}_{script.revision}_{slug(script.message)}.sql"
        rel = f"{rel_base}/{step.direction}/{name}"
        key = (_step_key(project, dialect, step, name, verbose)
               if cache is not None and cache.enabled else "")
        found = (_from_entry(cache.get(key), rel, validator.report)
                 if cache is not None and key else None)
        if found is not None:
            text, body, after = found
            if step.direction == "upgrade":
                project.know_fingerprint(dialect, step.position, after)
        else:
            compiled = _compiled(project, step, dialect, failures)
            if compiled is None:
                failed.add((script.revision, failures[-1].direction))
                continue
            body = compiled
            if {(script.revision, step.direction), (script.revision, "")} & failed:
                continue
            part = Report(dialect.name)
            statements = _frame(project, dialect, [step], True)
            for statement in statements:
                validator.statement(rel, statement, part)
            validator.report.add(part)
            text = format_statements(statements, dialect)
            if cache is not None and key and not part.errors:
                after = (project.model_fingerprint(dialect, step.position)
                         if step.direction == "upgrade" else "")
                cache.put(key, _entry(text, part, body, after))
        if body.irreversible is not None:
            irreversible.append(irreversible_from(body.irreversible, step, dialect.name))
        warnings += [f"{rel}: {warning}" for warning in body.warnings]
        head = _file_header(project, step, dialect, name, body)
        files[folders[step.direction] / name] = head + text
        project.forget(step, dialect)
    validator.report.files = len(files)
    if cache is not None:
        cache.kept_verdicts.update(validator.made)
    rendered = Rendered(dialect.name, files, validator.report, failures=failures,
                        irreversible=irreversible, warnings=warnings)
    if schema and not failures:
        try:
            described = render_schema(project, dialect_name, cache=cache, verbose=verbose)
            if project.config.baseline is not None:
                created = render_baseline(project, dialect_name)
                described.files.update(created.files)
                described.report.add(created.report)
        except Exception as exc:
            if not project.keep_going:
                raise
            rendered.schema_problem = _as_data(exc)
        else:
            rendered.files.update(described.files)
            rendered.report.add(described.report)
            rendered.incomplete = described.incomplete
            rendered.skipped = list(project.skipped.get(dialect.name, {}))
    if write and not validator.report.errors and not failures:
        try:
            for path, text in files.items():
                tmp = stage(path, text)
                if tmp is not None:
                    rendered.staged[path] = tmp
        except BaseException:
            discard_staged(rendered.staged)
            raise
    return rendered


SCHEMA_FILE = "schema.sql"


def render_schema(project: Project, dialect_name: str, revisions: list[str] | None = None,
                  description: str = "", cache: RenderCache | None = None,
                  verbose: bool = False) -> Rendered:
    """The schema model after ``revisions`` (None: every head) as DDL, validated.

    Written as `<output_dir>/<dialect>/schema.sql` for the heads, so a reviewer sees a change's
    net effect on the schema in one diff; it is for reading, not applying. With ``cache``, the
    heads' file is kept by the fingerprint of their model.
    """
    dialect = get_dialect(dialect_name)
    path = project.config.output_path / dialect.name / SCHEMA_FILE
    shown = _shown(path, project.config.root)
    heads = revisions if revisions is not None else project.graph.heads()
    key = ""
    if cache is not None and cache.enabled and revisions is None:
        key = cachefile.digest("schema", revisions_text(heads), description, str(verbose),
                               project.model_fingerprint(dialect, len(project.graph.order)))
        found = cache.get(key)
        if found is not None:
            report = Report(dialect.name)
            got = _from_entry(found, shown, report)
            if got is not None:
                report.files = 1
                return Rendered(dialect.name, {path: got[0]}, report,
                                incomplete=list(got[1].warnings))
    schema = project.schema_at(dialect, revisions)
    if follows_a_failure(schema):  # not written then: the failures are reported instead
        return Rendered(dialect.name, {}, Report(dialect.name), incomplete=schema.messages())
    statements = schema_statements(schema)
    fields = [
        ("schema at", description or revisions_text(heads)),
        ("dialect", dialect.name),
        ("tables", str(len(schema.tables))),
        ("tool", f"sqlcompile {__version__}"),
        ("purpose", "for review: the net schema the migrations produce; apply the per-revision "
                    "files, not this one"),
    ]
    messages = schema.messages()
    if messages:
        fields.append(("warning", "\n".join(messages)))
    validator = Validator(dialect, second_opinion=verbose,
                          known=cache.verdicts if cache is not None else None)
    for statement in statements:
        validator.statement(shown, statement)
    validator.report.files = 1
    text = header(fields) + format_statements(statements, dialect)
    if cache is not None:
        cache.kept_verdicts.update(validator.made)
        if key and not validator.report.errors:
            # the model's messages ride in the entry's warnings
            cache.put(key, _entry(text, validator.report, Body([], warnings=tuple(messages)),
                                  ""))
    return Rendered(dialect.name, {path: text}, validator.report, incomplete=messages)


def render_baseline(project: Project, dialect_name: str) -> Rendered:
    """`<output_dir>/<dialect>/baseline.sql`, validated: it creates an empty database
    directly at the configured baseline (see pipeline/baseline.py)."""
    dialect = get_dialect(dialect_name)
    path = baseline_path(project.config, dialect.name)
    text, report, messages = baseline_file(project, dialect, _shown(path, project.config.root))
    return Rendered(dialect.name, {path: text}, report, incomplete=messages)


def check_output_dir(config: Config) -> None:
    """`output_dir` is a folder or can be made one: an error at the config file otherwise."""
    out = config.output_path
    for folder in (out, *out.parents):
        if folder.is_dir():
            return
        if folder.exists() or folder.is_symlink():
            where = ("is a file, not a folder" if folder == out
                     else f"is inside {_shown(folder, config.root)}, which is not a folder")
            raise ConfigError(f"`output_dir` {config.output_dir!r} {where}",
                              path=config.source,
                              hint="remove or rename it, or set output_dir to a folder")


def render_files(project: Project, dialect_name: str, *, write: bool = False,
                 verbose: bool = False) -> Rendered:
    """Every revision's upgrade and downgrade file for one dialect, and its schema.sql,
    validated.

    Large histories are split into contiguous chunks rendered by forked processes; each chunk
    replays the revisions before it into the schema model, and the last one also renders
    schema.sql. Results are merged in order, so the output is the same bytes whatever the
    number of processes. With ``write``, changed files are staged (see :class:`Rendered`); if
    any chunk failed validation or raised, every staged file is discarded. ``verbose``: the
    report also holds sqlglot's own verdicts where a server parser decides (for -v).

    Unless the project says not to (`--no-cache`), steps come from the render cache where it
    holds them (see pipeline/cache.py), and what was compiled is kept in it. A cache that
    holds this dialect's history renders in one process: the steps it lacks are few.
    """
    check_output_dir(project.config)
    pairs = project.file_steps()
    cache_name = get_dialect(dialect_name).name
    cache = (RenderCache.open(project.config.root, cache_name, project.settings_text(),
                              also=project.config.sys_path_dirs)
             if project.use_cache else None)
    if cache is not None:
        project.models[cache_name] = ModelStore.open(project.config.root, cache_name,
                                                     project.settings_text())
    count = 1 if cache is not None and cache.entries else parallel.jobs(len(pairs))
    # Replaying a revision into the model costs about a fifth of rendering and writing its two
    # files, and schema.sql about as much as 15% of the revisions (measured with
    # bench/gen_history.py on 2 cores: chunk times within 5% of each other).
    parts = parallel.split_staggered(pairs, count, lead=0.2, tail=0.15 * len(pairs))
    chunks = [[s for pair in part for s in pair] for part in parts]
    # Scripts run while rendering (each in its own user_code() block), and so do the types
    # they define: one redirection of standard output for the whole chunk.
    scripts = project.graph.scripts.values()
    # on the process's own standard error: never in what a run prints (see cli._Tee)
    bar = Progress(f"{'render' if write else 'check'} {cache_name}", 2 * len(pairs),
                   stream=sys.__stderr__, slots=max(1, len(chunks)))
    if len(chunks) <= 1:
        with scripts_code(scripts), bar:
            single = _render_steps(project, dialect_name, [s for c in chunks for s in c],
                                   write, schema=bool(project.graph.order), cache=cache,
                                   verbose=verbose, progress=bar)
        _save_caches(project, cache_name, cache)
        if single.schema_problem is not None and not single.failures:
            raise _from_data(*single.schema_problem)
        return single

    def work(index: int) -> tuple[str, Any]:
        """One chunk; errors come back as data (our exceptions don't pickle)."""
        try:
            with scripts_code(scripts):
                done = _render_steps(project, dialect_name, chunks[index], write,
                                     schema=index == len(chunks) - 1, cache=cache,
                                     verbose=verbose, progress=bar, slot=index)
                if cache is not None:
                    done.cached = (cache.kept, cache.kept_verdicts, cache.changed,
                                   project.models[cache_name].made)
                return "ok", done
        except Exception as exc:  # a bug: reported once every chunk's files are accounted for
            return _as_data(exc)
        except BaseException as exc:
            if index == 0:  # the parent's own chunk: an interrupt stops the program
                raise
            # A worker that dies on SystemExit or KeyboardInterrupt would leave the parent
            # waiting for its result forever.
            return "crash", (type(exc).__name__, str(exc), traceback.format_exc())

    with bar:
        results = parallel.run_chunks(work, len(chunks), waiting=bar.refresh)
    merged = Rendered(dialect_name, {}, Report(dialect_name))
    failure: Exception | None = None
    for status, value in results:
        if status != "ok":  # a bug (exit 70, with the worker's traceback) or our error
            failure = failure or _from_data(status, value)
            continue
        merged.schema_problem = merged.schema_problem or value.schema_problem
        merged.files.update(value.files)
        merged.staged.update(value.staged)
        merged.report.add(value.report)
        merged.incomplete += value.incomplete
        merged.skipped += value.skipped
        merged.warnings += value.warnings
        merged.failures += value.failures
        merged.irreversible += value.irreversible
        if cache is not None and value.cached is not None:
            *entries, models = value.cached
            cache.merge(*entries)
            project.models[cache_name].made.update(models)
    _save_caches(project, cache_name, cache)
    if failure is None and merged.schema_problem is not None and not merged.failures:
        failure = _from_data(*merged.schema_problem)
    if failure is not None or merged.report.errors or merged.failures:
        discard_staged(merged.staged)
        merged.staged.clear()
    if failure is not None:
        raise failure
    return merged


def _save_caches(project: Project, dialect: str, cache: RenderCache | None) -> None:
    """Keep what this render used or made for the next one."""
    if cache is None:
        return
    cache.save()
    wanted = {fp for (name, _), fp in project._fingerprints.items() if name == dialect}
    project.models[dialect].save(wanted)
    applied, schema = project._latest.get(dialect, (0, None))
    if cache.changed and schema is not None and applied == len(project.graph.order):
        heads = project.heads_store(get_dialect(dialect))
        if heads is not None:  # for the next command that needs only this model
            heads.put(_model_state(schema))


def _as_data(exc: Exception) -> tuple[str, Any]:
    """An exception as plain data a worker can send back (ours may not pickle): ("error",
    its fields) for one of our errors, ("crash", type, message, traceback) for a bug."""
    if isinstance(exc, SqlcompileError):
        return "error", (exc.message, exc.path, exc.line, exc.hint, exc.exit_code)
    return "crash", (type(exc).__name__, str(exc), traceback.format_exc())


def _from_data(status: str, value: Any) -> Exception:
    """The exception :func:`_as_data` describes."""
    if status == "crash":
        return WorkerCrash(*value)
    message, path, line, hint, code = value
    error = SqlcompileError(message, path=path, line=line, hint=hint)
    error.exit_code = code
    return error


def render_stream(project: Project, dialect_name: str, steps: list[Step],
                  description: str) -> Rendered:
    """One SQL stream applying ``steps`` in order, for piping into the database client.

    It ends at the first irreversible migration, whose refusal aborts it. When a step fails
    to compile, the result has no text and every failure up to that point.
    """
    dialect = get_dialect(dialect_name)
    validator = Validator(dialect)
    with scripts_code(project.graph.scripts.values()):  # stdout is for SQL only
        failures, irreversible = _compile_steps(project, dialect, steps, until_irreversible=True)
        if failures:
            return Rendered(dialect.name, {}, validator.report, failures=failures,
                            irreversible=irreversible)
        statements = _frame(project, dialect, steps, project.config.transaction_per_migration)
    for statement in statements:
        validator.statement("<stdout>", statement)
    included = len(steps)
    if irreversible:
        included = next(i for i, step in enumerate(steps)
                        if step.script.revision == irreversible[0].revision) + 1
    fields = [
        ("range", description),
        ("migrations", str(included) if included == len(steps)
         else f"{included} of {len(steps)}"),
        ("dialect", dialect.name),
        ("tool", f"sqlcompile {__version__}"),
        ("apply with", dialect.apply_command.format(file="-")),
    ]
    if dialect.transaction_note():
        fields.append(("transactions", dialect.transaction_note()))
    if irreversible:
        last = steps[included - 1]
        fields.insert(2, ("irreversible", f"the {last.direction} of {last.position:04d} "
                          f"{last.script.revision} ({irreversible[0].reason}): the stream stops "
                          "there, before that migration changes anything"))
    text = header(fields) + format_statements(statements, dialect)
    validator.report.files = 1
    return Rendered(dialect.name, {Path("-"): text}, validator.report,
                    irreversible=irreversible)

