"""The progress bar: drawn on a terminal only, after its delay, erased on close, and counting
work done in forked workers."""

from __future__ import annotations

import io
import itertools
import os
import time

import pytest

from sqlcompile import parallel
from sqlcompile.progress import Progress, shown_on


class FakeTerminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def interactive(monkeypatch: pytest.MonkeyPatch) -> None:
    """A terminal session outside CI, 60 columns wide (the suite itself runs with CI=true)."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "60")


def screen(written: str) -> str:
    """What the terminal line shows at the end: each `\\r` goes back to its first column."""
    line: list[str] = []
    column = 0
    for char in written:
        if char == "\r":
            column = 0
            continue
        if column < len(line):
            line[column] = char
        else:
            line.append(char)
        column += 1
    return "".join(line)


def draws(written: str) -> list[str]:
    return [part for part in written.split("\r") if part.strip()]


def test_not_shown_on_a_file() -> None:
    stream = io.StringIO()
    assert not shown_on(stream)
    with Progress("render postgresql", 10, stream=stream, delay=0) as progress:
        for _ in range(10):
            progress.advance()
        progress.refresh()
    assert not progress.enabled
    assert progress.done == 0  # nothing counted either: it costs nothing
    assert stream.getvalue() == ""


def test_not_shown_on_a_pipe() -> None:
    read, write = os.pipe()
    with open(write, "w", encoding="utf-8") as stream:
        assert not shown_on(stream)
        with Progress("render postgresql", 10, stream=stream, delay=0) as progress:
            progress.advance(10)
            progress.refresh()
    with open(read, "rb") as reader:
        assert reader.read() == b""


def test_shown_on_a_real_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS")  # a fresh pty says 0 columns: 80 are assumed
    master, slave = os.openpty()
    try:
        with open(slave, "w", encoding="utf-8") as stream:
            assert shown_on(stream)
            with Progress("check", 2, stream=stream, delay=0) as progress:
                progress.advance()
        written = os.read(master, 4096).decode()
    finally:
        os.close(master)
    assert written.startswith("\rcheck  1/2 [") and len(screen(written.split("\r")[1])) == 79
    assert screen(written).strip() == ""


@pytest.mark.parametrize("name, value", [("CI", "true"), ("CI", "1"), ("TERM", "dumb")])
def test_not_shown_in_ci_or_on_a_dumb_terminal(monkeypatch: pytest.MonkeyPatch, name: str,
                                               value: str) -> None:
    monkeypatch.setenv(name, value)
    stream = FakeTerminal()
    with Progress("render sqlite", 5, stream=stream, delay=0) as progress:
        progress.advance(5)
        progress.refresh()
    assert stream.getvalue() == ""


@pytest.mark.parametrize("value", ["", "0", "false"])
def test_ci_set_to_false_still_shows_it(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    assert shown_on(FakeTerminal())


def test_drawn_on_a_terminal_and_erased_on_close() -> None:
    stream = FakeTerminal()
    with Progress("render postgresql", 2000, stream=stream, delay=0) as progress:
        progress.advance(1234)
        drawn = stream.getvalue()
        assert drawn.startswith("\r")
        assert screen(drawn) == "render postgresql  1234/2000 [==============>        ]  61%"
        assert len(screen(drawn)) == 59  # 60 columns, less one
    written = stream.getvalue()
    assert written.endswith("\r")
    assert screen(written).strip() == ""  # nothing left on the line for what follows
    assert written[len(drawn):] == "\r" + " " * len(screen(drawn)) + "\r"


def test_fitted_to_the_terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    for columns in (120, 60, 45):
        monkeypatch.setenv("COLUMNS", str(columns))
        stream = FakeTerminal()
        with Progress("autogenerate mysql", 7, stream=stream, delay=0) as progress:
            progress.advance(7)
            line = screen(stream.getvalue())
        assert len(line) == columns - 1  # never the last column: no terminal wraps it
        assert line.startswith("autogenerate mysql  7/7 [") and line.endswith("] 100%")
    narrow = Progress("render postgresql", 2000, delay=0)
    assert narrow.line(30) == "render postgresq  0/2000   0%"  # no bar; the label is cut first
    assert len(narrow.line(30)) <= 29
    assert narrow.line(12) == "  0/2000   0"[:11]
    assert narrow.line(0) == ""


def test_nothing_before_the_delay() -> None:
    stream = FakeTerminal()
    with Progress("render postgresql", 100, stream=stream, delay=60) as progress:
        for _ in range(100):
            progress.advance()
        progress.refresh()
    assert stream.getvalue() == ""  # a run shorter than the delay shows nothing at all


def test_shown_once_the_delay_passed() -> None:
    stream = FakeTerminal()
    with Progress("check", 10, stream=stream, delay=0.2) as progress:
        progress.advance()
        assert stream.getvalue() == ""
        time.sleep(0.25)
        progress.advance()
        assert "2/10" in screen(stream.getvalue())


def test_redrawn_at_most_every_interval() -> None:
    stream = FakeTerminal()
    with Progress("render sqlite", 1000, stream=stream, delay=0) as progress:
        for _ in range(1000):
            progress.advance()
        assert len(draws(stream.getvalue())) == 1  # the first advance drew; the rest were early
        time.sleep(0.15)
        progress.refresh()
        assert len(draws(stream.getvalue())) == 2
        assert "1000/1000" in screen(stream.getvalue())


def test_a_shorter_line_covers_the_longer_one() -> None:
    stream = FakeTerminal()
    progress = Progress("render", 10, stream=stream, delay=0)
    stream.write("\r" + "x" * 59)  # as if a longer line had been drawn
    progress._width = 59
    progress._next = 0
    progress.refresh()
    assert "x" not in screen(stream.getvalue())
    progress.close()
    assert screen(stream.getvalue()).strip() == ""


def test_a_closed_stream_stops_the_bar_and_not_the_run() -> None:
    stream = FakeTerminal()
    with Progress("render", 10, stream=stream, delay=0) as progress:
        stream.close()
        progress.advance()  # a write to a closed stream raises ValueError: swallowed
        assert not progress.enabled
        progress.advance()


def test_close_twice_and_advance_after_close() -> None:
    stream = FakeTerminal()
    progress = Progress("render", 3, stream=stream, delay=0)
    progress.advance()
    progress.close()
    after = stream.getvalue()
    progress.close()
    progress.advance()
    progress.refresh()
    assert stream.getvalue() == after


def test_counts_from_a_forked_worker_reach_the_parent() -> None:
    stream = FakeTerminal()
    with Progress("render postgresql", 10, stream=stream, delay=0, slots=2) as progress:

        def work(index: int) -> tuple[int, int]:
            if index == 0:
                progress.advance(4, slot=0)
                return 0, 0
            before = len(stream.getvalue())  # the worker's copy of the stream
            progress.advance(6, slot=1)
            progress.refresh()
            return before, len(stream.getvalue())

        results = parallel.run_chunks(work, 2, waiting=progress.refresh)
        assert progress.done == 10
        assert results[1][0] == results[1][1]  # the worker counted but never drew
        time.sleep(0.15)
        progress.refresh()
        assert "10/10" in screen(stream.getvalue())
    assert screen(stream.getvalue()).strip() == ""


def test_the_bar_moves_while_the_parent_waits_for_its_workers() -> None:
    stream = FakeTerminal()
    with Progress("render mysql", 4, stream=stream, delay=0, slots=2) as progress:

        def work(index: int) -> int:
            if index == 1:
                progress.advance(3, slot=1)
                time.sleep(0.6)  # the parent's chunk is long done: it waits, drawing
                progress.advance(1, slot=1)
            return index

        assert parallel.run_chunks(work, 2, waiting=progress.refresh) == [0, 1]
        assert any("3/4" in part for part in draws(stream.getvalue()))


def test_waiting_is_called_while_the_parent_waits() -> None:
    calls: list[float] = []

    def work(index: int) -> int:
        if index:
            time.sleep(0.5)
        return index * 10

    start = time.monotonic()
    assert parallel.run_chunks(work, 3, waiting=lambda: calls.append(time.monotonic())) \
        == [0, 10, 20]
    assert len(calls) >= 3
    assert all(b - a >= 0.09 for a, b in itertools.pairwise(calls))  # about every 0.1 s
    assert calls[-1] - start < 5


def test_waiting_changes_nothing_else() -> None:
    def work(index: int) -> str:
        if index == 2:
            raise ValueError("chunk two")
        return str(index)

    assert parallel.run_chunks(lambda i: i * i, 4, waiting=lambda: None) == [0, 1, 4, 9]
    assert parallel.run_chunks(lambda i: i, 1, waiting=lambda: None) == [0]
    with pytest.raises(ValueError, match="chunk two"):
        parallel.run_chunks(work, 3, waiting=lambda: None)
