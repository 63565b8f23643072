"""Running a script for one dialect and direction, and compiling its ops to SQL statements."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from sqlcompile.dialects.base import printable
from sqlcompile.dialects.render import Framing, Note, RawSQL, RenderContext
from sqlcompile.dialects.splitting import split_statements, without_leading_comments
from sqlcompile.errors import (
    CompileError,
    RefusedValue,
    ScriptError,
    SqlcompileError,
    one_line,
)
from sqlcompile.ops.base import Op
from sqlcompile.ops.data_ops import Printed, TransactionBreak

if TYPE_CHECKING:
    from sqlcompile.config import Config
    from sqlcompile.dialects.base import DialectSupport
    from sqlcompile.ops.base import Recorded
    from sqlcompile.schema.model import Schema
    from sqlcompile.sources.scripts import Script


@dataclass
class Statement:
    """One SQL statement (without terminator) and the comment lines shown above it.

    ``shape`` groups statements that differ only in string literals rendered by the dialect's
    literal renderer (guards, version rows), so validation parses each shape once.
    An empty ``sql`` is a comment-only entry. ``file_only`` marks what only a file's client
    needs (psql's `\\set`, sqlite3's `.bail`, a lock held until the client exits): the dev
    loop does not send it. ``origin`` is "compiled" (SQLAlchemy's compiler, our renderers) or
    "raw" (SQL text its author wrote: op.execute text, a hand-written file); validation is
    stricter with raw SQL; "printed" marks the comment lines of what a script printed.
    ``source`` and ``line`` say where it comes from (the script and the line of its op, or
    the hand-written file and the statement's first line), for messages about it; framing
    statements have none.
    """

    sql: str
    comments: list[str] = field(default_factory=list)
    shape: str | None = None
    file_only: bool = False
    origin: str = "compiled"
    source: str = ""
    line: int | None = None


@dataclass
class Segment:
    """Consecutive statements run the same way: in the migration's transaction, in an
    autocommit block, or after a `commit()` that starts a new transaction (``kind="break"``)."""

    kind: str  # "transaction" | "autocommit" | "break"
    statements: list[Statement] = field(default_factory=list)


@dataclass(frozen=True)
class Irreversible:
    """Why a revision's downgrade cannot be undone: its file is a refusal that aborts before
    any change with ``reason`` (see :func:`record`). ``path``/``line``: where that is said (the
    script's `raise`, the script, or the config file)."""

    reason: str
    path: str
    line: int | None = None


@dataclass
class Body:
    """The compiled upgrade() or downgrade() of one revision for one dialect, or (with
    ``irreversible``, and no segments) the refusal that stands for an irreversible downgrade."""

    segments: list[Segment]
    hand_written: str | None = None  # project-relative path of the SQL file used instead
    #: What the ops asked of the planner (Framing names, sorted), e.g. a pragma set around
    #: the transactions; the dialect's ``frame_sql()`` turns them into statements.
    framing: tuple[str, ...] = ()
    irreversible: Irreversible | None = None
    #: What the author should hear of (e.g. an op moved out of the transaction).
    warnings: tuple[str, ...] = ()


def compile_element(element: Any, dialect: DialectSupport) -> str:
    """SQL text of one element, straight from SQLAlchemy's compiler for the dialect."""
    if isinstance(element, RawSQL):
        return element.text
    if dialect.option_aliases:
        dialect.alias_options(element)
    compiled = element.compile(dialect=dialect.sa_dialect, compile_kwargs={"literal_binds": True})
    return str(compiled).strip()


def split_sql(text: str, dialect: DialectSupport) -> list[Statement]:
    """An SQL file as statements, cut as its client runs it (see
    :func:`~sqlcompile.dialects.splitting.split_statements`), each with the line it starts
    on."""
    out: list[Statement] = []
    at = 0
    for chunk in split_statements(text, dialect):
        found = text.find(chunk, at)
        line = None
        if found >= 0:
            at = found + len(chunk)
            code = found + len(chunk) - len(without_leading_comments(chunk))
            line = text.count("\n", 0, code) + 1  # its first line of SQL, past comments
        out.append(Statement(chunk, line=line))
    return out


def _segments(recorded: list[Recorded], ctx: RenderContext,
              schema: Schema | None) -> list[Segment]:
    """The statements of ``recorded`` in segments; with ``schema`` (the model before them),
    each op is completed from the model, rendered, and applied to it. The recorded ops are
    never changed: completing one makes a new op."""
    segments: list[Segment] = [Segment("transaction")]
    grouped = ctx.dialect.group_ops(recorded)
    for position, item in enumerate(grouped):
        ctx.later = tuple(later.op for later in grouped[position + 1:])
        try:
            op = item.op.completed(schema) if schema is not None else item.op
            autocommit, comments = item.autocommit, [op.describe()]
            moved = None if autocommit else ctx.dialect.needs_autocommit(op)
            if moved is not None:
                autocommit = True
                comments.append(f"{moved}: this op runs in an autocommit segment of its own, "
                                "as in op.get_context().autocommit_block()")
                ctx.warnings.append(f"{op.describe()}{_at(item.line)}: {moved}, so it runs "
                                    "outside the migration's transaction (put it in "
                                    "op.get_context().autocommit_block() to say so)")
            ctx.schema, ctx.autocommit = schema, autocommit
            _compile_op(op, autocommit, segments, ctx, comments, item.line)
            if schema is not None:
                op.apply(schema)
        except CompileError as exc:
            exc.line = exc.line or item.line
            raise
    return [s for s in segments if s.statements or s.kind == "break"]


def _at(line: int | None) -> str:
    return f" (line {line})" if line else ""


def _compile_op(op: Op, autocommit: bool, segments: list[Segment], ctx: RenderContext,
                comments: list[str], line: int | None = None) -> None:
    """Compile one op into the current segment (opening a new one if needed), with
    ``comments`` (its name first) above its first statement; ``line``: the script's line
    of the op."""
    if isinstance(op, TransactionBreak):
        segments.append(Segment("break"))
        return
    kind = "autocommit" if autocommit else "transaction"
    current = segments[-1]
    if (current.kind == "autocommit") != autocommit:
        current = Segment(kind)
        segments.append(current)
    if isinstance(op, Printed):  # comment lines only: consecutive ones make one block
        notes = op_statements(op, ctx, [])[1]
        last = current.statements[-1] if current.statements else None
        if last is not None and last.origin == "printed":
            last.comments += notes
        else:
            current.statements.append(Statement("", notes, origin="printed", line=line))
        return
    statements, comments = op_statements(op, ctx, comments)
    for statement in statements:
        statement.line = line
    current.statements += statements
    if comments:
        current.statements.append(Statement("", comments))


def op_statements(op: Op, ctx: RenderContext, comments: list[str],
                  check: bool = True) -> tuple[list[Statement], list[str]]:
    """``op`` rendered for ``ctx.dialect`` and compiled: its statements, each with the notes
    before it as comments (``comments`` above the first), and the notes after the last one.
    The one render loop: migrations and the schema printer both compile ops here. With
    ``check``, text a file cannot carry is refused (schema.sql, which is for reading and
    holds what the model holds, is not checked)."""
    try:
        return _op_statements(op, ctx, comments, check)
    except RefusedValue as exc:
        raise ctx.fail(op, exc.message, hint=exc.hint) from None
    except sa.exc.SQLAlchemyError as exc:  # SQLAlchemy refuses what the script gave it
        message, hint = sqlalchemy_message(exc, ctx.dialect)
        raise ctx.fail(op, message, hint=hint) from None
    except SqlcompileError:
        raise
    except Exception as exc:
        # The project's own code (a type it defines, say) failing while SQLAlchemy compiles
        # is its error; anything else is a bug of ours and goes up as one.
        from sqlcompile.sources.scripts import user_frame

        where = user_frame(exc)
        if where is None:
            raise
        raise ctx.fail(op, f"the project's code raised {type(exc).__name__}: "
                           f"{_no_address(str(exc))} (at "
                           f"{where})", hint="fix that code, or write this revision's SQL by "
                           f"hand in {ctx.hand_written}") from None


#: A Python object's default repr carries its memory address, different on every run.
_ADDRESS = re.compile(r" object at 0x[0-9a-fA-F]+")
_CANNOT_RENDER = re.compile(
    r"Compiler <[\w.]+ object at 0x[0-9a-fA-F]+> can't render element of type (?P<type>\w+)")


def _no_address(text: str) -> str:
    return _ADDRESS.sub("", text)


def sqlalchemy_message(exc: Exception, dialect: DialectSupport) -> tuple[str, str | None]:
    """(message, hint) for an error SQLAlchemy raised compiling an op, the same on every run:
    a type the dialect's compiler cannot render is said in words, and no message carries an
    object's memory address."""
    text = str(exc)
    found = _CANNOT_RENDER.search(text)
    if found is None:
        return f"{type(exc).__name__}: {_no_address(text)}", None
    type_name = found.group("type")
    said = (f"type {type_name} has no {dialect.title} form (SQLAlchemy's {dialect.name} "
            "compiler cannot render it)")
    return text[:found.start()] + said + _no_address(text[found.end():]), (
        f"give the column a type {dialect.title} has, keeping {type_name} for the dialect "
        f"it belongs to (e.g. sa.Text().with_variant({type_name}(), \"<that dialect>\")), "
        "or branch on op.get_context().dialect.name")


def _op_statements(op: Op, ctx: RenderContext, comments: list[str],
                   check: bool) -> tuple[list[Statement], list[str]]:
    statements: list[Statement] = []
    comments = list(comments)
    for element in ctx.dialect.render(op, ctx):
        if isinstance(element, Note):
            comments.append(element.text)
            continue
        if isinstance(element, Framing):
            ctx.framing.add(element.name)
            continue
        sql = compile_element(element, ctx.dialect)
        if check:
            _check_text(sql, op, ctx)
        raw = isinstance(element, (RawSQL, sa.TextClause))
        statements.append(Statement(sql, comments, origin="raw" if raw else "compiled"))
        comments = []
    return statements, comments


def _check_text(sql: str, op: Op, ctx: RenderContext) -> None:
    """Refuse SQL that a file cannot carry as written: a NUL (the clients stop reading a line
    there, so what follows it on the line would be lost and a later quote could end the
    literal), or a lone surrogate (not text; no UTF-8 for it). The message points at the
    value of the op that brought it in."""
    if "\x00" in sql:
        found, at = _carrier(op, "\x00")
        raise ctx.fail(op, f"{found}holds a NUL character ({at}); "
                           f"{ctx.dialect.nul_refusal()}", hint=(
                           "take the NUL out of the value (binary data belongs in a binary "
                           "column, as bytes), or write this revision's SQL by hand in "
                           f"{ctx.hand_written}"))
    if not sql.isascii():
        try:
            sql.encode("utf-8")
        except UnicodeEncodeError as exc:
            char = exc.object[exc.start]
            found, at = _carrier(op, char)
            raise ctx.fail(op, f"{found}holds a lone surrogate U+{ord(char):04X} ({at}), "
                               "which is not text and has no UTF-8 form", hint=(
                               "a lone surrogate usually comes from decoding bytes wrongly: "
                               "decode them as UTF-8, or store bytes in a binary column")) from None


def _carrier(op: Op, char: str) -> tuple[str, str]:
    """(`<where>: the value '...' `, `character i of n`) for the first string of ``op`` that
    holds ``char``; the statement and "in the compiled SQL" when none does (the text came from
    elsewhere, e.g. a name)."""
    for where, text in op.carried_text():
        if char in text:
            return (f"{where}: the value {printable(text, 60)} ",
                    f"character {text.index(char) + 1} of {len(text)}")
    return "the statement ", "in the compiled SQL"


@dataclass
class Recording:
    """What one script function recorded for a dialect, or the hand-written SQL used instead."""

    script: Script
    direction: str
    ops: list[Recorded] = field(default_factory=list)
    hand_written: Body | None = None
    hand_written_hint: str = ""
    #: The downgrade is irreversible (see :func:`record`): nothing was recorded.
    irreversible: Irreversible | None = None
    #: Why the script could not be run (see :func:`recorded`); compiling it raises this.
    failure: SqlcompileError | None = None
    #: The script read the schema model (``sa.inspect(bind)``, ``checkfirst=True``), so what
    #: it recorded holds only for the model it was given (see :func:`record`).
    reads_model: bool = False
    #: What the author should hear of, found while the script ran (see Recorder.warnings).
    warnings: tuple[str, ...] = ()


def recorded(script: Script, direction: str, dialect: DialectSupport,
             config: Config, model: Schema | None = None) -> Recording:
    """:func:`record`, with a failure (one of our errors) kept in the recording instead of
    raised: compiling it raises the failure again, and replaying it raises it or, keeping
    going, leaves the model as it was, marked incomplete (see :func:`replay`)."""
    try:
        return record(script, direction, dialect, config, model)
    except SqlcompileError as exc:
        return Recording(script, direction, failure=exc)


def record(script: Script, direction: str, dialect: DialectSupport, config: Config,
           model: Schema | None = None) -> Recording:
    """Run the script's ``direction`` function for ``dialect``, recording its ops.

    ``model`` is the schema model before the function runs (the recorder changes it: pass a
    copy); the script's schema reads answer from it, kept current with what it recorded, and
    without it they need a live database.

    A hand-written `<script_location>/sql/<dialect>/<revision>.<direction>.sql` replaces running
    the script. A downgrade is irreversible (a refusal, see :class:`Irreversible`) when the
    config lists the revision in `irreversible`, when the script has no downgrade(), or when
    its downgrade() refuses with an exception of its own (see
    :func:`~sqlcompile.sources.scripts.own_refusal`); a hand-written file still wins.
    """
    from sqlcompile.sources.printing import printed_lines
    from sqlcompile.sources.proxy import alembic_compat, configured, recording
    from sqlcompile.sources.recorder import Recorder
    from sqlcompile.sources.scripts import (
        is_script_failure,
        own_refusal,
        script_error_from,
        user_code,
    )

    hand_written = config.hand_written_sql(dialect.name, script.revision, direction)
    hint = hand_written.relative_to(config.root).as_posix()
    if hand_written.is_file():
        # Decode bytes as they are: read_text() would turn CRLF inside literals into LF.
        from sqlglot.errors import SqlglotError

        try:
            statements = split_sql(hand_written.read_bytes().decode("utf-8"), dialect)
        except (UnicodeDecodeError, SqlglotError) as exc:
            raise ScriptError(f"cannot split the hand-written SQL into statements: {exc}",
                              path=hint) from None
        for statement in statements:
            statement.comments = [f"hand-written: {hint}"]
            statement.origin, statement.source = "raw", hint
        body = Body([Segment("transaction", statements)], hand_written=hint)
        return Recording(script, direction, hand_written=body, hand_written_hint=hint)

    if direction == "downgrade":
        declared = _declared_irreversible(script, config)
        if declared is not None:
            return Recording(script, direction, hand_written_hint=hint, irreversible=declared)
    if script.failure is not None:
        raise script.failure
    if direction == "downgrade" and script.namespace.get("downgrade") is None:
        return Recording(script, direction, hand_written_hint=hint, irreversible=Irreversible(
            "the script has no downgrade()", script.rel_path))
    recorder = Recorder(dialect, config, script.path, script.rel_path, Path(hint), model)
    sql_dialect = script.namespace.get("sql_dialect")
    if sql_dialect is not None and not isinstance(sql_dialect, str):
        raise ScriptError(f"`sql_dialect` must be a dialect name, got {sql_dialect!r}",
                          path=script.rel_path)
    recorder.sql_dialect = sql_dialect
    function = script.function(direction)
    try:
        with alembic_compat(), configured(config), recording(recorder), user_code(), \
                printed_lines(recorder):
            function()
    except BaseException as exc:
        if not is_script_failure(exc):
            raise
        refusal = own_refusal(exc, script.path) if direction == "downgrade" else None
        if refusal is not None:
            return Recording(script, direction, hand_written_hint=hint, irreversible=Irreversible(
                refusal[0], script.rel_path, refusal[1]), reads_model=recorder.tracked.read)
        raise script_error_from(exc, script.rel_path, script.path, f"{direction}()") from None
    _check_names(recorder.ops, script, direction)
    return Recording(script, direction, recorder.ops, hand_written_hint=hint,
                     reads_model=recorder.tracked.read, warnings=tuple(recorder.warnings))


def _declared_irreversible(script: Script, config: Config) -> Irreversible | None:
    """The config's `irreversible` declaration for the script's revision, if it has one."""
    if script.revision not in config.irreversible:
        return None
    where = config.source_name
    return Irreversible(f"declared irreversible in {where} (`irreversible`)", where)


_NAME_FIELDS: dict[type, tuple[str, ...]] = {}


def _check_names(ops: list[Recorded], script: Script, direction: str) -> None:
    """Refuse a name argument that is not a string (`op.drop_table(123)`, a Table given for
    its name): the script called `op` wrongly. A None is left to the op (some take one)."""
    for item in ops:
        kind = type(item.op)
        names = _NAME_FIELDS.get(kind)
        if names is None:
            names = _NAME_FIELDS[kind] = tuple(
                f.name for f in fields(item.op) if f.type in ("str", "str | None")
            ) if is_dataclass(item.op) else ()
        for name in names:
            value = getattr(item.op, name)
            if value is not None and not isinstance(value, str):
                raise ScriptError(
                    f"{direction}() failed: {item.op.op_name}() got {one_line(repr(value))[:60]} "
                    f"({type(value).__name__}) for `{name}`, which must be a string",
                    path=script.rel_path, line=item.line,
                    hint=f"pass the name as a string, e.g. {item.op.op_name}(\"users\", ...)")


#: How the model is marked after a revision that failed to compile (the model before it).
FAILED_TO_COMPILE = "it failed to compile"


def replay(recording: Recording, schema: Schema, keep_going: bool = False) -> None:
    """Apply a recording's changes to the schema model, without compiling SQL.

    A failed recording (or a change the model refuses) raises its error; with
    ``keep_going``, the model is left as it was before the recording, marked incomplete, so
    the revisions after a failed one still compile (from what the model knows) and report.
    """
    if recording.failure is not None:
        if not keep_going:
            raise recording.failure
        schema.mark_incomplete(FAILED_TO_COMPILE)
        return
    if not keep_going:
        _replay(recording, schema)
        return
    before = schema.copy()
    try:
        _replay(recording, schema)
    except SqlcompileError:
        _restore(schema, before)
        schema.mark_incomplete(FAILED_TO_COMPILE)


def follows_a_failure(schema: Schema) -> bool:
    """Whether a revision before ``schema`` failed to compile (see :func:`replay`)."""
    return any(reason.endswith(f": {FAILED_TO_COMPILE}") for reason in schema.incomplete)


def _replay(recording: Recording, schema: Schema) -> None:
    from sqlcompile.sources.raw import apply_sql

    if recording.hand_written is not None:
        for segment in recording.hand_written.segments:
            for statement in segment.statements:
                apply_sql(schema, statement.sql)
        return
    for item in recording.ops:
        try:
            item.op.completed(schema).apply(schema)
        except CompileError as exc:  # the model refuses the op: the script's line
            exc.path = exc.path or recording.script.rel_path
            exc.line = exc.line or item.line
            raise


def _restore(schema: Schema, before: Schema) -> None:
    """Bring ``schema`` back, in place, to ``before`` (a snapshot of it): it takes on a copy's
    state (its maps shared copy-on-write, as :meth:`Schema.copy` shares them), whatever the
    model holds."""
    vars(schema).update(vars(before.copy()))


def compile_recording(recording: Recording, dialect: DialectSupport,
                      schema: Schema | None = None) -> Body:
    """The SQL of a recording; with ``schema`` (the model before it), ops read the model and
    the model is brought forward to after it. A failed recording raises its failure; an
    irreversible one is a body of its own (no statements; the framer writes the refusal)."""
    if recording.failure is not None:
        raise recording.failure
    if recording.irreversible is not None:
        return Body([], irreversible=recording.irreversible)
    if recording.hand_written is not None:
        if schema is not None:
            replay(recording, schema)
        return recording.hand_written
    script = recording.script
    where = f"revision {script.revision} ({recording.direction})"
    try:
        ctx = RenderContext(dialect, where, recording.hand_written_hint)
        segments = _segments(recording.ops, ctx, schema)
        for segment in segments:
            for statement in segment.statements:
                statement.source = script.rel_path
        return Body(segments, framing=tuple(sorted(ctx.framing)),
                    warnings=(*recording.warnings, *ctx.warnings))
    except CompileError as exc:
        exc.path = exc.path or script.rel_path
        raise


def compile_body(
    script: Script, direction: str, dialect: DialectSupport, config: Config,
    schema: Schema | None = None,
) -> Body:
    """Run the script's ``direction`` function for ``dialect`` and compile what it recorded
    (its schema reads answer from a copy of ``schema``)."""
    model = schema.copy() if schema is not None else None
    return compile_recording(record(script, direction, dialect, config, model), dialect, schema)
