"""Framing compiled migrations: transactions, the version table, and the guard.

Every migration is framed the same way, per file or in a stream::

    <client directives>         -- psql `\\set ON_ERROR_STOP on`, sqlite3 `.bail on`, ...
    <session settings>
    <migration lock>            -- a second apply of the same database waits, then stops
    BEGIN;                      -- the version table is created here on first use
    <guard>                     -- abort unless the version table holds exactly `before`
    <the migration's statements>
    <version rows: before -> after>
    <check>                     -- abort unless the version table now holds exactly `after`
    COMMIT;
    <lock released>

An autocommit block closes the transaction, runs its statements alone, then opens a new
transaction that repeats the guard; `op.get_bind().commit()` does the same without the block.

Where DDL commits implicitly (``transactional_ddl = False``), the guard runs first, each
statement is numbered `step K of N` in a comment, and the version rows move in a last step of
their own transaction (see :meth:`Framer.migration_without_transaction`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import schema as sa_schema

from sqlcompile.dialects.base import NOTHING_CHANGED
from sqlcompile.errors import one_line
from sqlcompile.pipeline.compiler import Body, Statement, compile_element

if TYPE_CHECKING:
    from sqlcompile.config import Config
    from sqlcompile.dialects.base import DialectSupport, FrameSQL
    from sqlcompile.sources.graph import Step

VERSION_LENGTH = 32  # Alembic's width, so `alembic_version` tables are shared as they are


@cache
def version_table(config: Config) -> sa.Table:
    """The version table, shaped as Alembic's (one row per applied head)."""
    return sa.Table(
        config.version_table,
        sa.MetaData(),
        sa.Column("version_num", sa.String(VERSION_LENGTH), nullable=False),
        sa.PrimaryKeyConstraint("version_num", name=f"{config.version_table}_pkc"),
        schema=config.version_table_schema,
    )


@cache
def create_version_table(dialect: DialectSupport, config: Config) -> str:
    """`CREATE TABLE IF NOT EXISTS` for the version table, compiled once per dialect."""
    create = sa_schema.CreateTable(version_table(config), if_not_exists=True)
    return compile_element(create, dialect)


def revisions_text(revs: Sequence[str]) -> str:
    return ", ".join(revs) if revs else "(none)"


#: How much of a script's message a refusal's error text carries.
REFUSAL_REASON_LENGTH = 300


def refusal_message(step: Step, reason: str) -> str:
    """The error text of an irreversible migration's refusal (see :meth:`Framer.refusal`)."""
    text = one_line(reason)
    if len(text) > REFUSAL_REASON_LENGTH:
        text = text[:REFUSAL_REASON_LENGTH] + "..."
    return f"sqlcompile: the {_label(step)} is irreversible: {text}; stopped before any change"


def _label(step: Step) -> str:
    """How a guard's message names the migration it guards."""
    return f"{step.direction} of {step.position:04d} {step.script.revision}"


@dataclass
class Framer:
    """Accumulates framed statements for one output (a file or a stream)."""

    dialect: DialectSupport
    config: Config
    transaction_per_migration: bool = True
    statements: list[Statement] = field(default_factory=list)
    in_transaction: bool = False
    table_created: bool = False
    #: What the dialect adds around the transactions of the migration being framed (from its
    #: Body's framing); ``begin_at`` is where the open transaction's BEGIN was added.
    frame: FrameSQL | None = None
    framing_names: tuple[str, ...] = ()
    begin_at: int = 0
    locked: bool = False
    #: How guards and step comments name what they frame, instead of the step's direction,
    #: position and revision (`baseline.sql` frames the creation of the baseline schema).
    label: str | None = None

    def __post_init__(self) -> None:
        self.table = version_table(self.config)

    def add(self, sql: str, *comments: str, shape: str | None = None) -> None:
        self.statements.append(Statement(sql, list(comments), shape))

    def session_setup(self) -> None:
        """What comes before the first migration: the client's directives, the session's
        settings, then the migration lock (released by :meth:`finish`)."""
        timeout = self.config.lock_timeout
        for sql in self.dialect.client_setup(timeout):
            self.statements.append(Statement(sql, file_only=True))
        for sql in self.dialect.session_setup():
            self.add(sql)
        lock = self.dialect.lock(self.table, timeout)
        self._add_lock_part(lock)
        self.locked = bool(lock)

    def _add_lock_part(self, pairs: list[tuple[str, str]]) -> None:
        """Statements taking or releasing the migration lock (the dev loop skips them where
        the lock would outlive the migration on its pooled connection)."""
        for sql, comment in pairs:
            self.statements.append(Statement(sql, [comment] if comment else [],
                                             file_only=not self.dialect.dev_loop_locks))

    def begin(self) -> None:
        if self.in_transaction:
            return
        for sql, comment in self.frame.before_begin if self.frame else ():
            self.add(sql, comment)
        self.begin_at = len(self.statements)
        self.add(self.dialect.begin())
        self.in_transaction = True
        if not self.table_created:
            self.add(create_version_table(self.dialect, self.config),
                     f"version table {self.config.version_table} (created on first use)")
            self.table_created = True

    def commit(self) -> None:
        if self.in_transaction:
            for sql, comment in self.frame.before_commit if self.frame else ():
                self.add(sql, comment)
            self.add(self.dialect.commit())
            self.in_transaction = False
            for sql, comment in self.frame.after_commit if self.frame else ():
                self.add(sql, comment)

    def guard(self, step: Step) -> None:
        self.add(
            self.dialect.guard(self.table, step.before, self._label(step)),
            f"guard: stop unless {self.config.version_table} holds exactly "
            f"[{revisions_text(step.before)}]",
            shape=f"guard:{len(step.before)}",
        )

    def version_rows(self, step: Step) -> None:
        """DELETE the rows this migration replaces, INSERT the ones it adds.

        Built from the dialect's quoted names and literal renderer: these two shapes repeat in
        every file, and compiling them through SQLAlchemy each time dominated render time.
        """
        removed = sorted(set(step.before) - set(step.after))
        added = sorted(set(step.after) - set(step.before))
        comment = f"version: [{revisions_text(step.before)}] -> [{revisions_text(step.after)}]"
        if removed:
            listed = ", ".join(self.dialect.render_string(rev) for rev in removed)
            self.add(f"DELETE FROM {self._table_sql} WHERE {self._column_sql} IN ({listed})",
                     comment, shape=f"delete:{len(removed)}")
            comment = ""
        for rev in added:
            self.insert_version(rev, *([comment] if comment else []))
            comment = ""
        outcome = (NOTHING_CHANGED if self.dialect.transactional_ddl
                   else "the version rows were not changed")
        self.add(
            self.dialect.guard(self.table, step.after,
                               f"{self._label(step)}, its version rows changed,", outcome),
            f"check: {self.config.version_table} now holds exactly "
            f"[{revisions_text(step.after)}]",
            shape=f"check:{len(step.after)}",
        )

    def _label(self, step: Step) -> str:
        return self.label if self.label is not None else _label(step)

    @property
    def _table_sql(self) -> str:
        return self.dialect.quote_table(self.table)

    @property
    def _column_sql(self) -> str:
        return self.dialect.sa_dialect.identifier_preparer.quote("version_num")

    def insert_version(self, rev: str, *comments: str) -> None:
        """INSERT one version row."""
        self.add(f"INSERT INTO {self._table_sql} ({self._column_sql}) VALUES "
                 f"({self.dialect.render_string(rev)})", *comments, shape="insert")

    def clear_versions(self) -> None:
        """DELETE every version row (stamping sets them anew)."""
        self.add(f"DELETE FROM {self._table_sql}", shape="clear")

    def migration(self, step: Step, body: Body) -> None:
        """Frame one migration (see the module docstring)."""
        if body.irreversible is not None:
            self.refusal(step, body.irreversible.reason)
            return
        if not self.dialect.transactional_ddl:
            self.migration_without_transaction(step, body)
            return
        self.require(body.framing)
        self.begin()
        self.guard(step)
        for segment in body.segments:
            if segment.kind == "autocommit":
                self.commit()
                first, *rest = segment.statements
                marked = replace(first, comments=[
                    "autocommit block: the statements below run outside any transaction",
                    *first.comments,
                ], file_only=False)
                self.statements.append(marked)
                self.statements.extend(rest)
                self.add("", "end of autocommit block")
                self.begin()
                self.guard(step)
            elif segment.kind == "break":
                self.commit()
                self.begin()
                self.guard(step)
                self.statements.extend(segment.statements)
            else:
                self.statements.extend(segment.statements)
        self.version_rows(step)
        if self.transaction_per_migration:
            self.commit()
            self.frame, self.framing_names = None, ()

    def refusal(self, step: Step, reason: str) -> None:
        """An irreversible migration: one statement that aborts, in the guard's way, with
        ``reason``, before the version table or anything else is touched. Nothing of the
        migration follows it (a stream ends there; see render.py `_frame`)."""
        self.add(self.dialect.refusal(refusal_message(step, reason)),
                 f"irreversible: {one_line(reason)}",
                 "this statement always fails: the migration stops here, before any change",
                 shape="refusal")

    def require(self, framing: tuple[str, ...]) -> None:
        """Take on what a migration's ops asked of the transactions around them. Inside a
        transaction already open (one transaction for a whole stream), the statements due
        before BEGIN go before that transaction's BEGIN."""
        if not framing:
            return
        wanted = set(framing) | set(self.framing_names)
        frame = self.dialect.frame_sql(sorted(wanted))
        if self.in_transaction:
            missing = [pair for pair in frame.before_begin
                       if not self.frame or pair not in self.frame.before_begin]
            self.statements[self.begin_at:self.begin_at] = [
                Statement(sql, [comment]) for sql, comment in missing]
            self.begin_at += len(missing)
        self.frame = frame
        self.framing_names = tuple(sorted(wanted))

    def migration_without_transaction(self, step: Step, body: Body) -> None:
        """Frame one migration where DDL commits implicitly (``transactional_ddl = False``).

        The version table is created and the guard run before any change; every statement
        after it is marked `step K of N` so a client's "error at line L" names the failed step
        (those above it are applied); the last step moves the version rows in one transaction,
        so they change only once every other step succeeded. Autocommit blocks and `commit()`
        breaks change nothing here: every statement commits on its own anyway.
        """
        self.commit()
        if not self.table_created:
            self.add(create_version_table(self.dialect, self.config),
                     f"version table {self.config.version_table} (created on first use)")
            self.table_created = True
        self.guard(step)
        label = self.label or f"{step.direction} {step.position:04d} {step.script.revision}"
        total = sum(1 for seg in body.segments for s in seg.statements if s.sql) + 1
        number = 0
        for segment in body.segments:
            lead = {
                "autocommit": ["autocommit block: the statements below run outside any "
                               "transaction (as every statement here does)"],
                "break": ["commit(): every statement here commits on its own; nothing to add"],
            }.get(segment.kind, [])
            for statement in segment.statements:
                comments = [*lead, *statement.comments]
                lead = []
                if statement.sql:
                    number += 1
                    comments.insert(0, f"step {number} of {total} ({label})")
                self.statements.append(replace(statement, comments=comments,
                                               file_only=False))
            if lead:
                self.add("", *lead)
        self.add(self.dialect.begin(),
                 f"step {total} of {total} ({label}): the version rows, in one transaction")
        self.in_transaction = True
        self.version_rows(step)
        self.commit()

    def finish(self) -> list[Statement]:
        self.commit()
        if self.locked:
            self._add_lock_part(self.dialect.unlock(self.table))
            self.locked = False
        return self.statements
