"""Failures gathered over a whole render or check, and irreversible downgrades.

Every revision is compiled in both directions for every dialect; what fails is kept as a
:class:`Failure` (plain data, so forked chunks bring theirs back) and reported together,
sorted by the revision's position, one line each with its cause and what to do, then a
summary counting the failures by cause.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlcompile.errors import CompileError, LiveDatabaseRequired, SqlcompileError, one_line
from sqlcompile.sources.scripts import MissingModule, UnknownOperation

if TYPE_CHECKING:
    from sqlcompile.config import Config
    from sqlcompile.pipeline.compiler import Irreversible
    from sqlcompile.sources.graph import RevisionGraph, Step

# The causes, in the order the summary lists them. Each is a short, stable phrase.
SCRIPT_ERROR = "script error"
READS_DATABASE = "reads the database"
MISSING_MODULE = "missing module"
UNKNOWN_OP = "unknown op"
HAND_WRITTEN = "hand-written SQL error"
#: Per dialect: "cannot be compiled for sqlite".
CANNOT_COMPILE = "cannot be compiled for"
OTHER = "error"
CAUSES = (SCRIPT_ERROR, READS_DATABASE, MISSING_MODULE, UNKNOWN_OP, HAND_WRITTEN,
          CANNOT_COMPILE, OTHER)
DIRECTIONS = ("upgrade", "downgrade")


@dataclass(frozen=True)
class Failure:
    """One revision and direction that did not compile, on ``dialects`` (several when the
    same failure happened on each of them). ``direction`` is "" for a script that could not
    be loaded: neither function can run."""

    position: int
    revision: str
    direction: str
    dialects: tuple[str, ...]
    path: str | None
    line: int | None
    message: str
    hint: str
    cause: str


@dataclass(frozen=True)
class IrreversibleDowngrade:
    """A revision whose downgrade file (on ``dialects``) is a refusal, and why."""

    position: int
    revision: str
    dialects: tuple[str, ...]
    reason: str
    path: str
    line: int | None


def cause_of(exc: SqlcompileError, dialect: str) -> str:
    """The cause of a failure, one of :data:`CAUSES` (with the dialect for a compile error)."""
    if isinstance(exc, LiveDatabaseRequired):
        return READS_DATABASE
    if isinstance(exc, MissingModule):
        return MISSING_MODULE
    if isinstance(exc, UnknownOperation):
        return UNKNOWN_OP
    if isinstance(exc, CompileError):
        return f"{CANNOT_COMPILE} {dialect}"
    if str(exc.path or "").endswith(".sql"):
        return HAND_WRITTEN
    if exc.path is not None:
        return SCRIPT_ERROR
    return OTHER


def failure_from(exc: SqlcompileError, step: Step, dialect: str, config: Config) -> Failure:
    """The failure ``exc`` is, for ``step`` compiled for ``dialect``."""
    script = step.script
    cause = cause_of(exc, dialect)
    hand = config.hand_written_sql(dialect, script.revision, step.direction)
    hand_text = hand.relative_to(config.root).as_posix()
    hint = exc.hint
    direction = "" if exc is script.failure else step.direction
    if hint is None and not direction:
        hint = "correct the script: neither its upgrade() nor its downgrade() can run"
    elif hint is None:
        if cause == HAND_WRITTEN:
            hint = f"correct {hand_text}"
        else:
            hint = (f"correct the script, or write this revision's {step.direction} SQL by "
                    f"hand in {hand_text} (it replaces running the script for that dialect "
                    "and direction)")
    if direction == "downgrade":
        hint += (f"; if it cannot be undone, declare the downgrade irreversible: "
                 f"irreversible = [\"{script.revision}\"] in {config.source_name}")
    return Failure(step.position, script.revision, direction, (dialect,),
                   None if exc.path is None else str(exc.path), exc.line, exc.message, hint,
                   cause)


def _general(text: str, dialect: str) -> str:
    """``text`` with the dialect's hand-written SQL folder written as `<dialect>`."""
    return text.replace(f"/sql/{dialect}/", "/sql/<dialect>/")


def merged(failures: Iterable[Failure], dialects: Sequence[str]) -> list[Failure]:
    """``failures`` sorted by position, direction (upgrade first) and dialect (in
    ``dialects`` order), the same failure on several dialects of one revision made one (its
    hand-written file named `sql/<dialect>/...`): one line per thing to fix."""
    order = {name: i for i, name in enumerate(dialects)}

    def key(f: Failure) -> tuple[int, int, int]:
        return (f.position, DIRECTIONS.index(f.direction) if f.direction else -1,
                min(order.get(d, len(order)) for d in f.dialects))

    groups: dict[tuple[object, ...], list[Failure]] = {}
    for failure in sorted(failures, key=key):
        dialect = failure.dialects[0]
        groups.setdefault((failure.position, failure.direction, failure.path, failure.line,
                           _general(failure.message, dialect), _general(failure.hint, dialect),
                           failure.cause), []).append(failure)
    out: list[Failure] = []
    for group in groups.values():
        first = group[0]
        if len(group) == 1:
            out.append(first)
            continue
        dialect = first.dialects[0]
        out.append(replace(first, dialects=tuple(dict.fromkeys(d for f in group
                                                              for d in f.dialects)),
                           message=_general(first.message, dialect),
                           hint=_general(first.hint, dialect)))
    return sorted(out, key=key)


def _dialects_text(dialects: Sequence[str], every: Sequence[str]) -> str:
    if len(every) > 1 and set(dialects) == set(every):
        return "every dialect"
    return ", ".join(dialects)


def report_lines(failures: Sequence[Failure], dialects: Sequence[str]) -> list[str]:
    """Two lines per failure (already :func:`merged`): `error: file:line: what is wrong
    (revision, direction, dialects)` and its hint; the revision and direction are left out
    of the parentheses where the message starts with them."""
    lines: list[str] = []
    for f in failures:
        where = f"{f.path}:{f.line}: " if f.path and f.line else f"{f.path}: " if f.path else ""
        said = f.message.startswith(f"revision {f.revision} ({f.direction}): ")  # compile errors
        context = ", ".join(part for part in (
            "" if said else f"revision {f.revision}", "" if said else f.direction,
            _dialects_text(f.dialects, dialects)) if part)
        lines.append(one_line(f"error: {where}{f.message} ({context})"))
        lines.append(one_line(f"  hint: {f.hint}"))
    return lines


def summary(failures: Sequence[Failure], revisions: int) -> str:
    """`N failures in M of T revisions (3 script error, 1 reads the database, ...)`."""
    counts: dict[str, int] = {}
    for f in failures:
        counts[f.cause] = counts.get(f.cause, 0) + 1

    def rank(cause: str) -> tuple[int, str]:
        base = next((i for i, c in enumerate(CAUSES) if cause == c or cause.startswith(c)),
                    len(CAUSES))
        return base, cause

    parts = ", ".join(f"{counts[c]} {c}" for c in sorted(counts, key=rank))
    failed = len({f.revision for f in failures})
    noun = "failure" if len(failures) == 1 else "failures"
    return f"{len(failures)} {noun} in {failed} of {revisions} revisions ({parts})"


def baseline_hint(failures: Sequence[Failure], graph: RevisionGraph, config: Config
                  ) -> str | None:
    """A suggestion to set a baseline, when every failure is in a revision that one revision
    in the first half of the history (the last failing one) has among its ancestors: a
    history adopted from Alembic whose early scripts no longer run offline, and databases
    that are past them anyway. None otherwise."""
    if not failures:
        return None
    last = max(f.position for f in failures)
    if last * 2 > len(graph.order):
        return None
    candidate = graph.order[last - 1]
    covered = graph.ancestors([candidate])
    if not {f.revision for f in failures} <= covered:
        return None
    return (f"if every database is already at revision {candidate} or later, set "
            f"baseline = \"{candidate}\" in {config.source_name} (or pass --baseline "
            f"{candidate}): the {len(covered)} revision(s) up to it then get no files, are "
            "only replayed into the schema model, and their failures no longer stop the "
            "render")


def irreversible_from(irreversible: Irreversible, step: Step, dialect: str
                      ) -> IrreversibleDowngrade:
    """The note that ``step`` (a downgrade) is irreversible on ``dialect``."""
    return IrreversibleDowngrade(step.position, step.script.revision, (dialect,),
                                 irreversible.reason, irreversible.path, irreversible.line)


def merged_irreversible(notes: Iterable[IrreversibleDowngrade]) -> list[IrreversibleDowngrade]:
    """One note per revision and reason, naming its dialects, by position."""
    groups: dict[tuple[int, str, str], list[IrreversibleDowngrade]] = {}
    for note in notes:
        groups.setdefault((note.position, note.revision, note.reason), []).append(note)
    return [replace(group[0], dialects=tuple(d for n in group for d in n.dialects))
            for _, group in sorted(groups.items(), key=lambda item: item[0])]


#: How many irreversible downgrades the summary names before "and N more".
NAMED = 5


def irreversible_lines(notes: Sequence[IrreversibleDowngrade], dialects: Sequence[str],
                       verbose: bool) -> list[str]:
    """The summary of irreversible downgrades (already :func:`merged_irreversible`): one line
    naming the first few; with ``verbose``, one line each with where and why."""
    if not notes:
        return []
    revisions = list(dict.fromkeys(f"{n.position:04d} {n.revision}" for n in notes))
    named = ", ".join(revisions[:NAMED])
    more = f" and {len(revisions) - NAMED} more" if len(revisions) > NAMED else ""
    noun = "downgrade" if len(revisions) == 1 else "downgrades"
    lines = [f"{len(revisions)} irreversible {noun} ({named}{more}): each stops at its first "
             "statement, before any change"
             + ("" if verbose or not more else " (-v lists them)")]
    if verbose:
        for n in notes:
            where = f"{n.path}:{n.line}: " if n.line else f"{n.path}: "
            lines.append(one_line(f"irreversible: {where}downgrade of {n.position:04d} "
                                  f"{n.revision} [{_dialects_text(n.dialects, dialects)}]: "
                                  f"{n.reason}"))
    return lines
