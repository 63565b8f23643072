"""A progress bar on standard error for long runs, drawn only on a terminal.

Counts live in shared memory made before any fork, one slot per chunk (see parallel.py), so
a forked worker counts by writing its own slot and only the process that made the bar draws.
Nothing is drawn before ``delay`` seconds, nor in files, pipes, CI logs or a dumb terminal.
"""

from __future__ import annotations

import mmap
import os
import shutil
import sys
import time
from types import TracebackType
from typing import TextIO

#: The least time between two redraws, in seconds.
INTERVAL = 0.1
#: Below this many columns the bar itself is left out (the counts are still shown).
_MIN_BAR = 10


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() not in ("", "0", "false", "no", "off")


def shown_on(stream: TextIO) -> bool:
    """Whether a progress bar may be drawn on ``stream``: a terminal, outside CI (``CI`` set to
    a true value), with a ``TERM`` other than ``dumb``."""
    if _true(os.environ.get("CI")) or os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, OSError, ValueError):  # no isatty, or a closed stream
        return False


class Progress:
    """``label  done/total [====>   ] 61%`` on one line of ``stream`` (standard error), erased
    on close.

    Use it as a context manager around the work, made before :func:`parallel.run_chunks`
    forks, with one slot per chunk; chunk ``i`` calls ``advance(slot=i)`` (a slot is written
    by one process only, so no lock is needed), and ``refresh`` is passed as ``run_chunks``'s
    ``waiting`` so the bar keeps moving while the parent waits for its workers. Only the
    process that made it draws, and only ``delay`` seconds after it was made; when it is not
    shown (see :func:`shown_on`) every method does nothing and nothing is written.
    """

    def __init__(self, label: str, total: int, stream: TextIO | None = None,
                 delay: float = 1.0, slots: int = 1) -> None:
        self.label = label
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = total > 0 and self.stream is not None and shown_on(self.stream)
        self._pid = os.getpid()
        self._next = time.monotonic() + delay  # the earliest time of the next draw
        self._width = 0  # of the line now on the terminal; 0 when none is
        self._memory: mmap.mmap | None = None
        self._counts: memoryview | None = None
        if self.enabled:
            # Anonymous mappings are shared with forked children (MAP_SHARED).
            self._memory = mmap.mmap(-1, 8 * max(1, slots))
            self._counts = memoryview(self._memory).cast("q")

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    @property
    def done(self) -> int:
        """Items counted so far, over every slot (0 when not shown)."""
        return sum(self._counts) if self._counts is not None else 0

    def advance(self, n: int = 1, slot: int = 0) -> None:
        """Count ``n`` more items in ``slot`` (the chunk's index); the drawing process redraws
        when the last draw is old enough."""
        if self._counts is None:
            return
        self._counts[slot] += n
        if os.getpid() == self._pid:
            self.refresh()

    def refresh(self) -> None:
        """Redraw if ``delay`` has passed and the last draw is ``INTERVAL`` old; for
        ``run_chunks(..., waiting=progress.refresh)``. Does nothing in a forked worker."""
        if self._counts is None or not self.enabled or os.getpid() != self._pid:
            return
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + INTERVAL
        line = self.line(self._columns())
        if self._write("\r" + line.ljust(self._width)):  # covering a longer line before
            self._width = len(line)

    def line(self, columns: int) -> str:
        """The bar as text, fitted to ``columns`` (less one, so the terminal never wraps)."""
        total = self.total
        done = min(max(self.done, 0), total)
        percent = done * 100 // total if total else 100
        counts = f"  {done:>{len(str(total))}}/{total} "
        tail = f" {percent:3d}%"
        room = columns - 1 - len(self.label) - len(counts) - len(tail) - 2
        if room < _MIN_BAR:  # no bar; the label is cut before the numbers are
            numbers = f"  {done}/{total}{tail}"
            label = self.label[:max(columns - 1 - len(numbers), 0)]
            return (label + numbers)[:max(columns - 1, 0)]
        filled = room * done // total
        bar = "=" * filled + (">" if filled < room else "") + " " * (room - filled - 1)
        return f"{self.label}{counts}[{bar}]{tail}"

    def close(self) -> None:
        """Erase the line if one was drawn (so what follows starts on a clean line); the
        bar shows nothing after this."""
        if self._counts is None:
            return
        if self._width and os.getpid() == self._pid:
            self._write("\r" + " " * self._width + "\r")
        self._width = 0
        self._counts.release()
        self._counts = None
        if self._memory is not None:
            self._memory.close()  # this process's mapping only: a worker's stays valid
            self._memory = None

    def _columns(self) -> int:
        """The stream's width: COLUMNS, else the terminal's own, else 80 (a terminal that
        says 0, such as a fresh pty, or a stream that has no descriptor)."""
        setting = os.environ.get("COLUMNS", "")
        if setting.isdigit() and int(setting) > 0:
            return int(setting)
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, OSError, ValueError):
            columns = 0
        return columns if columns > 0 else shutil.get_terminal_size((80, 24)).columns

    def _write(self, text: str) -> bool:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # closed or gone: stop drawing, never fail the run
            self.enabled = False
            self._width = 0
            return False
        return True
