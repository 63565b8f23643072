"""What a script prints while its upgrade()/downgrade() is recorded: comments in its file.

Alembic's `upgrade --sql` writes what a script prints into the SQL stream (its documentation
suggests `print()`-ing what to do by hand under `context.is_offline_mode()`), so the DBA sees
it. sqlcompile keeps every line a migration function writes to ``sys.stdout`` as a
:class:`~sqlcompile.ops.data_ops.Printed` op, in order with the ops, and still echoes it where
standard output goes while user code runs (standard error; see
:func:`~sqlcompile.sources.scripts.user_code`). What a script prints when it is loaded
(module level) is only echoed.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO

from sqlcompile.ops.base import Recorded
from sqlcompile.ops.data_ops import Printed
from sqlcompile.sources.connection import script_line

if TYPE_CHECKING:
    from sqlcompile.sources.recorder import Recorder


class PrintedLines(io.TextIOBase):
    """``sys.stdout`` while a script function is recorded: text goes on to ``echo`` and each
    line becomes a Printed op where the line began. A line begun inside a batch_alter_table
    block is placed after the block (whose ops a dialect may merge into one table rebuild)."""

    def __init__(self, recorder: Recorder, echo: TextIO) -> None:
        super().__init__()
        self._recorder = recorder
        self._echo = echo
        self._open: Recorded | None = None  # the line written so far, awaiting its line feed
        self._text = ""  # that line's text
        self._held: list[Recorded] = []  # lines begun inside a batch block, until it ends
        self.count = 0
        self.first_line: int | None = None

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._echo, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self._echo, "errors", None)

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        """What else a script asks of standard output (its binary ``buffer``, say) is the
        echo's: bytes written there are echoed only."""
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._echo, name)

    def fileno(self) -> int:
        return self._echo.fileno()

    def flush(self) -> None:
        self._echo.flush()

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._echo.write(text)
        *ended, rest = text.split("\n")
        for part in ended:
            self._add(part)
            self._open = None
        if rest:
            self._add(rest)
        return len(text)

    def _add(self, part: str) -> None:
        if self._open is not None:
            self._text += part
            self._open.op = Printed(self._text)
            return
        recorder = self._recorder
        line = script_line(recorder.path)
        self._open, self._text = Recorded(Printed(part), recorder.autocommit, line), part
        (self._held if recorder.batch is not None else recorder.ops).append(self._open)
        self.count += 1
        if self.first_line is None:
            self.first_line = line

    def block_ended(self) -> None:
        """The batch_alter_table block ended: the lines printed inside it follow its ops."""
        self._recorder.ops.extend(self._held)
        self._held = []

    def warning(self) -> str | None:
        """The compile warning for what was printed, if anything was."""
        if not self.count:
            return None
        where = f"{self._recorder.rel_path}:{self.first_line}" if self.first_line \
            else self._recorder.rel_path
        return (f"{where}: the script printed {self.count} line(s) while compiling; they are "
                "comments in the file, not statements: check whether they ask for something "
                "done by hand")


@contextlib.contextmanager
def printed_lines(recorder: Recorder) -> Iterator[PrintedLines]:
    """Record what the script function run inside the block prints (inside
    :func:`~sqlcompile.sources.scripts.user_code`, whose standard output is the echo)."""
    previous = sys.stdout
    tee = PrintedLines(recorder, previous)
    sys.stdout = tee
    recorder.printed = tee
    try:
        yield tee
    finally:
        sys.stdout = previous
        recorder.printed = None
        tee.block_ended()
        found = tee.warning()
        if found is not None:
            recorder.warnings.append(found)
