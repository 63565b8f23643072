"""results.md and scaling.png of `make bench`, from the measurements run.py made.

results.md is written whole on every run, in a fixed layout. The one part written by hand is
the explanation of each missed target: the text between `<!-- why:ID -->` and
`<!-- /why:ID -->` in the existing results.md is kept, verbatim, when it is regenerated.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness import Command
    from run import Case, Settings, Target

HERE = Path(__file__).resolve().parent
PACKAGES = ["sqlcompile", "alembic", "SQLAlchemy", "sqlglot", "sqlglotc", "pglast"]
WHY = re.compile(r"<!-- why:(?P<id>[\w.-]+) -->\n(?P<text>.*?)<!-- /why:(?P=id) -->", re.S)
PLACEHOLDER = (
    "_Why: not explained yet. Write the reason here, between the markers; "
    "`make bench` keeps this text when it rewrites the file._\n"
)


@dataclass
class Results:
    """Everything results.md is written from."""

    meta: dict[str, str]
    cases: list[Case]
    targets: list[Target]
    commands: dict[str, Command]
    settings: Settings


@dataclass
class Verdict:
    """A target's outcome: the ratio, whether it is within the limit, and by how much not."""

    ratio: float | None
    met: bool
    text: str
    over: str = ""


def package_version(name: str) -> str:
    """The installed version of `name`, or `not installed`."""
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def cpu_model() -> str:
    """The `model name` of /proc/cpuinfo (the platform's processor name elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_commit() -> str:
    """The checkout's commit, and whether it has uncommitted changes."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=HERE, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" (with uncommitted changes)" if dirty else "")


def machine(
    started: datetime, load: tuple[float, float, float], settings: Settings, argv: list[str]
) -> dict[str, str]:
    """The facts results.md states about the machine, the software and the run."""
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    runs = f"{settings.warmup} warm-up + {settings.repeat} timed rounds"
    if settings.big > 3000:
        runs += f" ({settings.big_repeat} timed for histories over 3000 revisions)"
    return {
        "Date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "CPU": cpu_model(),
        "Cores": f"{cores}" + ("" if usable == cores else f" ({usable} usable)"),
        "Load average at start": ", ".join(f"{x:.2f}" for x in load),
        "OS": platform.platform(),
        "Python": sys.version.split()[0],
        "Versions": ", ".join(f"{p} {package_version(p)}" for p in PACKAGES),
        "Commit": git_commit(),
        "Runs": runs + ", the commands of one history interleaved",
        "SQLCOMPILE_JOBS": os.environ.get("SQLCOMPILE_JOBS", "unset (sqlcompile's default)"),
        "Command": " ".join(["bench/run.py", *argv]),
    }


def ratio(data: Results, subject: str, reference: str, metric: str) -> float | None:
    """`subject`'s median (max for RSS) over `reference`'s, or None if either failed."""
    ours = data.commands[subject].value(metric)
    theirs = data.commands[reference].value(metric)
    return ours / theirs if ours is not None and theirs else None


def verdict(data: Results, target: Target) -> Verdict:
    """Whether `target` is met, and by how much it is missed."""
    value = ratio(data, target.subject, target.reference, target.metric)
    if value is None:
        failed = [k for k in (target.subject, target.reference) if data.commands[k].error]
        why = "failed: " + ", ".join(data.commands[k].label for k in failed) if failed else ""
        return Verdict(None, False, f"not measured ({why or 'no timed run'})")
    if value <= target.limit:
        return Verdict(value, True, "met")
    reference = data.commands[target.reference].value(target.metric) or 0.0
    subject = data.commands[target.subject].value(target.metric) or 0.0
    excess = subject - target.limit * reference
    over = f"{excess / 1024:.0f} MiB" if target.metric == "rss" else f"{excess:.2f} s"
    percent = (value / target.limit - 1) * 100
    by = f"{percent:.1f}%" if percent < 10 else f"{percent:.0f}%"
    return Verdict(value, False, f"missed by {by}", over)


def table(rows: list[list[str]], right: set[int]) -> str:
    """A Markdown pipe table, padded so it reads as text too (columns in `right` right-aligned)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("| " + " | ".join(cells) + " |")
        if n == 0:
            rule = [("-" * (w - 1) + ":") if i in right else "-" * w for i, w in enumerate(widths)]
            lines.append("| " + " | ".join(rule) + " |")
    return "\n".join(lines)


def case_table(data: Results, case: Case) -> str:
    """The table of one case: one row per command, its ratio against the row it names."""
    head = "Ratio (peak RSS)" if case.metric == "rss" else "Ratio (median time)"
    rows = [
        [
            "Command",
            "Size",
            "Runs",
            "Min s",
            "Median s",
            "Max s",
            "CPU s (median)",
            "Peak RSS MiB (max)",
            head,
            "Against",
        ]
    ]
    for key, ref in case.rows:
        cmd = data.commands[key]
        if cmd.error or not cmd.samples:
            rows.append(
                [cmd.label, cmd.size, str(len(cmd.samples)), "FAILED", "", "", "", "", "", ""]
            )
            continue
        walls = [s.wall for s in cmd.samples]
        cpu = cmd.value("cpu") or 0.0
        rss = (cmd.value("rss") or 0.0) / 1024
        value = ratio(data, key, ref, case.metric) if ref else None
        against = f"{data.commands[ref].label} ({data.commands[ref].size})" if ref else ""
        rows.append(
            [
                cmd.label,
                cmd.size,
                str(len(walls)),
                f"{min(walls):.3f}",
                f"{cmd.value('wall'):.3f}",
                f"{max(walls):.3f}",
                f"{cpu:.3f}",
                f"{rss:.0f}",
                f"{value:.2f}x" if value is not None else ("-" if not ref else "n/a"),
                against,
            ]
        )
    return table(rows, right={1, 2, 3, 4, 5, 6, 7, 8})


def summary_rows(data: Results) -> list[list[str]]:
    """The rows of the targets table."""
    rows = [["#", "Target", "Measured", "Limit", "Verdict"]]
    for target in data.targets:
        result = verdict(data, target)
        measured = f"{result.ratio:.2f}x" if result.ratio is not None else "-"
        rows.append([target.ident, target.title, measured, f"<= {target.limit:g}x", result.text])
    return rows


def summary_text(data: Results) -> str:
    """The targets table, for the terminal."""
    return table(summary_rows(data), right={2, 3})


def kept_notes(path: Path) -> dict[str, str]:
    """The hand-written `why` texts of the existing results.md at `path` (else bench/'s)."""
    for candidate in (path, HERE / "results.md"):
        if candidate.exists():
            return {m["id"]: m["text"] for m in WHY.finditer(candidate.read_text())}
    return {}


def why_block(ident: str, text: str | None) -> str:
    """The marked place of a hand-written explanation."""
    return f"<!-- why:{ident} -->\n{text or PLACEHOLDER}<!-- /why:{ident} -->"


def markdown(data: Results, path: Path, plot: str | None) -> str:
    """The whole of results.md."""
    notes = kept_notes(path)
    s = data.settings
    out = ["# sqlcompile benchmark results", ""]
    out += [
        "Written by `bench/run.py` (`make bench`) on every run. Edit only the text between "
        "the `why` markers under *Missed targets*: the next run keeps it.",
        "",
    ]
    if s.quick:
        out += [
            "> **Smoke run (`--quick`)**: small histories and one timed run; the sizes are "
            "not those of the targets, so the verdicts say only that the harness works.",
            "",
        ]
    out += table([["", ""], *([k, v] for k, v in data.meta.items())], right=set()).split("\n")
    out += [
        "",
        "## How to reproduce",
        "",
        "```sh",
        "make bench                      # full run: writes bench/results.md and bench/scaling.png",
        ".venv/bin/python bench/run.py --quick   # smoke run, into bench/out/",
        ".venv/bin/python bench/run.py --help    # sizes, repeats, --cases",
        "```",
        "",
        "## Method",
        "",
    ]
    out += [
        f"- Both tools run on the same generated inputs (bench/gen_history.py and, for "
        f"autogenerate, bench/gen_models.py; seed {s.seed}), each command as a fresh "
        "subprocess.",
        "- Wall time: `time.perf_counter` around the process. CPU time: user + system from "
        "`os.wait4` (the process and the workers it waited for). Peak RSS: the command's "
        "`ru_maxrss` as GNU time reports it (the command runs under `/usr/bin/time`: a child "
        "forked from the large benchmark process would start from that process's peak), the "
        "largest single process (forked workers are not summed).",
        "- The commands of one history run interleaved, one round after another (Alembic, "
        "sqlcompile, Alembic, ...); warm-up rounds are discarded. Tables give min / median / "
        "max wall time, median CPU time and max peak RSS; a ratio is median over median "
        "(max over max for RSS).",
        "- PYTHONDONTWRITEBYTECODE is removed from the children's environment: both tools "
        "cache compiled scripts (Alembic in `__pycache__/*.pyc`, sqlcompile in "
        "`__pycache__/*.sqlcompile-*.pyc`), as on a developer's machine; the warm-up round "
        "fills those caches. *Cold* means sqlcompile's `sql_out/` and `.sqlcompile_cache/` "
        "are removed before each run; the bytecode caches stay.",
        "- Every result is checked: one SQL file per revision and direction (and dialect), the "
        "Alembic streams and `heads`/`history` outputs name the expected revisions, `check` "
        "exits 0, an edited revision's file changes, autogenerate scripts hold the expected "
        "ops. A failed check is a FAILED row, never a time.",
        f"- Sizes: cases 1-3 on {s.main} revisions, case 5 and heads/history on {s.memory}, "
        f"scaling on {', '.join(map(str, s.scaling))}; autogenerate on {s.tables} tables.",
        "",
    ]

    verdicts = {t.ident: verdict(data, t) for t in data.targets}
    out += ["## Summary", "", table(summary_rows(data), right={2, 3}), ""]
    out += ["## Missed targets", ""]
    missed = [t for t in data.targets if not verdicts[t.ident].met]
    if not missed:
        out += ["None.", ""]
    for target in missed:
        result = verdicts[target.ident]
        out += [f"### {target.ident}: {target.title}", ""]
        if result.ratio is None:
            out += [f"{result.text}.", ""]
        else:
            out += [
                f"{result.ratio:.2f}x against a limit of {target.limit:g}x: "
                f"{result.text} ({result.over} over the limit).",
                "",
            ]
        out += [why_block(target.ident, notes.get(target.ident)), ""]
    stale = [
        i for i in sorted(notes) if i not in {t.ident for t in missed} and notes[i] != PLACEHOLDER
    ]
    if stale:
        out += ["### Earlier explanations (of targets met or not run this time)", ""]
        for ident in stale:
            out += [f"Target {ident}:", "", why_block(ident, notes[ident]), ""]

    out += ["## Results per case", ""]
    for case in data.cases:
        out += [f"### {case.title}", "", case.text, "", case_table(data, case), ""]
        for key, _ref in case.rows:
            cmd = data.commands[key]
            out += [f"- {cmd.label}: {note}" for note in cmd.notes]
        if any(data.commands[key].notes for key, _ in case.rows):
            out += [""]
        if case.name == "scaling" and plot:
            out += [f"![cold render time against revisions]({plot})", ""]
    failed = [c for c in data.commands.values() if c.error]
    if failed:
        out += ["## Failures", ""]
        for cmd in failed:
            out += [
                f"### {cmd.label} ({cmd.size})",
                "",
                "```",
                " ".join(cmd.argv),
                *(cmd.error or "").splitlines(),
                "```",
                "",
            ]
    return "\n".join(out).rstrip() + "\n"


def plot_scaling(data: Results, path: Path) -> bool:
    """Draw cold render time against revisions for both tools into `path`; False if
    matplotlib is missing or there is nothing to plot."""
    series = {
        "alembic upgrade base:head --sql": "alembic-up",
        "sqlcompile render (cold)": "render-cold",
    }
    points: dict[str, list[tuple[int, float, float, float]]] = {}
    for label, kind in series.items():
        for size in data.settings.scaling:
            cmd = data.commands.get(f"{kind}@{size}")
            if cmd and cmd.value("wall") is not None:
                walls = [s.wall for s in cmd.samples]
                points.setdefault(label, []).append(
                    (size, cmd.value("wall") or 0.0, min(walls), max(walls))
                )
    if not points:
        return False
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import NullFormatter, ScalarFormatter
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[bench]'): no scaling.png")
        return False
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    for label, rows in points.items():
        xs = [r[0] for r in rows]
        ys = [r[1] for r in rows]
        err = [[r[1] - r[2] for r in rows], [r[3] - r[1] for r in rows]]
        ax.errorbar(xs, ys, yerr=err, marker="o", capsize=3, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(data.settings.scaling, [str(n) for n in data.settings.scaling])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_formatter(ScalarFormatter())
    ax.set_xlabel("revisions")
    ax.set_ylabel("wall time, s (median; bars: min-max)")
    ax.set_title(
        f"Cold full render, {data.settings.dialect}\n"
        f"{data.meta['CPU']}, {data.meta['Cores']} cores, {data.meta['Date']}",
        fontsize=10,
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return True


def raw(data: Results) -> dict[str, Any]:
    """Every sample, for a closer look (written to bench/out/results.json)."""
    return {
        "meta": data.meta,
        "commands": {
            key: {
                "label": c.label,
                "size": c.size,
                "argv": c.argv,
                "error": c.error,
                "notes": c.notes,
                "samples": [
                    {"wall": s.wall, "cpu": s.cpu, "rss_kib": s.rss_kib} for s in c.samples
                ],
            }
            for key, c in sorted(data.commands.items())
        },
        "targets": {t.ident: verdict(data, t).__dict__ for t in data.targets},
    }
