"""Forked workers for large histories: chunk i of a job runs in its own process.

The parent runs chunk 0 itself while workers run the rest; results come back in chunk order,
so output never depends on how many processes ran. Work functions are inherited through
fork (never pickled), and must return picklable values.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

#: Below this many items a second process costs more than it saves.
THRESHOLD = 100
#: Seconds between two calls of run_chunks' ``waiting`` while the parent waits.
WAIT_TICK = 0.1

_work: Callable[[int], Any] | None = None


def jobs(items: int) -> int:
    """How many processes to use: SQLCOMPILE_JOBS, else one per core (at most 4)."""
    setting = os.environ.get("SQLCOMPILE_JOBS")
    if setting:
        if not setting.strip().isdigit():
            from sqlcompile.errors import ConfigError

            raise ConfigError(f"SQLCOMPILE_JOBS={setting!r} is not a number of processes",
                              hint="set it to a whole number such as 1 or 2, or unset it")
        return max(1, min(int(setting), items or 1))
    if items < THRESHOLD or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(4, os.cpu_count() or 1, items))


def _worker_start() -> None:
    """A worker's standard output is its parent's (the SQL stream of `render --stdout`):
    point it at standard error, so nothing a worker or the code it runs prints lands there."""
    try:
        os.dup2(2, 1)
    except OSError:
        pass
    sys.stdout = sys.stderr


def _run(index: int) -> Any:
    assert _work is not None
    return _work(index)


def run_chunks(work: Callable[[int], T], count: int,
               waiting: Callable[[], None] | None = None) -> list[T]:
    """``[work(0), ..., work(count - 1)]``, chunks after the first in forked workers.

    ``waiting`` (e.g. a progress bar's ``refresh``) is called about every ``WAIT_TICK``
    seconds while the parent, its own chunk done, waits for the workers'.
    """
    global _work
    if count <= 1:
        return [work(0)] if count == 1 else []
    _work = work
    # Objects alive now are shared with the workers; keeping the collector off them avoids
    # copying their pages into every worker.
    gc.freeze()
    for stream in (sys.stdout, sys.stderr):  # else a worker could write the buffer again
        if stream is not None:
            stream.flush()
    try:
        with multiprocessing.get_context("fork").Pool(count - 1, _worker_start) as pool:
            pending = pool.map_async(_run, range(1, count))
            first = work(0)
            if waiting is not None:
                while not pending.ready():
                    waiting()
                    pending.wait(WAIT_TICK)
            return [first, *pending.get()]
    finally:
        _work = None
        gc.unfreeze()


def split(items: list[T], count: int) -> list[list[T]]:
    """``items`` in ``count`` contiguous, nearly equal chunks."""
    size = -(-len(items) // count) if items else 1
    return [items[i:i + size] for i in range(0, len(items), size)]


def split_staggered(items: list[T], count: int, lead: float, tail: float) -> list[list[T]]:
    """``items`` in ``count`` contiguous chunks of about equal cost, where a chunk also pays
    ``lead`` per item before it (e.g. replaying what precedes it) and the last one ``tail``
    more, both in units of one item's own cost; so earlier chunks are longer."""
    total = len(items)
    if count <= 1 or total <= count:
        return split(items, count) if items else []

    def sizes(budget: float) -> list[int]:
        out: list[int] = []
        start = 0
        for k in range(count):
            cost = budget - lead * start - (tail if k == count - 1 else 0.0)
            size = max(1, int(cost))
            out.append(size)
            start += size
        return out

    low, high = 0.0, total * (1 + lead) + tail
    for _ in range(60):  # bisect the per-chunk budget until the sizes cover every item
        middle = (low + high) / 2
        if sum(sizes(middle)) >= total:
            high = middle
        else:
            low = middle
    chunks: list[list[T]] = []
    start = 0
    for size in sizes(high):
        chunks.append(items[start:start + size])
        start += size
    chunks[-1].extend(items[start:])
    return [c for c in chunks if c]
