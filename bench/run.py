"""`make bench`: sqlcompile against Alembic on the same generated inputs, for every target.

Every command runs as a fresh subprocess (harness.py: wall time, CPU time and peak RSS from
`os.wait4`). The commands of one history run interleaved: round after round, each command
once per round, the warm-up rounds discarded. Each result is checked (files written,
revisions listed, ops found); a failed or wrong result is a FAILED row, never a time. The
cases and targets are defined here, the commands in workloads.py; the harness writes
`results.md` and `scaling.png` (reporting.py). `--help` lists the options.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import reporting
from harness import Command, run_group
from workloads import CACHE_DIR, ORDER, SIX_DIALECTS, Factory

HERE = Path(__file__).resolve().parent
#: Histories above this many revisions get `--big-repeat` timed runs instead of `--repeat`.
BIG_HISTORY = 3000
CASE_NAMES = ["cold", "rerender", "dialects", "autogen", "memory", "scaling", "startup"]


# --- Cases and targets ----------------------------------------------------------------------


@dataclass
class Case:
    """One table of results.md: rows of (command key, key of the row its ratio is against)."""

    name: str
    title: str
    text: str
    rows: list[tuple[str, str | None]]
    metric: str = "wall"


@dataclass
class Target:
    """A limit on the ratio of two measurements."""

    ident: str
    case: str
    title: str
    subject: str
    reference: str
    limit: float
    metric: str = "wall"


@dataclass
class Settings:
    """The sizes and repeats of one run."""

    main: int
    memory: int
    big: int
    scaling: list[int]
    tables: int
    repeat: int
    warmup: int
    big_repeat: int
    dialect: str
    seed: int
    quick: bool


def define(s: Settings) -> tuple[list[Case], list[Target]]:
    """The cases (tables of results.md) and the targets, for the run's sizes."""
    n, m, d = s.main, s.memory, s.dialect
    up, cold = f"alembic-up@{n}", f"render-cold@{n}"
    cases = [
        Case(
            "cold",
            f"1. Cold full render, {n} revisions, {d}",
            (
                f"`sqlcompile render --dialect {d}` with validation and per-revision files, "
                f"`sql_out/` and `{CACHE_DIR}/` removed before each run, against "
                "`alembic upgrade base:head --sql` (standard output to a file). Alembic's "
                "downgrade stream is shown too: sqlcompile writes both directions."
            ),
            [(up, None), (f"alembic-down@{n}", up), (cold, up)],
        ),
        Case(
            "rerender",
            f"2. Re-render after an edit, {n} revisions",
            (
                "Per run: the original script restored, one untimed render (warm cache), the edit "
                f"applied, then the timed `sqlcompile render --dialect {d}`; the edited revision's "
                "upgrade file must change. (a) keeps the schema model as it was, (b) changes it; "
                "the exact edits are listed under the table. Also a render and a "
                "`sqlcompile check` with nothing changed (after an untimed render); the project "
                "sets no `target_metadata`, so `check` compares the history with the SQL files, "
                "not with models. Ratios against Alembic's full upgrade --sql."
            ),
            [
                (up, None),
                (f"render-edit-data@{n}", up),
                (f"render-edit-schema@{n}", up),
                (f"render-unchanged@{n}", up),
                (f"check-unchanged@{n}", up),
            ],
        ),
        Case(
            "dialects",
            f"3. Six dialects in one call, {n} revisions, cold",
            (
                f"`sqlcompile render` with `--dialect` {', '.join(SIX_DIALECTS)} in one call, "
                "output and cache removed before each run, against the one-dialect cold render."
            ),
            [(cold, None), (f"render-six@{n}", cold)],
        ),
        Case(
            "autogen",
            f"4. Offline autogenerate, {s.tables} tables",
            (
                "bench/autogen.py's projects: sqlcompile compares its history's schema model "
                "(no database) with changed models; Alembic compares a SQLite database of the base "
                "models with them (compare_type and compare_server_default on). Each script "
                "written must hold the expected ops."
            ),
            [
                (f"autogen-alembic@{s.tables}", None),
                (f"autogen-sqlcompile@{s.tables}", f"autogen-alembic@{s.tables}"),
            ],
        ),
        Case(
            "memory",
            f"5. Peak RSS, {m} revisions, cold render",
            (
                "Peak RSS is the command's `ru_maxrss` (through GNU time): the largest "
                "single process of the command's tree. sqlcompile forks workers (up to 4, one "
                "per core) for histories of 100 revisions or more; they share the parent's "
                "pages copy-on-write and are not "
                "summed. The SQLCOMPILE_JOBS=1 row shows one process doing all of it. "
                "Ratio: max peak RSS against Alembic's."
            ),
            [
                (f"alembic-up@{m}", None),
                (f"render-cold@{m}", f"alembic-up@{m}"),
                (f"render-cold-jobs1@{m}", f"alembic-up@{m}"),
            ],
            metric="rss",
        ),
        Case(
            "scaling",
            "6. Scaling",
            (
                "Cold render and Alembic's upgrade --sql against the number of revisions "
                "(plotted in scaling.png), and `heads` / `history` on the larger history."
            ),
            [
                row
                for size in s.scaling
                for row in (
                    (f"alembic-up@{size}", None),
                    (f"render-cold@{size}", f"alembic-up@{size}"),
                )
            ]
            + [
                (f"alembic-heads@{m}", None),
                (f"sqlcompile-heads@{m}", f"alembic-heads@{m}"),
                (f"alembic-history@{m}", None),
                (f"sqlcompile-history@{m}", f"alembic-history@{m}"),
            ],
        ),
        Case(
            "startup",
            "7. Start-up",
            "No target; for reference.",
            [("help@-", None), ("importtime@-", None)],
        ),
    ]
    scaling_limit = round(1.1 * s.big / n, 2)
    targets = [
        Target("1", "cold", f"cold render {n} revisions vs alembic upgrade --sql", cold, up, 1.0),
        Target(
            "2a",
            "rerender",
            "re-render after an edit keeping the schema vs alembic full",
            f"render-edit-data@{n}",
            up,
            0.3,
        ),
        Target(
            "2b",
            "rerender",
            "re-render after an edit changing the schema vs alembic full",
            f"render-edit-schema@{n}",
            up,
            0.3,
        ),
        Target(
            "2c",
            "rerender",
            "render with nothing changed vs alembic full",
            f"render-unchanged@{n}",
            up,
            0.2,
        ),
        Target(
            "2d",
            "rerender",
            "check with nothing changed vs alembic full",
            f"check-unchanged@{n}",
            up,
            0.2,
        ),
        Target(
            "3",
            "dialects",
            "six dialects in one call vs one dialect, cold",
            f"render-six@{n}",
            cold,
            2.5,
        ),
        Target(
            "4",
            "autogen",
            f"offline autogenerate {s.tables} tables vs alembic (SQLite)",
            f"autogen-sqlcompile@{s.tables}",
            f"autogen-alembic@{s.tables}",
            0.2,
        ),
        Target(
            "5",
            "memory",
            f"peak RSS, cold render {m} revisions vs alembic upgrade --sql",
            f"render-cold@{m}",
            f"alembic-up@{m}",
            1.5,
            metric="rss",
        ),
        Target(
            "6a",
            "scaling",
            f"cold render {s.big} revisions vs {n} (limit 1.1 x {s.big}/{n})",
            f"render-cold@{s.big}",
            cold,
            scaling_limit,
        ),
        Target(
            "6b",
            "scaling",
            f"sqlcompile heads vs alembic heads, {m} revisions",
            f"sqlcompile-heads@{m}",
            f"alembic-heads@{m}",
            0.5,
        ),
        Target(
            "6c",
            "scaling",
            f"sqlcompile history vs alembic history, {m} revisions",
            f"sqlcompile-history@{m}",
            f"alembic-history@{m}",
            0.5,
        ),
    ]
    return cases, targets


def build_groups(
    factory: Factory,
    cases: list[Case],
    targets: list[Target],
) -> list[tuple[str, list[Command]]]:
    """The commands the cases and targets need, grouped by project, each group in ORDER."""
    keys = {key for case in cases for row in case.rows for key in row if key}
    keys |= {key for t in targets for key in (t.subject, t.reference)}
    commands = [factory.get(key) for key in sorted(keys)]
    groups: dict[str, list[Command]] = {}
    for cmd in commands:
        if cmd.key.startswith("autogen-"):
            group = f"autogen {cmd.size}"
        elif cmd.size == "-":
            group = "startup"
        else:
            group = f"{cmd.size} revisions"
        groups.setdefault(group, []).append(cmd)
    for members in groups.values():
        members.sort(key=lambda c: ORDER.index(c.key.partition("@")[0]))
    return list(groups.items())


def group_rank(name: str, main: int) -> tuple[int, int]:
    """Run the main history first (cases 1-3), then autogenerate, the other sizes by size,
    start-up last."""
    if name == f"{main} revisions":
        return (0, 0)
    if name.startswith("autogen"):
        return (1, 0)
    if name == "startup":
        return (3, 0)
    return (2, int(name.split()[0]))


def resolve(args: argparse.Namespace) -> Settings:
    """Fill the options left unset from the full or the --quick defaults."""
    full = {
        "main": 1000,
        "memory": 3000,
        "big": 10000,
        "scaling": "250,1000,3000,10000",
        "tables": 500,
        "repeat": 3,
        "big_repeat": 2,
    }
    quick = {
        "main": 100,
        "memory": 300,
        "big": 300,
        "scaling": "100,300",
        "tables": 50,
        "repeat": 1,
        "big_repeat": 1,
    }
    chosen = quick if args.quick else full
    value = {k: getattr(args, k) if getattr(args, k) is not None else v for k, v in chosen.items()}
    main, big = int(value["main"]), int(value["big"])
    scaling = sorted({int(x) for x in str(value["scaling"]).split(",") if x.strip()} | {main, big})
    return Settings(
        main,
        int(value["memory"]),
        big,
        scaling,
        int(value["tables"]),
        int(value["repeat"]),
        args.warmup,
        int(value["big_repeat"]),
        args.dialect,
        args.seed,
        args.quick,
    )


def main() -> int:
    """Generate the inputs, run every selected case, write results.md and scaling.png."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=(
            "smoke run: 100/300 revisions, 50 tables, 1 warm-up + 1 timed run; results go to --out "
            "unless --report-dir is given"
        ),
    )
    parser.add_argument(
        "--cases",
        default="all",
        help=(f"comma-separated, of: {', '.join(CASE_NAMES)} (default: all)"),
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=HERE / "out",
        help="working directory for the generated projects (default: bench/out)",
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        help=(
            "where results.md and scaling.png go (default: bench/ for a full run of all cases, "
            "else --out)"
        ),
    )
    parser.add_argument("--main", type=int, help="revisions of cases 1-3 (default 1000)")
    parser.add_argument("--memory", type=int, help="revisions of cases 5, 6b, 6c (default 3000)")
    parser.add_argument(
        "--big", type=int, help="revisions of the scaling target 6a (default 10000)"
    )
    parser.add_argument(
        "--scaling",
        help="revision counts plotted, comma-separated "
        "(default 250,1000,3000,10000; --main and --big are always added)",
    )
    parser.add_argument("--tables", type=int, help="tables of the autogenerate case (default 500)")
    parser.add_argument("--repeat", type=int, help="timed runs per command (default 3)")
    parser.add_argument(
        "--big-repeat",
        type=int,
        help=(f"timed runs per command for histories above {BIG_HISTORY} revisions (default 2)"),
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=1,
        help="untimed rounds first, which also fill the bytecode caches (default 1)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dialect", default="postgresql", help="dialect of the one-dialect cases")
    args = parser.parse_args()
    selected = CASE_NAMES if args.cases == "all" else [c.strip() for c in args.cases.split(",")]
    unknown = sorted(set(selected) - set(CASE_NAMES))
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; choose from {', '.join(CASE_NAMES)}")
    settings = resolve(args)
    full_run = not args.quick and set(selected) == set(CASE_NAMES)
    report_dir = args.report_dir or (HERE if full_run else args.out)
    started = datetime.now(UTC)
    # Children never get it (child_env); autogen.setup's own subprocesses follow os.environ.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    load = os.getloadavg()

    all_cases, all_targets = define(settings)
    cases = [c for c in all_cases if c.name in selected]
    targets = [t for t in all_targets if t.case in selected]
    args.out.mkdir(parents=True, exist_ok=True)
    factory = Factory(args.out.resolve(), args.seed, args.dialect)
    groups = sorted(
        build_groups(factory, cases, targets), key=lambda g: group_rank(g[0], settings.main)
    )
    for name, commands in groups:
        repeat = settings.repeat
        if name.endswith("revisions"):
            history = factory.history(int(name.split()[0]))
            history.generate()
            if history.revisions > BIG_HISTORY:
                repeat = settings.big_repeat
        elif name.startswith("autogen"):
            factory.setup_autogen(int(name.split()[1]), commands)
        run_group(name, commands, settings.warmup, repeat)

    meta = reporting.machine(started, load, settings, sys.argv[1:])
    data = reporting.Results(meta, cases, targets, factory.commands, settings)
    results = report_dir / "results.md"
    plot = report_dir / "scaling.png"
    report_dir.mkdir(parents=True, exist_ok=True)
    plotted = reporting.plot_scaling(data, plot)
    text = reporting.markdown(data, results, plot.name if plotted else None)
    results.write_text(text)
    (args.out / "results.json").write_text(json.dumps(reporting.raw(data), indent=1) + "\n")
    print()
    print(reporting.summary_text(data))
    print(f"\nwrote {results}" + (f" and {plot}" if plotted else " (no plot)"))
    failed = [c for c in factory.commands.values() if c.error]
    for cmd in failed:
        print(f"\n{cmd.label} ({cmd.size}) FAILED: {' '.join(cmd.argv)}")
        print("\n".join(f"    {line}" for line in cmd.error.splitlines()))  # type: ignore[union-attr]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
