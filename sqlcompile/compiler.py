"""Running a script for one dialect and direction, and compiling its ops to SQL statements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from sqlcompile.errors import CompileError, ScriptError
from sqlcompile.ops.base import Note, RawSQL, RenderContext
from sqlcompile.ops.data_ops import TransactionBreak

if TYPE_CHECKING:
    from sqlcompile.config import Config
    from sqlcompile.dialects.base import DialectSupport
    from sqlcompile.sources.recorder import Recorded
    from sqlcompile.sources.scripts import Script


@dataclass
class Statement:
    """One SQL statement (without terminator) and the comment lines shown above it.

    ``shape`` groups statements that differ only in string literals rendered by the dialect's
    literal renderer (guards, version rows), so validation parses each shape once.
    An empty ``sql`` is a comment-only entry.
    """

    sql: str
    comments: list[str] = field(default_factory=list)
    shape: str | None = None


@dataclass
class Segment:
    """Consecutive statements run the same way: in the migration's transaction, in an
    autocommit block, or after a `commit()` that starts a new transaction (``kind="break"``)."""

    kind: str  # "transaction" | "autocommit" | "break"
    statements: list[Statement] = field(default_factory=list)


@dataclass
class Body:
    """The compiled upgrade() or downgrade() of one revision for one dialect."""

    segments: list[Segment]
    hand_written: str | None = None  # project-relative path of the SQL file used instead


def compile_element(element: Any, dialect: DialectSupport) -> str:
    """SQL text of one element, straight from SQLAlchemy's compiler for the dialect."""
    if isinstance(element, RawSQL):
        return element.text
    compiled = element.compile(dialect=dialect.sa_dialect, compile_kwargs={"literal_binds": True})
    return str(compiled).strip()


def split_sql(text: str, dialect: DialectSupport) -> list[Statement]:
    """Split an SQL file into statements at top-level semicolons (sqlglot's tokenizer)."""
    import sqlglot

    tokens = sqlglot.Dialect.get_or_raise(dialect.sqlglot_name).tokenize(text)
    out: list[Statement] = []
    start = 0
    for token in tokens:
        if token.token_type == sqlglot.TokenType.SEMICOLON:
            chunk = text[start:token.start].strip()
            if chunk:
                out.append(Statement(chunk))
            start = token.end + 1
    rest = text[start:].strip()
    if rest:
        out.append(Statement(rest))
    return out


def _segments(recorded: list[Recorded], ctx: RenderContext) -> list[Segment]:
    segments: list[Segment] = [Segment("transaction")]
    for item in recorded:
        try:
            _compile_op(item, segments, ctx)
        except CompileError as exc:
            exc.line = exc.line or item.line
            raise
    return [s for s in segments if s.statements or s.kind == "break"]


def _compile_op(item: Recorded, segments: list[Segment], ctx: RenderContext) -> None:
    """Compile one recorded op into the current segment (opening a new one if needed)."""
    op = item.op
    if isinstance(op, TransactionBreak):
        segments.append(Segment("break"))
        return
    kind = "autocommit" if item.autocommit else "transaction"
    current = segments[-1]
    if (current.kind == "autocommit") != item.autocommit:
        current = Segment(kind)
        segments.append(current)
    reason = ctx.dialect.unsupported_reason(op, item.autocommit)
    if reason:
        raise ctx.fail(op, reason)
    try:
        elements = op.elements(ctx)
        comments: list[str] = [op.describe()]  # the op is named above its first statement
        for element in elements:
            if isinstance(element, Note):
                comments.append(element.text)
                continue
            current.statements.append(
                Statement(compile_element(element, ctx.dialect), comments)
            )
            comments = []
        if comments:
            current.statements.append(Statement("", comments))
    except (sa.exc.SQLAlchemyError, KeyError, TypeError, ValueError) as exc:
        raise ctx.fail(op, f"{type(exc).__name__}: {exc}") from None


def compile_body(
    script: Script, direction: str, dialect: DialectSupport, config: Config
) -> Body:
    """Run the script's ``direction`` function for ``dialect`` and compile what it recorded.

    A hand-written `<script_location>/sql/<dialect>/<revision>.<direction>.sql` replaces running
    the script.
    """
    from sqlcompile.sources.proxy import alembic_compat, configured, recording
    from sqlcompile.sources.recorder import Recorder
    from sqlcompile.sources.scripts import script_error_from

    hand_written = config.hand_written_sql(dialect.name, script.revision, direction)
    if hand_written.is_file():
        rel = hand_written.relative_to(config.root).as_posix()
        # Decode bytes as they are: read_text() would turn CRLF inside literals into LF.
        from sqlglot.errors import SqlglotError

        try:
            statements = split_sql(hand_written.read_bytes().decode("utf-8"), dialect)
        except (UnicodeDecodeError, SqlglotError) as exc:
            raise ScriptError(f"cannot split the hand-written SQL into statements: {exc}",
                              path=rel) from None
        for statement in statements:
            statement.comments = [f"hand-written: {rel}"]
        return Body([Segment("transaction", statements)], hand_written=rel)

    recorder = Recorder(dialect, config, script.path, script.rel_path,
                        hand_written.relative_to(config.root))
    function = script.function(direction)
    try:
        with alembic_compat(), configured(config), recording(recorder):
            function()
    except Exception as exc:
        raise script_error_from(exc, script.rel_path, script.path, f"{direction}()") from None
    where = f"revision {script.revision} ({direction})"
    try:
        ctx = RenderContext(dialect, where, recorder.hand_written_hint.as_posix())
        return Body(_segments(recorder.ops, ctx))
    except CompileError as exc:
        exc.path = exc.path or script.rel_path
        raise
