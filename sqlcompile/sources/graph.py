"""The revision graph: validation, deterministic order, heads, and resolving references."""

from __future__ import annotations

import ast
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlcompile.errors import GraphError
from sqlcompile.ordering import topological_order
from sqlcompile.sources.scripts import Script

#: What the hint of a refused revision id or branch label says is allowed.
ID_RULE = ("a revision id or branch label is letters, digits, `_`, `-` and `.`, starting with a "
           "letter, digit or `_`, in NFC form; ids that differ only by case or accents are one "
           "id to MySQL, MariaDB and SQL Server")
#: References with a meaning of their own, which an id or a label cannot take.
RESERVED_IDS = ("base", "head", "heads")


def id_problem(value: str) -> str | None:
    """What makes ``value`` unusable as a revision id or branch label (None: nothing).

    Ids name files (`sql_out/<dialect>/<direction>/NNNN_<id>_<slug>.sql`, the script's own
    name, hand-written `sql/<dialect>/<id>.<direction>.sql`) and version-table rows, so no path
    syntax, no invisible or control characters, and one spelling per character (NFC).
    """
    if not value:
        return "is empty"
    first = value[0]
    if first in "/\\~" or (len(value) >= 2 and value[1] == ":" and first.isascii()
                             and first.isalpha()):
        return "is an absolute path"
    if value in (".", ".."):
        return "is a relative path"
    if value in RESERVED_IDS:
        return f"is the reference `{value}`"
    for char in value:
        if char in "/\\":
            return f"contains {char!r}, a path separator"
        category = unicodedata.category(char)
        if category in ("Cc", "Cs"):
            return f"contains {char!r}, a control character or a lone surrogate"
        if category[0] == "Z" or char.isspace():
            return f"contains {char!r}, a space or line break"
        if not (category[0] in "LM" or category == "Nd" or char in "_-."):
            return f"contains {char!r}, which is not a letter, digit, `_`, `-` or `.`"
    if first in ".-" or unicodedata.category(first)[0] == "M":
        return f"starts with {first!r}"
    if not unicodedata.is_normalized("NFC", value):
        return (f"is not in NFC form (written that way it is "
                f"{unicodedata.normalize('NFC', value)!r})")
    return None


def folded_id(value: str) -> str:
    """``value`` as a case- and accent-insensitive collation compares it: case folded, then
    compatibility-decomposed (NFKD) with the combining marks removed."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", value).casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def assignment_line(path: Path | str, name: str) -> int | None:
    """The line of the last module-level assignment to ``name`` in a script (None: not found,
    or the file cannot be read or parsed)."""
    try:
        tree = ast.parse(Path(path).read_bytes())
    except (OSError, SyntaxError, ValueError):
        return None
    line = None
    for node in tree.body:
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign) else [])
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            line = node.lineno
    return line


def check_ids(scripts: Sequence[Script], length: int) -> None:
    """Refuse a revision id or branch label that :func:`id_problem` finds fault with or that is
    longer than ``length`` (the version table's column), and two revision ids that are one id
    to a case- and accent-insensitive collation; the error names the file and line."""
    folded: dict[str, Script] = {}
    for script in scripts:
        problem = id_problem(script.revision)
        if problem is None and len(script.revision) > length:
            problem = f"is longer than the version table's {length} characters"
        if problem is not None:
            raise GraphError(f"revision id {script.revision!r} {problem}", path=script.rel_path,
                             line=assignment_line(script.path, "revision"),
                             hint=f"{ID_RULE}; at most {length} characters")
        for label in script.branch_labels:
            problem = id_problem(label)
            if problem is not None:
                raise GraphError(f"branch label {label!r} {problem}", path=script.rel_path,
                                 line=assignment_line(script.path, "branch_labels"),
                                 hint=ID_RULE)
        other = folded.setdefault(folded_id(script.revision), script)
        if other.revision != script.revision:
            line = assignment_line(other.path, "revision")
            where = f"{other.rel_path}:{line}" if line else other.rel_path
            raise GraphError(
                f"revision id {script.revision!r} is the same as {other.revision!r} of "
                f"{where} when case and accents are ignored, as MySQL, MariaDB "
                "and SQL Server version tables compare them",
                path=script.rel_path, line=assignment_line(script.path, "revision"),
                hint="give one of them a new `revision` id (and update the scripts that name "
                     "it)",
            )


@dataclass(frozen=True)
class Step:
    """One migration in a sequence, with the version-table rows before and after it."""

    script: Script
    direction: str  # "upgrade" or "downgrade"
    position: int  # 1-based position of the revision in the graph's order
    before: tuple[str, ...]
    after: tuple[str, ...]


class RevisionGraph:
    """Revisions linked by `down_revision` (parents) and `depends_on` (dependencies)."""

    def __init__(self, scripts: Sequence[Script]) -> None:
        self.scripts: dict[str, Script] = {}
        for script in scripts:
            other = self.scripts.get(script.revision)
            if other is not None:
                raise GraphError(
                    f"duplicate revision id {script.revision!r} in {other.rel_path} and "
                    f"{script.rel_path}",
                    path=script.rel_path,
                    hint="give one of them a new `revision` id",
                )
            self.scripts[script.revision] = script
        self.labels: dict[str, str] = {}
        for script in scripts:
            for label in script.branch_labels:
                if label in self.labels:
                    raise GraphError(
                        f"branch label {label!r} is used by {self.labels[label]} and "
                        f"{script.revision}",
                        path=script.rel_path,
                    )
                self.labels[label] = script.revision
        self.children: dict[str, list[str]] = {rev: [] for rev in self.scripts}
        for script in scripts:
            for parent in (*script.down_revisions, *script.depends_on):
                self._check_known(parent, script)
            for parent in script.down_revisions:
                self.children[parent].append(script.revision)
        for kids in self.children.values():
            kids.sort()
        self.order: list[str] = self._topological_order()
        self.position: dict[str, int] = {rev: i for i, rev in enumerate(self.order, 1)}

    def _check_known(self, ref: str, script: Script) -> None:
        if ref in self.scripts:
            return
        if ref in self.labels:  # depends_on may name a branch label
            return
        raise GraphError(
            f"revision {script.revision} names parent {ref!r}, which no script defines",
            path=script.rel_path,
            hint="fix `down_revision`/`depends_on`, or restore the missing script",
        )

    def requirements(self, rev: str) -> tuple[str, ...]:
        """Revisions that must be applied before ``rev``: parents and dependencies."""
        script = self.scripts[rev]
        deps = tuple(self.labels.get(d, d) for d in script.depends_on)
        return (*script.down_revisions, *deps)

    def _topological_order(self) -> list[str]:
        """Parents before children; among ready revisions, continue the branch just taken.

        Kahn's algorithm with the most recently readied revisions first (ties by id), so a
        branch is emitted whole before its sibling; the same graph always gives the same order.
        """
        dependents: dict[str, list[str]] = {rev: [] for rev in self.scripts}
        for rev in sorted(self.scripts):
            for req in set(self.requirements(rev)):
                dependents[req].append(rev)
        found = topological_order(sorted(self.scripts), dependents, key=lambda rev: rev,
                                  recent_first=True)
        if found.stuck:
            files = ", ".join(self.scripts[rev].rel_path for rev in found.stuck)
            raise GraphError(
                f"the revisions form a cycle (or depend on one): {', '.join(found.stuck)}",
                path=self.scripts[found.stuck[0]].rel_path,
                hint=f"check down_revision/depends_on in: {files}",
            )
        return found.order

    # -- queries ---------------------------------------------------------------------------
    def heads(self) -> list[str]:
        """Revisions no other revision has as parent, in graph order."""
        return [rev for rev in self.order if not self.children[rev]]

    def bases(self) -> list[str]:
        return [rev for rev in self.order if not self.scripts[rev].down_revisions]

    def ancestors(self, revs: Iterable[str]) -> set[str]:
        """``revs`` and everything they require, transitively."""
        seen: set[str] = set()
        stack = list(revs)
        while stack:
            rev = stack.pop()
            if rev in seen:
                continue
            seen.add(rev)
            stack.extend(self.requirements(rev))
        return seen

    def single_head(self, purpose: str) -> str:
        """The only head; an error listing the heads when there are several."""
        heads = self.heads()
        if len(heads) == 1:
            return heads[0]
        if not heads:
            raise GraphError("there are no revisions yet", hint="create one: sqlcompile revision")
        raise GraphError(
            f"{purpose} needs a single head, but there are {len(heads)}: {', '.join(heads)}",
            hint=f'merge them: sqlcompile merge -m "merge heads" {" ".join(heads)}',
        )

    def resolve(self, ref: str) -> list[str]:
        """Revisions named by ``ref``: an id or unique prefix, head(s), base, label, label@head."""
        if ref in ("heads", "head"):
            return self.heads() if ref == "heads" else [self.single_head("`head`")]
        if ref == "base":
            return []
        if ref in self.scripts:
            return [ref]
        if "@" in ref:
            label, _, which = ref.partition("@")
            if label not in self.labels or which != "head":
                raise GraphError(f"unknown revision reference {ref!r}",
                                 hint="use LABEL@head with a branch label")
            start = self.labels[label]
            branch = self.descendants(start)
            return [rev for rev in self.heads() if rev in branch]
        if ref in self.labels:
            return [self.labels[ref]]
        matches = sorted(rev for rev in self.scripts if rev.startswith(ref))
        if len(matches) == 1:
            return matches
        if not matches:
            raise GraphError(f"no revision matches {ref!r}",
                             hint="see `sqlcompile history` for the revision ids")
        raise GraphError(f"{ref!r} is ambiguous: it matches {', '.join(matches)}",
                         hint="give more characters of the id")

    def descendants(self, rev: str) -> set[str]:
        seen: set[str] = set()
        stack = [rev]
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self.children[current])
        return seen

    # -- sequences of steps ----------------------------------------------------------------
    def upgrade_steps(self, start: Iterable[str], target: Iterable[str]) -> list[Step]:
        """Steps that take a database holding ``start`` (heads) to ``target``, in order."""
        applied = self.ancestors(start)
        todo = self.ancestors(target) - applied
        state = _VersionState(self, applied)
        steps = []
        for rev in self.order:
            if rev in todo:
                before = state.rows()
                state.add(rev)
                steps.append(Step(self.scripts[rev], "upgrade", self.position[rev], before,
                                  state.rows()))
        return steps

    def downgrade_steps(self, start: Iterable[str], target: Iterable[str]) -> list[Step]:
        """Steps that take a database holding ``start`` (heads) down to ``target``."""
        applied = self.ancestors(start)
        keep = self.ancestors(target)
        undo = applied - keep
        state = _VersionState(self, applied)
        steps = []
        for rev in reversed(self.order):
            if rev in undo:
                before = state.rows()
                state.remove(rev)
                steps.append(Step(self.scripts[rev], "downgrade", self.position[rev], before,
                                  state.rows()))
        return steps

    def steps(self, direction: str, start: Iterable[str], target: Iterable[str]) -> list[Step]:
        """Upgrade or downgrade steps from the heads ``start`` to ``target``."""
        if direction == "upgrade":
            return self.upgrade_steps(start, target)
        return self.downgrade_steps(start, target)

    def file_steps(self) -> list[tuple[Step, Step]]:
        """(upgrade, downgrade) per revision, in order, each assuming all earlier files ran."""
        state = _VersionState(self, set())
        out = []
        for rev in self.order:
            before = state.rows()
            state.add(rev)
            after = state.rows()
            script = self.scripts[rev]
            pos = self.position[rev]
            out.append((Step(script, "upgrade", pos, before, after),
                        Step(script, "downgrade", pos, after, before)))
        return out


class _VersionState:
    """The version table's rows (the heads of the applied revisions), kept incrementally."""

    def __init__(self, graph: RevisionGraph, applied: set[str]) -> None:
        self.graph = graph
        self.applied = set(applied)
        self.heads = {
            rev for rev in applied
            if not any(child in applied for child in graph.children[rev])
        }

    def rows(self) -> tuple[str, ...]:
        return tuple(sorted(self.heads))

    def add(self, rev: str) -> None:
        self.applied.add(rev)
        self.heads.difference_update(self.graph.scripts[rev].down_revisions)
        self.heads.add(rev)

    def remove(self, rev: str) -> None:
        self.applied.discard(rev)
        self.heads.discard(rev)
        for parent in self.graph.scripts[rev].down_revisions:
            if not any(child in self.applied for child in self.graph.children[parent]):
                self.heads.add(parent)
