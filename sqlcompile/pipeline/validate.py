"""Validation: every emitted statement parsed in the target dialect, by the server's own parser
where one is available (PostgreSQL's, through pglast) and by sqlglot.

Verdicts: *validated*; *unvalidated* (a parser gap: sqlglot lacks the grammar for SQL that
SQLAlchemy's compiler or our renderers produced, or parses it only as an opaque `Command`; a
client directive; or a statement its author marked as accepted); *failed*. Where the dialect
has a server parser, it decides and sqlglot's own verdict is kept beside it for `-v`. Without
one, SQL the author wrote (op.execute text, a hand-written file) that sqlglot rejects fails,
unless a leading comment line ``-- sqlcompile: unvalidated <reason>`` accepts it knowingly.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlcompile.errors import SqlcompileError

if TYPE_CHECKING:
    from sqlcompile.dialects.base import DialectSupport
    from sqlcompile.pipeline.compiler import Statement

logging.getLogger("sqlglot").setLevel(logging.ERROR)

VALID = "validated"
UNVALIDATED = "unvalidated"
FAILED = "error"

# Why a statement is unvalidated, in the order the summary lists them.
GAP = "parser gap"
DIRECTIVE = "client directive"
ACCEPTED = "accepted by the author"

#: The comment line, among a statement's leading comments, that accepts it unvalidated.
MARKER = "-- sqlcompile: unvalidated"
_MARKER = re.compile(r"--[ \t]*sqlcompile:[ \t]*unvalidated\b(.*)", re.IGNORECASE)

#: (ok, message) of a server parser for one statement: message is the error when not ok.
ServerParse = Callable[[str], tuple[bool, str]]


@dataclass(frozen=True)
class Verdict:
    """What validation concluded for one statement, and why.

    ``kind`` says why an unvalidated statement is so (GAP, DIRECTIVE or ACCEPTED). Where a
    server parser decided, ``sqlglot`` and ``sqlglot_detail`` are sqlglot's own verdict.
    """

    status: str
    detail: str = ""
    kind: str = ""
    sqlglot: str = ""
    sqlglot_detail: str = ""


@dataclass
class Problem:
    """A statement that failed validation, could not be validated, or on which sqlglot's own
    verdict differs from the server parser's (``detail`` then says how)."""

    file: str
    sql: str
    status: str  # "error", "unvalidated", or for a second opinion the verdict reached
    detail: str
    kind: str = ""
    #: Where the statement comes from (the statement's ``source`` and ``line``).
    source: str = ""
    line: int | None = None
    origin: str = "compiled"

    def location(self) -> str:
        """`source:line` of the statement ("source" without a line; the output file when
        it has no source, as framing statements do)."""
        if not self.source:
            return self.file
        return f"{self.source}:{self.line}" if self.line else self.source


@dataclass
class Report:
    """Counts and problems for one dialect."""

    dialect: str
    files: int = 0
    statements: int = 0
    validated: int = 0
    unvalidated: int = 0
    errors: list[Problem] = field(default_factory=list)
    unvalidated_items: list[Problem] = field(default_factory=list)
    #: Unvalidated statements by kind (GAP, DIRECTIVE, ACCEPTED).
    kinds: dict[str, int] = field(default_factory=dict)
    #: Where a server parser decided: sqlglot's own verdicts, counted by status, and the
    #: statements on which it disagreed with the server's parser.
    sqlglot: dict[str, int] = field(default_factory=dict)
    second_opinions: list[Problem] = field(default_factory=list)

    def add(self, other: Report) -> None:
        """Fold in the counts and problems of another part of the same render."""
        self.files += other.files
        self.statements += other.statements
        self.validated += other.validated
        self.unvalidated += other.unvalidated
        self.errors += other.errors
        self.unvalidated_items += other.unvalidated_items
        for mine, theirs in ((self.kinds, other.kinds), (self.sqlglot, other.sqlglot)):
            for key, count in theirs.items():
                mine[key] = mine.get(key, 0) + count
        self.second_opinions += other.second_opinions

    def summary(self) -> str:
        """One line: files, statements, and how many were validated, unvalidated (by kind) and
        failed."""
        parts = [_counted(self.kinds[kind], kind) for kind in (GAP, DIRECTIVE, ACCEPTED)
                 if self.kinds.get(kind)]
        kinds = f" ({', '.join(parts)})" if parts else ""
        return (
            f"{self.dialect}: {self.files} files, {self.statements} statements, "
            f"{self.validated} validated, {self.unvalidated} unvalidated{kinds}, "
            f"{len(self.errors)} failed"
        )

    def sqlglot_summary(self) -> str:
        """sqlglot's own verdicts where the server's parser decided ("" where it did not)."""
        if not self.sqlglot:
            return ""
        counts = ", ".join(f"{self.sqlglot.get(status, 0)} {label}" for status, label in (
            (VALID, "validated"), (UNVALIDATED, "unvalidated"), (FAILED, "failed")))
        return f"{self.dialect}: sqlglot's own verdict: {counts}"


def verdict_key(origin: str, text: str, second_opinion: bool) -> str:
    """How a verdict is stored between runs: by the statement's origin and text (or shape),
    and whether sqlglot's own verdict is in it."""
    data = f"{origin}\x00{int(second_opinion)}\x00{text}".encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _counted(count: int, kind: str) -> str:
    if count == 1 or kind == ACCEPTED:
        return f"{count} {kind}"
    return f"{count} {kind}s"


def accepted_reason(sql: str) -> str | None:
    """The reason given by a ``-- sqlcompile: unvalidated <reason>`` line among the comment
    lines that open ``sql`` ("" when the line gives none), or None when there is no such line.
    Only leading comment lines count, so the marker can never sit inside a literal."""
    for line in sql.splitlines():
        line = line.strip()
        if not line:
            continue
        if not line.startswith("--"):
            return None
        found = _MARKER.fullmatch(line)
        if found:
            return found.group(1).strip()
    return None


def _pglast() -> ServerParse:
    """PostgreSQL's own parser (libpg_query, through pglast), imported on first use."""
    try:
        from pglast import parser
    except ImportError as exc:
        raise SqlcompileError(
            f"validating PostgreSQL needs pglast (PostgreSQL's own parser), which cannot be "
            f"imported: {exc}",
            hint="sqlcompile's installation is broken: reinstall it with its dependencies "
                 "(e.g. `pip install --force-reinstall pglast`)") from None

    def parse(sql: str) -> tuple[bool, str]:
        try:
            found = parser.split(sql)
        except parser.ParseError as exc:
            message, index = exc.args[0], exc.args[1] if len(exc.args) > 1 else None
            return False, message + _position(sql, index)
        if not found:
            return False, "no statement found"
        if len(found) > 1:
            return False, f"{len(found)} statements where one was expected"
        return True, ""

    return parse


def _position(sql: str, index: int | None) -> str:
    """Where a character offset of ``sql`` is, as ` (line L, column C)`; "" for none (the
    parser's message then says "at end of input")."""
    if index is None or not 0 <= index <= len(sql):
        return ""
    line = sql.count("\n", 0, index) + 1
    column = index - (sql.rfind("\n", 0, index) + 1) + 1
    return f" (line {line}, column {column})"


#: The server parsers a dialect may name in its ``server_parser``.
SERVER_PARSERS: dict[str, Callable[[], ServerParse]] = {"pglast": _pglast}


class Validator:
    """Parses statements for one dialect, remembering results by origin and text or shape."""

    def __init__(self, dialect: DialectSupport, second_opinion: bool = True,
                 known: dict[str, Any] | None = None) -> None:
        """``second_opinion``: also ask sqlglot where a server parser decides (its verdict is
        only shown with -v). ``known``: verdicts of earlier runs (see pipeline/cache.py), by
        :func:`verdict_key`; the ones this run reached are in :attr:`made`."""
        self.dialect = dialect
        self.second_opinion = second_opinion
        self._server = (SERVER_PARSERS[dialect.server_parser]()
                        if dialect.server_parser else None)
        self._glot: tuple[Any, Any, Any, Any] | None = None
        self.report = Report(dialect.name)
        self._cache: dict[tuple[str, str], Verdict] = {}
        self.known = known if known is not None else {}
        self.made: dict[str, tuple[str, str, str, str, str]] = {}

    def _sqlglot_parts(self) -> tuple[Any, Any, Any, Any]:
        """sqlglot (imported on first use), its Command class, and one tokenizer and parser
        for every statement: building them per call (as sqlglot.parse does) cost as much as
        parsing short statements."""
        if self._glot is None:
            import sqlglot
            from sqlglot import exp

            sqlglot_dialect = sqlglot.Dialect.get_or_raise(self.dialect.sqlglot_name)
            self._glot = (sqlglot, exp.Command, sqlglot_dialect.tokenizer(),
                          sqlglot_dialect.parser())
        return self._glot

    def check(self, sql: str, origin: str = "compiled") -> tuple[str, str]:
        """(status, detail) for one statement; status is validated, unvalidated or error."""
        found = self.verdict(sql, origin)
        return found.status, found.detail

    def verdict(self, sql: str, origin: str = "compiled") -> Verdict:
        """The verdict on one statement; ``origin`` is "compiled" (SQLAlchemy's compiler, our
        renderers) or "raw" (SQL text the author wrote).

        The text is first cut where the dialect's client would cut it (a `GO` line, a `/`
        line): a statement the client would split in two is an error, a client directive is
        unvalidated.
        """
        if self.dialect.is_client_directive(sql):
            return Verdict(UNVALIDATED, f"a {self.dialect.title} client directive, not SQL",
                           DIRECTIVE)
        batches = self.dialect.split_batches(sql)
        if len(batches) != 1:
            return Verdict(FAILED, f"the client would split this statement into "
                                   f"{len(batches)} batches at a separator line")
        reason = accepted_reason(sql)
        if reason == "":
            return Verdict(FAILED, f"the `{MARKER}` line gives no reason: say after it why "
                                   "the statement is accepted unvalidated")
        if self._server is not None:
            glot, glot_detail = (self._sqlglot_check(batches[0]) if self.second_opinion
                                 else ("", ""))
            ok, detail = self._server(batches[0])
            server = f"{self.dialect.title}'s parser"
            if ok:
                return Verdict(VALID, "", "", glot, glot_detail)
            if reason:
                return Verdict(UNVALIDATED, f"{reason}; {server}: {detail}", ACCEPTED, glot,
                               glot_detail)
            return Verdict(FAILED, f"{server}: {detail}", "", glot, glot_detail)
        glot, glot_detail = self._sqlglot_check(batches[0])
        if glot == VALID:
            return Verdict(VALID)
        if reason:
            return Verdict(UNVALIDATED, f"{reason}; sqlglot: {glot_detail}", ACCEPTED)
        if glot == UNVALIDATED:
            return Verdict(UNVALIDATED, glot_detail, GAP)
        if origin == "compiled":
            return Verdict(UNVALIDATED, f"sqlglot cannot parse what SQLAlchemy compiled: "
                                        f"{glot_detail}", GAP)
        return Verdict(FAILED, glot_detail)

    def _sqlglot_check(self, sql: str) -> tuple[str, str]:
        """sqlglot's verdict on one statement of one batch."""
        words = [w.upper() for w in sql.split()[:4]]
        if self.dialect.is_block_start(words):
            return UNVALIDATED, "a procedural block, which sqlglot does not parse"
        if words[:1] == ["CREATE"] and "TRIGGER" in words:
            # sqlglot has no grammar for triggers: a body's `;` would even split it in two.
            return UNVALIDATED, "a trigger, which sqlglot does not parse"
        sqlglot, command, tokenizer, parser = self._sqlglot_parts()
        try:
            trees = parser.parse(tokenizer.tokenize(sql), sql)
        except sqlglot.errors.SqlglotError as exc:
            return FAILED, str(exc).splitlines()[0]
        trees = [t for t in trees if t is not None]
        if not trees:
            return FAILED, "no statement found"
        if len(trees) > 1:
            return FAILED, f"{len(trees)} statements where one was expected"
        if isinstance(trees[0], command):
            return UNVALIDATED, "sqlglot parsed it only as an opaque command"
        return VALID, ""

    def statement(self, file: str, statement: Statement, report: Report | None = None) -> None:
        """Validate and count one statement of ``file`` (in ``report``, else this
        validator's)."""
        if not statement.sql:
            return
        key = (statement.origin, statement.shape or statement.sql)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._remembered(statement, key)
        report = report if report is not None else self.report
        report.statements += 1
        if found.status == VALID:
            report.validated += 1
        elif found.status == UNVALIDATED:
            report.unvalidated += 1
            report.kinds[found.kind] = report.kinds.get(found.kind, 0) + 1
            report.unvalidated_items.append(
                Problem(file, statement.sql, found.status, found.detail, found.kind))
        else:
            report.errors.append(Problem(file, statement.sql, found.status, found.detail,
                                         source=statement.source, line=statement.line,
                                         origin=statement.origin))
        if found.sqlglot:
            report.sqlglot[found.sqlglot] = report.sqlglot.get(found.sqlglot, 0) + 1
            if (found.sqlglot == VALID) != (found.status == VALID):
                report.second_opinions.append(Problem(
                    file, statement.sql, found.status, self._second_opinion(found)))

    def _remembered(self, statement: Statement, key: tuple[str, str]) -> Verdict:
        """The verdict an earlier run reached on this text, else a new one (kept in
        :attr:`made`)."""
        stored = verdict_key(*key, self.second_opinion)
        known = self.known.get(stored)
        if isinstance(known, tuple) and len(known) == 5 and known[0] in (VALID, UNVALIDATED,
                                                                         FAILED):
            return Verdict(*known)
        found = self.verdict(statement.sql, statement.origin)
        self.made[stored] = (found.status, found.detail, found.kind, found.sqlglot,
                             found.sqlglot_detail)
        return found

    def _second_opinion(self, found: Verdict) -> str:
        """How sqlglot's verdict differs from the server parser's, in words."""
        server = f"{self.dialect.title}'s parser"
        ours = {VALID: f"{server} accepts it", UNVALIDATED: f"{server} rejects it, but its "
                f"author accepted it", FAILED: f"{server} rejects it"}[found.status]
        theirs = {VALID: "sqlglot parses it",
                  UNVALIDATED: f"sqlglot leaves it unvalidated ({found.sqlglot_detail})",
                  FAILED: f"sqlglot fails it ({found.sqlglot_detail})"}[found.sqlglot]
        return f"{ours}; {theirs}"
