"""Validation: every emitted statement parsed by sqlglot in the target dialect.

A parse error is a failure. A statement sqlglot only accepts as an opaque `Command` proves
nothing, so it is counted as unvalidated, never as validated.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlcompile.dialects.base import DialectSupport
    from sqlcompile.pipeline.compiler import Statement

logging.getLogger("sqlglot").setLevel(logging.ERROR)

VALID = "validated"
UNVALIDATED = "unvalidated"


@dataclass
class Problem:
    """A statement that failed validation or could not be validated."""

    file: str
    sql: str
    status: str  # "error" or "unvalidated"
    detail: str


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

    def add(self, other: Report) -> None:
        """Fold in the counts and problems of another part of the same render."""
        self.files += other.files
        self.statements += other.statements
        self.validated += other.validated
        self.unvalidated += other.unvalidated
        self.errors += other.errors
        self.unvalidated_items += other.unvalidated_items

    def summary(self) -> str:
        return (
            f"{self.dialect}: {self.files} files, {self.statements} statements, "
            f"{self.validated} validated, {self.unvalidated} unvalidated, "
            f"{len(self.errors)} failed"
        )


class Validator:
    """Parses statements for one dialect, remembering results by text and by shape."""

    def __init__(self, dialect: DialectSupport) -> None:
        import sqlglot
        from sqlglot import exp

        self._sqlglot = sqlglot
        self._command = exp.Command
        # One tokenizer and parser for every statement: building them per call (as
        # sqlglot.parse does) cost as much as parsing short statements.
        sqlglot_dialect = sqlglot.Dialect.get_or_raise(dialect.sqlglot_name)
        self._tokenizer = sqlglot_dialect.tokenizer()
        self._parser = sqlglot_dialect.parser()
        self.dialect = dialect
        self.report = Report(dialect.name)
        self._cache: dict[str, tuple[str, str]] = {}

    def check(self, sql: str) -> tuple[str, str]:
        """(status, detail) for one statement; status is validated, unvalidated or error.

        The text is first cut where the dialect's client would cut it (a `GO` line, a `/`
        line): a statement the client would split in two is an error, a client directive is
        unvalidated.
        """
        if self.dialect.is_client_directive(sql):
            return UNVALIDATED, f"a {self.dialect.title} client directive, not SQL"
        batches = self.dialect.split_batches(sql)
        if len(batches) != 1:
            return "error", (f"the client would split this statement into {len(batches)} "
                             "batches at a separator line")
        words = [w.upper() for w in sql.split()[:4]]
        if self.dialect.is_block_start(words):
            return UNVALIDATED, "a procedural block, which sqlglot does not parse"
        if words[:1] == ["CREATE"] and "TRIGGER" in words:
            # sqlglot has no grammar for triggers: a body's `;` would even split it in two.
            return UNVALIDATED, "a trigger, which sqlglot does not parse"
        return self._parse(batches[0])

    def _parse(self, sql: str) -> tuple[str, str]:
        try:
            trees = self._parser.parse(self._tokenizer.tokenize(sql), sql)
        except self._sqlglot.errors.SqlglotError as exc:
            return "error", str(exc).splitlines()[0]
        trees = [t for t in trees if t is not None]
        if not trees:
            return "error", "no statement found"
        if len(trees) > 1:
            return "error", f"{len(trees)} statements where one was expected"
        if isinstance(trees[0], self._command):
            return UNVALIDATED, "sqlglot parsed it only as an opaque command"
        return VALID, ""

    def statement(self, file: str, statement: Statement) -> None:
        """Validate and count one statement of ``file``."""
        if not statement.sql:
            return
        key = statement.shape or statement.sql
        result = self._cache.get(key)
        if result is None:
            result = self._cache[key] = self.check(statement.sql)
        status, detail = result
        report = self.report
        report.statements += 1
        if status == VALID:
            report.validated += 1
        elif status == UNVALIDATED:
            report.unvalidated += 1
            report.unvalidated_items.append(Problem(file, statement.sql, status, detail))
        else:
            report.errors.append(Problem(file, statement.sql, status, detail))
