"""Cutting SQL text into statements the way its client runs it: hand-written files and
multi-statement `op.execute()` strings are split here, in the dialects layer, so renderers and
the pipeline cut alike."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlcompile.dialects.base import DialectSupport

_NOT_A_BLOCK = {"TRAN", "TRANSACTION", "DISTRIBUTED", "WORK"}  # BEGIN TRANSACTION etc.
#: What `END` closes in a procedural body (MySQL's `END IF`, `END LOOP`): no BEGIN or CASE.
_END_OF_CONTROL = {"IF", "LOOP", "WHILE", "REPEAT"}


def split_statements(text: str, dialect: DialectSupport) -> list[str]:
    """The statements of ``text`` (without terminators): first the batches its client would
    run (at `GO` or `/` lines), then each batch cut at top-level semicolons (sqlglot's
    tokenizer, so `;` in strings, quoted names, comments and dollar-quoted bodies is text),
    where `;` inside BEGIN/CASE ... END does not count and a procedural block runs to the
    batch end. Raises sqlglot's TokenError for text its tokenizer cannot read."""
    out: list[str] = []
    for batch in dialect.split_batches(text):
        out += split_batch(batch, dialect)
    return out


def split_batch(text: str, dialect: DialectSupport) -> list[str]:
    """The statements of one batch (see :func:`split_statements`)."""
    return split_tokens(text, dialect.sqlglot_name, dialect.is_block_start)


def _no_block(words: list[str]) -> bool:
    return False


def split_tokens(text: str, sqlglot_name: str,
                 is_block_start: Callable[[list[str]], bool] = _no_block) -> list[str]:
    """The statements of one batch of ``text`` in sqlglot's dialect ``sqlglot_name``;
    ``is_block_start(first words)`` says where a procedural block runs to the batch end."""
    import sqlglot

    tokens = sqlglot.Dialect.get_or_raise(sqlglot_name).tokenize(text)
    out: list[str] = []
    start = 0  # offset where the current statement begins
    first = 0  # index of its first token
    depth = 0
    skip = -1  # the CASE of an `END CASE`, which opens nothing
    for i, token in enumerate(tokens):
        if i == skip:
            continue
        following = tokens[i + 1].text.upper() if i + 1 < len(tokens) else ""
        if i == first:
            words = [t.text.upper() for t in tokens[i:i + 4]]
            if is_block_start(words):
                break  # the rest of the batch is one block
        kind = token.token_type
        if kind == sqlglot.TokenType.CASE or (
            kind == sqlglot.TokenType.BEGIN
            and following not in _NOT_A_BLOCK
            and not (i + 1 < len(tokens)
                     and tokens[i + 1].token_type == sqlglot.TokenType.SEMICOLON)
        ):
            depth += 1
        elif kind == sqlglot.TokenType.END and depth and following not in _END_OF_CONTROL:
            depth -= 1
            if following == "CASE":
                skip = i + 1
        elif kind == sqlglot.TokenType.SEMICOLON and depth == 0:
            chunk = text[start:token.start].strip()
            if chunk and i > first:  # (comments alone, or a lone `;`, are no statement)
                out.append(chunk)
            start = token.end + 1
            first = i + 1
    rest = text[start:].strip()
    if rest and first < len(tokens):
        out.append(rest)
    return out


_LEADING_COMMENTS = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.DOTALL)


def without_leading_comments(sql: str) -> str:
    """``sql`` from its first word of SQL on: the blank space, `-- ...` lines and `/* ... */`
    comments before it left out (what a statement is, is read from that word)."""
    return sql[_LEADING_COMMENTS.match(sql).end():]  # type: ignore[union-attr]


#: A `DELIMITER x` line of the mysql client (matched where a line starts outside quotes), and
#: the delimiters a file may use around a statement with `;` inside (one it does not hold).
_DELIMITER_LINE = re.compile(r"[ \t]*DELIMITER[ \t]+(?P<delimiter>\S+)[ \t]*(?=\n|$)",
                             re.IGNORECASE)
DELIMITERS = ("$$", "//", ";;", "$$$", "///", "@@sqlcompile@@")


def at_delimiter_lines(text: str) -> list[str]:
    """``text`` cut as the mysql client reads it: at its `DELIMITER` lines, and under another
    delimiter than `;` after each statement (whose inner `;` are text). Both are seen only
    outside quoted text and comments, as the client sees them."""
    if "delimiter" not in text.lower():
        return [text]
    batches: list[str] = []
    delimiter, start, i, quote, line_start = ";", 0, 0, "", True
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\" and quote != "`":
                i += 2
                continue
            if char == quote:
                quote = ""
        elif line_start and (found := _DELIMITER_LINE.match(text, i)) is not None:
            batches.append(text[start:i])
            delimiter, start, i = found["delimiter"], found.end(), found.end()
            continue
        elif delimiter != ";" and text.startswith(delimiter, i):
            batches.append(text[start:i])
            start = i = i + len(delimiter)
            line_start = False
            continue
        elif char in "'\"`":
            quote = char
        elif text.startswith(("--", "#"), i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = len(text) if end < 0 else end + 2
            continue
        line_start = char == "\n"
        i += 1
    batches.append(text[start:])
    return [batch for batch in batches if batch.strip()]


def inner_semicolon(sql: str, sqlglot_name: str) -> bool:
    """Whether ``sql`` holds a `;` that is not in a string, a quoted name or a comment."""
    import sqlglot

    tokens = sqlglot.Dialect.get_or_raise(sqlglot_name).tokenize(sql)
    return any(t.token_type == sqlglot.TokenType.SEMICOLON for t in tokens)

