"""Running one benchmarked command: a fresh subprocess, measured with `os.wait4`.

Wall time comes from `time.perf_counter` around the process; CPU time (user + system) and peak
RSS from the resource usage `os.wait4` returns for the child (it and the workers it waited for;
`ru_maxrss` is that of the largest single process, in KiB on Linux).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

TIMEOUT_S = 1800


class BenchError(Exception):
    """An untimed preparation step failed."""


@dataclass
class Sample:
    """One timed run: wall and CPU seconds, peak RSS in KiB."""

    wall: float
    cpu: float
    rss_kib: int


@dataclass
class Outcome:
    """How one subprocess ended."""

    code: int
    stderr: str
    sample: Sample


@dataclass
class Command:
    """One benchmarked command, the untimed steps around each run, and its measurements."""

    key: str
    tool: str
    label: str
    argv: list[str]
    cwd: Path
    size: str = "-"
    stdout: Path | None = None
    env: dict[str, str] | None = None
    prepare: Callable[[], None] | None = None
    validate: Callable[[Outcome], str | None] | None = None
    after: Callable[[], None] | None = None
    importtime: bool = False
    samples: list[Sample] = field(default_factory=list)
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    def value(self, metric: str) -> float | None:
        """Median wall or CPU seconds, or max peak RSS in KiB; None without a clean result."""
        if self.error or not self.samples:
            return None
        if metric == "rss":
            return float(max(s.rss_kib for s in self.samples))
        return statistics.median(getattr(s, metric) for s in self.samples)


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The children's environment: ours, minus PYTHONDONTWRITEBYTECODE (both tools may cache
    bytecode, as on a developer's machine), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra or {})
    return env


#: GNU time, which reports a command's own peak RSS (see :func:`execute`); None: not here.
TIME = shutil.which("time", path="/usr/bin:/bin") if os.name == "posix" else None


def execute(argv: list[str], cwd: Path, stdout: Path | None, env: dict[str, str]) -> Outcome:
    """Run `argv` once as a fresh subprocess and measure it (wall, CPU, peak RSS)."""
    timed_out: list[bool] = []
    # A child's ru_maxrss starts at the RSS of the process it was forked (or vforked) from:
    # Linux keeps the old address space's high-water mark across exec. So the command runs
    # under GNU time, small itself, which reports the command's own peak.
    rss_file = tempfile.NamedTemporaryFile(suffix=".rss", delete=False)
    rss_file.close()
    measured = [TIME, "-f", "%M", "-o", rss_file.name, *argv] if TIME else argv
    with open(stdout or os.devnull, "wb") as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(measured, cwd=cwd, stdout=out, stderr=err, env=env)

        def kill() -> None:
            timed_out.append(True)
            proc.kill()

        timer = threading.Timer(TIMEOUT_S, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    if timed_out:
        stderr += f"\ntimed out after {TIMEOUT_S} s"
    peak = usage.ru_maxrss
    try:
        text = Path(rss_file.name).read_text().split()
        if TIME and text and text[-1].isdigit():
            peak = int(text[-1])
    except OSError:
        pass
    finally:
        Path(rss_file.name).unlink(missing_ok=True)
    sample = Sample(wall, usage.ru_utime + usage.ru_stime, peak)
    return Outcome(proc.returncode, stderr, sample)


def import_seconds(stderr: str, module: str = "sqlcompile.cli") -> float:
    """Return the cumulative `-X importtime` figure of `module` (its parents nest in it), in s."""
    rows = [ln.split("|") for ln in stderr.splitlines() if ln.startswith("import time:")]
    # The interpreter may import more modules later (e.g. gc at exit): take the module's own row.
    cumulative = next(int(r[1]) for r in reversed(rows) if r[2].strip() == module)
    return cumulative / 1e6


def stderr_tail(stderr: str, lines: int = 30) -> list[str]:
    """The last lines of a command's standard error, without `-X importtime` rows."""
    kept = [ln for ln in stderr.strip().splitlines() if not ln.startswith("import time:")]
    return kept[-lines:]


def run_command(cmd: Command, timed: bool) -> str:
    """Prepare, run, check and clean up after `cmd` once; keep the sample if `timed`.
    Returns a one-line progress message."""
    if cmd.error:
        return "skipped (failed before)"
    problem: str | None = None
    try:
        if cmd.prepare:
            cmd.prepare()
        outcome = execute(cmd.argv, cmd.cwd, cmd.stdout, cmd.env or child_env())
        if outcome.code != 0:
            problem = "\n".join([f"exit status {outcome.code}", *stderr_tail(outcome.stderr)])
        elif cmd.validate:
            problem = cmd.validate(outcome)
    except (OSError, BenchError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    finally:
        if cmd.after:
            cmd.after()
    if problem:
        cmd.error = problem
        return "FAILED"
    sample = outcome.sample
    if cmd.importtime:
        try:
            sample = Sample(import_seconds(outcome.stderr), sample.cpu, sample.rss_kib)
        except StopIteration:
            cmd.error = "no `import time:` row for sqlcompile.cli"
            return "FAILED"
    if timed:
        cmd.samples.append(sample)
    return f"{sample.wall:.3f} s, CPU {sample.cpu:.3f} s, {sample.rss_kib / 1024:.0f} MiB" + (
        "" if timed else " (warm-up)"
    )


def run_group(name: str, commands: list[Command], warmup: int, repeat: int) -> None:
    """Run the commands interleaved: `warmup` untimed rounds, then `repeat` timed ones."""
    rounds = warmup + repeat
    for index in range(rounds):
        timed = index >= warmup
        for cmd in commands:
            message = run_command(cmd, timed)
            print(f"[{name} {index + 1}/{rounds}] {cmd.label}: {message}", flush=True)
