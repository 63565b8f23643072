"""What every target dialect provides: SQLAlchemy dialect, framing, guard and capabilities."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.base import DialectKWArgs
from sqlalchemy.sql.compiler import DDLCompiler, IdentifierPreparer, SQLCompiler

from sqlcompile.dialects.comparing import Comparing

if TYPE_CHECKING:
    from sqlcompile.dialects.render import RenderContext
    from sqlcompile.ops.base import Op, Recorded
    from sqlcompile.schema.model import EnumModel, Schema, TableModel


def printable(text: str, limit: int | None = None) -> str:
    """``text`` quoted for a message, with control characters and lone surrogates as escapes
    (so a message never carries them), cut to ``limit`` characters."""
    shown = text if limit is None or len(text) <= limit else text[:limit] + "..."
    return repr(shown)


def _checked_preparer(base: type[IdentifierPreparer],
                      support: DialectSupport) -> type[IdentifierPreparer]:
    """A subclass of the dialect's identifier preparer that checks every name it quotes
    (once per name) and raises :class:`RefusedValue` for one the database cannot hold."""
    from sqlcompile.errors import RefusedValue

    # Where the dialect keeps SQLAlchemy's quote(), a plain name checked and quoted before
    # is answered from its memo (what that quote() itself returns for it).
    plain = base.quote is IdentifierPreparer.quote

    class Checked(base):  # type: ignore[valid-type,misc]
        _checked: set[str] = set()

        def quote(self, ident: str) -> str:
            if plain and ident in self._checked and getattr(ident, "quote", None) is None:
                found = self._strings.get(ident)
                if found is not None:
                    return str(found)
            if ident not in self._checked:
                problem = support.identifier_problem(ident)
                if problem is not None:
                    raise RefusedValue(problem, hint="rename it for this dialect (names are "
                                       "written as given, and compared as given)")
                self._checked.add(ident)
            return str(super().quote(ident))

        def _requires_quotes(self, value: str) -> bool:
            # SQLAlchemy's legal-characters pattern ends in `$`, which also matches before a
            # final newline: `name\n` would go out unquoted and be read as `name`.
            return "\n" in value or bool(super()._requires_quotes(value))

    Checked.__name__ = f"Checked{base.__name__}"
    return Checked


def _text_values_kept(base: type[SQLCompiler]) -> type[SQLCompiler]:
    """A subclass of the dialect's statement compiler whose ``text()`` keeps its bound values
    as rendered: SQLAlchemy turns ``\\:name`` into ``:name`` after it has put the values in,
    so a value holding a backslash before a colon lost the backslash. Here the values stand
    aside (as NUL-fenced numbers, which no text that compiles holds) until that is done."""

    class TextValuesKept(base):  # type: ignore[valid-type,misc]
        def visit_textclause(self, textclause: Any, add_to_result_map: Any = None,
                             **kw: Any) -> str:
            if "\x00" in textclause.text or not textclause._bindparams:
                return str(super().visit_textclause(textclause, add_to_result_map, **kw))
            values: list[str] = []
            process: Callable[..., Any] = self.process  # type: ignore[has-type]

            def aside(element: Any, **process_kw: Any) -> str:
                # What the value compiles to is compiled as usual (a text() inside it sets
                # its own values aside and puts them back itself).
                del self.process  # type: ignore[has-type]
                try:
                    values.append(str(process(element, **process_kw)))
                finally:
                    self.process = aside
                return f"\x00{len(values) - 1}\x00"

            self.process = aside
            try:
                text = str(super().visit_textclause(textclause, add_to_result_map, **kw))
            finally:
                del self.process
            return re.sub("\x00([0-9]+)\x00", lambda m: values[int(m.group(1))], text)

    TextValuesKept.__name__ = f"TextValuesKept{base.__name__}"
    return TextValuesKept


@dataclass(frozen=True)
class FrameSQL:
    """What a dialect adds around each transaction of a migration, as (sql, comment) pairs:
    before its BEGIN, before its COMMIT, and after its COMMIT."""

    before_begin: tuple[tuple[str, str], ...] = ()
    before_commit: tuple[tuple[str, str], ...] = ()
    after_commit: tuple[tuple[str, str], ...] = ()


def drop_column_comment_as_empty(element: Any, compiler: DDLCompiler, **kw: Any) -> str:
    """`COMMENT ON COLUMN t.c IS ''`, for dialects where an empty comment removes it (as NULL
    does) and which register it: sqlglot parses this form, not `IS NULL`, so every comment
    removal is validated."""
    column = compiler.preparer.format_column(element.element, use_table=True)
    return f"COMMENT ON COLUMN {column} IS ''"


#: Why a dialect other than PostgreSQL refuses create_exclude_constraint.
NO_EXCLUDE_CONSTRAINTS = "EXCLUDE constraints exist only in PostgreSQL; {dialect.title} has none"

#: How a guard's message ends where its failure rolls everything back.
NOTHING_CHANGED = "nothing was changed"


@dataclass(frozen=True)
class GuardParts:
    """The SQL pieces of a guard, for ``expected`` rows in the version table.

    ``source`` selects one row over the version table (alias it ``g``): ``n`` rows, ``m`` of
    them expected, and ``found``, their list; ``differs`` is true on that row when the table
    does not hold exactly the expected rows; ``message`` is the error text naming both
    (``prefix`` + found + ``suffix``, joined by :meth:`DialectSupport.concat`).
    """

    prefix: str
    suffix: str
    matched: str
    found: str
    count: int
    source: str
    differs: str
    message: str


class DialectSupport(Comparing):
    """Base of the per-dialect modules; a dialect overrides only what differs.

    Class attributes are flags read by the planner and the writer; methods return SQL text
    built with SQLAlchemy's compiler for the dialect (literals are rendered by its literal
    renderer, never by hand).
    """

    name: ClassVar[str]
    #: sqlglot's name for the dialect, used by validation.
    sqlglot_name: ClassVar[str]
    #: The server's own parser that validation trusts over sqlglot (a name in
    #: pipeline/validate.py's SERVER_PARSERS), or None where sqlglot decides.
    server_parser: ClassVar[str | None] = None
    #: DDL can be rolled back, so guard + DDL + version update form one transaction.
    transactional_ddl: ClassVar[bool] = True
    #: Comments and tables can carry comments (COMMENT ON ...).
    supports_comments: ClassVar[bool] = True
    #: The schema unqualified names live in, where it does not depend on the connection
    #: (None: it is the connected database or user); offline schema reads answer with it.
    default_schema: ClassVar[str | None] = None
    #: Command line a DBA uses to apply a file; ``{file}`` is replaced by the file name.
    apply_command: ClassVar[str]
    #: Human name used in messages.
    title: ClassVar[str]
    #: Dialect-option prefixes that also apply to this target, as {prefix: this target's
    #: prefix} (MariaDB takes MySQL's `mysql_length=`, `mysql_engine=` ...; SQLAlchemy's MariaDB
    #: compiler reads only `mariadb_*`).
    option_aliases: ClassVar[dict[str, str]] = {}
    #: A line that ends a batch for the dialect's client (sqlcmd's `GO`), written after every
    #: statement; None when statements are only terminated by `;`.
    batch_separator: ClassVar[str | None] = None

    #: The longest name the database keeps as written, and in what it counts ("bytes" of
    #: UTF-8 or "characters"); None where names have no practical limit.
    identifier_limit: ClassVar[tuple[int, str] | None] = None
    #: Names may only hold characters of the Basic Multilingual Plane (no 4-byte UTF-8).
    identifier_bmp_only: ClassVar[bool] = False
    #: Why a CR in a name would not reach the database as written (the client drops it before
    #: a line feed), when it would not; None when the documented client keeps it.
    identifier_cr_lost: ClassVar[str | None] = None

    @cached_property
    def sa_dialect(self) -> Dialect:
        """The SQLAlchemy dialect the compilers run with (named paramstyle, offline); every
        name it quotes is first checked against :meth:`identifier_problem`."""
        dialect = self.make_sa_dialect()
        preparer = dialect.identifier_preparer
        # The instance keeps what its dialect set on it (MariaDB's reserved words, say);
        # only its class changes, to one that checks before quoting.
        preparer.__class__ = _checked_preparer(type(preparer), self)
        dialect.statement_compiler = _text_values_kept(dialect.statement_compiler)
        return dialect

    def make_sa_dialect(self) -> Dialect:
        raise NotImplementedError

    def nul_refusal(self) -> str:
        """Why a NUL that reached the SQL text is refused (literals the dialect's compiler
        escapes never get that far)."""
        return (f"sqlcompile writes no NUL into {self.title} files: the client's reading of "
                "one is untested here, and most clients end a line at a NUL")

    def identifier_problem(self, name: str) -> str | None:
        """Why the database cannot hold ``name`` as written (None when it can): a NUL or a
        character that is no valid UTF-8 anywhere, a name over the dialect's limit, a 4-byte
        character where names hold only 3-byte ones."""
        shown = printable(name, 80)
        for i, char in enumerate(name, 1):
            if char == "\x00":
                return (f"the name {shown} holds a NUL character (character {i}); no database "
                        "client reads it back")
            if "\ud800" <= char <= "\udfff":
                return (f"the name {shown} holds a lone surrogate U+{ord(char):04X} (character "
                        f"{i}), which is not text and cannot be written as UTF-8")
            if char == "\r" and self.identifier_cr_lost is not None:
                return (f"the name {shown} holds a CR (character {i}); {self.identifier_cr_lost}")
            if self.identifier_bmp_only and ord(char) > 0xFFFF:
                return (f"the name {shown} holds U+{ord(char):X} (character {i}): {self.title} "
                        "names have no 4-byte characters")
        if self.identifier_limit is not None:
            limit, unit = self.identifier_limit
            size = len(name.encode("utf-8")) if unit == "bytes" else len(name)
            if size > limit:
                return (f"the name {shown} is {size} {unit} long; {self.title} keeps at most "
                        f"{limit} {unit} (it would refuse or shorten it)")
        return None

    @cached_property
    def _literal_compiler(self) -> SQLCompiler:
        compiler: SQLCompiler = self.sa_dialect.statement_compiler(self.sa_dialect, None)
        return compiler

    def render_string(self, value: str) -> str:
        """An SQL string literal for ``value``, as the dialect's compiler renders it."""
        cached = self._literals.get(value)
        if cached is None:
            cached = self._literal_compiler.render_literal_value(value, self._string_type)
            self._literals[value] = cached
        return cached

    @cached_property
    def _literals(self) -> dict[str, str]:
        return {}

    @cached_property
    def _string_type(self) -> sa.String:
        # One String for every literal: SQLAlchemy keeps a type's literal processor per
        # dialect on the type object, so a new one per value would build it each time.
        return sa.String()

    @cached_property
    def _ddl_compiler(self) -> DDLCompiler:
        return self.sa_dialect.ddl_compiler(self.sa_dialect, None)  # type: ignore[arg-type]

    def default_sql(self, column: sa.Column[Any]) -> str:
        """The column's server default as this dialect's DDL renders it."""
        return str(self._ddl_compiler.get_column_default_string(column))

    def quote_table(self, table: sa.Table) -> str:
        """The table name, schema-qualified and quoted as the dialect requires."""
        return self.sa_dialect.identifier_preparer.format_table(table)

    def project_url(self, url: sa.URL, root: Path) -> sa.URL:
        """The dev-loop URL with any project-relative part resolved against ``root``."""
        return url

    def session_setup(self) -> list[str]:
        """Statements at the top of every file that make literals read back exactly."""
        return []

    #: The dev loop takes the migration lock too (False where the lock lasts as long as the
    #: connection, which the dev loop's pool keeps open).
    dev_loop_locks: ClassVar[bool] = True

    def client_setup(self, lock_timeout: int) -> list[str]:
        """Commands to the client program at the top of every file, before any SQL: stop at
        the first error even when the apply command forgot its flag (psql's ON_ERROR_STOP,
        sqlite3's -bail), wait for locks. Not SQL: validation lists them as client
        directives and the dev loop skips them."""
        return []

    def lock(self, table: sa.Table, timeout: int) -> list[tuple[str, str]]:
        """(statement, comment) pairs taking the migration lock before the first guard, held
        until :meth:`unlock` (or the session's end): a second apply of the same database waits
        up to ``timeout`` seconds, then stops before changing anything."""
        return []

    def unlock(self, table: sa.Table) -> list[tuple[str, str]]:
        """(statement, comment) pairs releasing what :meth:`lock` took, at the end of a file."""
        return []

    def lock_resource(self, table: sa.Table) -> str:
        """The name two applies of the same version table lock: the table, with its schema
        where one is set (dialects add the database where locks are server-wide)."""
        return f"sqlcompile:{table.schema + '.' if table.schema else ''}{table.name}"

    def lock_failed(self, table: sa.Table, timeout: int) -> str:
        """The message of a file that could not take the lock."""
        return (f"sqlcompile lock: another apply holds the migration lock of {table.name} "
                f"(waited {timeout} s); nothing was changed")

    def begin(self) -> str:
        return "BEGIN"

    def commit(self) -> str:
        return "COMMIT"

    def raise_error(self, message_sql: str) -> str:
        """An expression that aborts the statement with ``message_sql`` in the error text."""
        raise NotImplementedError

    def refusal(self, message: str) -> str:
        """A statement that always aborts, quoting ``message`` in its error, as a failed
        guard does (the first statement of an irreversible migration)."""
        return f"SELECT {self.raise_error(self.render_string(message))}"

    def string_agg(self, column: str, separator_sql: str) -> str:
        """Aggregate expression joining ``column`` values with a separator."""
        raise NotImplementedError

    def concat(self, *parts: str) -> str:
        """SQL joining string expressions."""
        return " || ".join(parts)

    def guard_parts(self, table: sa.Table, expected: Sequence[str], label: str,
                    outcome: str = NOTHING_CHANGED) -> GuardParts:
        """What every dialect's guard is made of (see :class:`GuardParts`); ``outcome`` ends
        the message: what a failure leaves."""
        column = self.sa_dialect.identifier_preparer.quote("version_num")
        expected_text = ", ".join(expected) if expected else "no revision (empty)"
        prefix = self.render_string(
            f"sqlcompile guard: {label} expects the version table to hold "
            f"[{expected_text}] but found ["
        )
        suffix = self.render_string(f"]; {outcome}")
        matched = "0"
        if expected:
            listed = ", ".join(self.render_string(rev) for rev in expected)
            matched = f"SUM(CASE WHEN {column} IN ({listed}) THEN 1 ELSE 0 END)"
        count = len(expected)
        found = self.string_agg(column, self.render_string(", "))
        return GuardParts(
            prefix=prefix,
            suffix=suffix,
            matched=matched,
            found=found,
            count=count,
            source=(f"SELECT COUNT(*) AS n, {matched} AS m, {found} AS found "
                    f"FROM {self.quote_table(table)}"),
            differs=f"g.n <> {count} OR COALESCE(g.m, 0) <> {count}",
            message=self.concat(prefix, "COALESCE(g.found, '')", suffix),
        )

    def guard(self, table: sa.Table, expected: Sequence[str], label: str,
              outcome: str = NOTHING_CHANGED) -> str:
        """A statement that fails unless the version table holds exactly ``expected``.

        It selects one row only when the table differs, and that row evaluates
        :meth:`raise_error` with a message naming the expected and the found revisions.
        """
        p = self.guard_parts(table, expected, label, outcome)
        return (f"SELECT {self.raise_error(p.message)} FROM ({p.source}) AS g "
                f"WHERE {p.differs}")

    def enum_ddl(self, enum: EnumModel) -> list[Any]:
        """DDL elements creating a named enum type (for dialects that have them)."""
        return []

    def terminate(self, sql: str) -> str:
        """The statement as a file holds it: with its `;` (on a line of its own when the last
        line ends in a comment), then the batch separator line if the dialect has one."""
        if self.directive_prefix is not None and sql.startswith(self.directive_prefix):
            return sql
        last = sql.rsplit("\n", 1)[-1]
        text = f"{sql}\n;" if "--" in last else f"{sql};"
        return f"{text}\n{self.batch_separator}" if self.batch_separator else text

    def split_batches(self, text: str) -> list[str]:
        """``text`` cut where the dialect's client ends a batch or block (its separator
        lines), before any parsing; the whole text when the client has none."""
        return [text]

    def is_block_start(self, words: list[str]) -> bool:
        """Whether a statement whose first words (upper case) are ``words`` is a procedural
        block that runs to the end of its batch (its inner `;` do not end it)."""
        return False

    def name_defaults(self, table: TableModel) -> TableModel:
        """``table`` with a name on every server default, where the dialect's defaults are
        named constraints (the schema model keeps the name the DDL gave them)."""
        return table

    def name_constraints(self, table: TableModel, schema: Schema) -> TableModel:
        """``table`` (about to enter ``schema``) with ``server_name`` set on each constraint
        the script left unnamed and that has none yet: the name this server gives it, where
        the server's rule is known (SQL Server and Oracle give random ones: None)."""
        return table

    #: How the client's own line commands begin (psql `\\`, sqlite3 `.`, sqlcmd `:`): such a
    #: line ends at its end, without `;`, which would become part of its argument.
    directive_prefix: ClassVar[str | None] = None

    def is_client_directive(self, sql: str) -> bool:
        """Whether ``sql`` is a command for the client program (not SQL sent to the server);
        validation lists such statements as unvalidated."""
        return self.directive_prefix is not None and sql.startswith(self.directive_prefix)

    def alias_options(self, element: Any) -> None:
        """Copy the options of ``option_aliases`` prefixes onto this target's prefix, on the
        table, columns, constraints and indexes a DDL element carries (unless already set)."""
        seen: set[int] = set()

        def visit(obj: Any) -> None:
            if obj is None or id(obj) in seen:
                return
            seen.add(id(obj))
            if isinstance(obj, DialectKWArgs):
                given = dict(obj.dialect_kwargs.items())  # only options set ("in" sees defaults)
                for key, value in given.items():
                    prefix, _, option = key.partition("_")
                    target = self.option_aliases.get(prefix)
                    if target and f"{target}_{option}" not in given:
                        obj.dialect_kwargs[f"{target}_{option}"] = value
            if isinstance(obj, sa.Table):
                for child in [*obj.columns, *obj.constraints, *obj.indexes]:
                    visit(child)
            elif isinstance(obj, sa.Column):
                for child in obj.constraints:
                    visit(child)

        for name in ("element", "column", "table"):
            visit(getattr(element, name, None))

    def group_ops(self, recorded: list[Recorded]) -> list[Recorded]:
        """The recorded ops as this dialect compiles them: it may merge consecutive ones into
        one op (SQLite: the ops of one batch_alter_table block into one table rebuild)."""
        return recorded

    def frame_sql(self, framing: Collection[str]) -> FrameSQL:
        """Statements around the transactions of a migration whose ops asked for
        ``framing`` (the Framing names in its Body); nothing by default."""
        return FrameSQL()

    def transaction_note(self) -> str:
        """What file headers say about transactions when DDL is not transactional (implicit
        commits, how to read a failure, how to recover); empty when it is."""
        return ""

    # -- rendering ops ----------------------------------------------------------------------

    #: The column properties ("type", "nullable", "default", "comment") this dialect states
    #: again whenever it alters a column, so that an alter_column's explicit existing_*
    #: argument decides them (MySQL's MODIFY restates every one; SQL Server's ALTER COLUMN the
    #: type and nullability); where it does not, the model's are kept.
    restated_properties: ClassVar[frozenset[str]] = frozenset()
    #: This dialect's own renderers, {op class: function(self, op, ctx) -> elements}, merged
    #: over :data:`sqlcompile.dialects.default.RENDERERS` (a subclass of an op class uses its
    #: nearest base's entry). A dialect lists only the ops it renders differently.
    renderers: ClassVar[Mapping[type[Op], Callable[..., list[Any]]]] = {}
    #: What this dialect cannot express: {op class: {field: why}}. An op whose field is set
    #: (not None, False, empty or Alembic's "unchanged" marker) is refused with the reason,
    #: before any renderer runs; the test of silent drops reads the same table.
    unsupported: ClassVar[Mapping[type[Op], Mapping[str, str]]] = {}
    #: What this dialect cannot do without: {op class: {field: why}}, for fields the schema
    #: model fills in when it knows the object (refused when still unset). In both, ``{op}``
    #: and ``{dialect}`` in a reason are the op and this dialect.
    needs: ClassVar[Mapping[type[Op], Mapping[str, str]]] = {}
    #: Fields the schema model decides at compile time instead of the database at apply time
    #: (a table rebuilt from the model drops a constraint only if the model has it), with why:
    #: the SQL does not show them, and nothing is lost.
    decided_by_model: ClassVar[Mapping[type[Op], Mapping[str, str]]] = {}

    @cached_property
    def renderer_table(self) -> dict[type[Op], Callable[[Any, RenderContext], list[Any]]]:
        """The default renderers with this dialect's own merged over them."""
        from functools import partial

        from sqlcompile.dialects.default import RENDERERS

        table: dict[type[Op], Callable[[Any, RenderContext], list[Any]]] = dict(RENDERERS)
        table.update({kind: partial(fn, self) for kind, fn in self.renderers.items()})
        return table

    def renderer(self, kind: type[Op]) -> Callable[[Any, RenderContext], list[Any]]:
        """The function rendering ops of class ``kind`` (or of its nearest base with one)."""
        found = self._renderers.get(kind)
        if found is None:
            from sqlcompile.dialects.render import by_class

            found = by_class(self.renderer_table, kind)
            if found is None:
                raise KeyError(f"no renderer for {kind.__name__}")
            self._renderers[kind] = found
        return found

    @cached_property
    def _renderers(self) -> dict[type[Op], Callable[[Any, RenderContext], list[Any]]]:
        """:meth:`renderer` per op class, as found (the tables are fixed per class)."""
        return {}

    @staticmethod
    def _declared(table: Mapping[type[Op], Mapping[str, str]], op: Op) -> dict[str, str]:
        out: dict[str, str] = {}
        for base in reversed(type(op).__mro__):
            out.update(table.get(base, {}))
        return out

    @cached_property
    def _declarations(self) -> dict[type[Op], tuple[list[tuple[str, str]],
                                                     list[tuple[str, str]]]]:
        """Per op class: the sorted items of :attr:`unsupported` and :attr:`needs` that apply
        to it (class-level tables: read once per class)."""
        return {}

    def capability_problem(self, op: Op, autocommit: bool) -> str | None:
        """Why this dialect cannot express ``op`` (None when it can): the one check, for
        every dialect, of :attr:`unsupported`, :attr:`needs` and :meth:`value_problem`."""
        declared = self._declarations.get(type(op))
        if declared is None:
            declared = self._declarations[type(op)] = (
                sorted(self._declared(self.unsupported, op).items()),
                sorted(self._declared(self.needs, op).items()))
        unsupported, needs = declared
        for name, why in unsupported:
            if is_set(getattr(op, name)):
                return why.format(op=op, dialect=self)
        for name, why in needs:
            if not is_set(getattr(op, name)):
                return why.format(op=op, dialect=self)
        return self.value_problem(op, autocommit)

    def needs_autocommit(self, op: Op) -> str | None:
        """Why ``op`` cannot run inside a transaction on this dialect (PostgreSQL's
        CONCURRENTLY), when it cannot: the compiler then gives it an autocommit segment of its
        own, as if the script had put it in `op.get_context().autocommit_block()`."""
        return None

    def value_problem(self, op: Op, autocommit: bool) -> str | None:
        """Why this dialect cannot express what ``op``'s values say (a 4-byte character in a
        comment, a deferrable key inside a table definition, an option that needs an
        autocommit block), where a field-level declaration cannot say it; None by default."""
        return None

    def render(self, op: Op, ctx: RenderContext) -> list[Any]:
        """The elements expressing ``op`` for this dialect, after the capability check."""
        problem = self.capability_problem(op, ctx.autocommit)
        if problem:
            raise ctx.fail(op, problem)
        return self.renderer(type(op))(op, ctx)


def is_set(value: Any) -> bool:
    """Whether an op field holds something (not None, False, empty, or the "unchanged"
    marker Alembic uses for server_default / comment, which is False)."""
    if value is None or value is False:
        return False
    if isinstance(value, str | bytes | tuple | list | dict | set | frozenset):
        return len(value) > 0
    return True
