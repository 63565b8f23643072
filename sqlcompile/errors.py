"""Errors that carry their exit code and, where known, the file and line at fault."""

from __future__ import annotations

import re
from pathlib import Path

#: What a message or a comment never carries as itself: control characters but tab and line
#: feed, the bidirectional controls and lone surrogates (written as escapes instead).
UNSHOWN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
                     "\u2066-\u2069\ud800-\udfff]")


def _shown_char(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: str) -> str:
    """``text`` with what :data:`UNSHOWN` matches written as an escape: a value or a name
    quoted in a message cannot move the cursor, reorder the line or hide text."""
    return UNSHOWN.sub(_shown_char, text)


def one_line(text: str) -> str:
    """``text`` on one line for a terminal or a `#` comment: what is not printable (line
    breaks, control characters, invisible or bidirectional controls, lone surrogates) as a
    Python-style escape."""
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)


class SqlcompileError(Exception):
    """Base error: a message for the user, an exit code and an optional location.

    The message says what is wrong; ``hint`` says what to do about it.
    """

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.hint = hint

    def location(self) -> str:
        """`file:line: ` prefix, or an empty string when the error has no location."""
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}: " if self.line else f"{self.path}: "

    def __str__(self) -> str:
        text = f"{self.location()}{self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return shown(text)


class ConfigError(SqlcompileError):
    """A configuration key is unknown or has a bad value."""


class ScriptError(SqlcompileError):
    """A migration script cannot be loaded or run."""


class GraphError(SqlcompileError):
    """The revision graph is broken: cycles, duplicates, missing parents, ambiguous heads."""


class CompileError(SqlcompileError):
    """An operation cannot be expressed for the target dialect."""


class RefusedValue(CompileError):
    """A name or a value the target cannot hold, or its client cannot read back as written;
    raised while compiling, and reported with the revision and the op that carried it."""


class LiveDatabaseRequired(ScriptError):
    """A script tried to read from the database, which offline compilation cannot do."""


class Findings(SqlcompileError):
    """Checks found problems (validation failures, stale files, a statement that failed on
    the database): exit code 1. The message is a summary line; without one, the findings were
    printed already and nothing more is."""

    exit_code = 1

    def __init__(self, message: str = "", *, path: Path | str | None = None,
                 line: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, path=path, line=line, hint=hint)


#: Exit code for a bug of ours (an exception that is not a :class:`SqlcompileError`):
#: EX_SOFTWARE of sysexits.h.
EX_SOFTWARE = 70


class WorkerCrash(Exception):
    """A bug (an exception that is not a :class:`SqlcompileError`) in a forked worker, brought
    back to the parent as its type's name, its message and its traceback's text, since the
    exception itself may not pickle; reported as the original would be."""

    def __init__(self, kind: str, message: str, details: str) -> None:
        super().__init__(f"{kind}: {message}" if message else kind)
        self.kind = kind
        self.message = message
        self.details = details
