"""Benchmark `sqlcompile render` against `alembic upgrade --sql` on a generated history."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from gen_history import generate

BIN = Path(sys.executable).parent
TIMEOUT_S = 1800


@dataclass
class Bench:
    """One benchmarked command and its measurements."""

    label: str
    argv: list[str]
    revisions: str = "-"
    stdout: Path | None = None
    importtime: bool = False
    clean_output: bool = False
    times: list[float] = field(default_factory=list)
    error: str | None = None


def run_once(bench: Bench, cwd: Path) -> subprocess.CompletedProcess[bytes] | None:
    """Run the command once as a fresh subprocess; record its time or its failure."""
    if bench.clean_output:
        shutil.rmtree(cwd / "sql_out", ignore_errors=True)
    try:
        with open(bench.stdout or os.devnull, "wb") as out:
            start = time.perf_counter()
            proc = subprocess.run(
                bench.argv, cwd=cwd, stdout=out, stderr=subprocess.PIPE, timeout=TIMEOUT_S
            )
            elapsed = time.perf_counter() - start
    except (OSError, subprocess.TimeoutExpired) as exc:
        bench.error = f"{type(exc).__name__}: {exc}"
        return None
    if proc.returncode != 0:
        lines = proc.stderr.decode(errors="replace").strip().splitlines()
        stderr = [ln for ln in lines if not ln.startswith("import time:")]
        bench.error = "\n".join([f"exit status {proc.returncode}", *stderr[-30:]])
        return None
    bench.times.append(import_seconds(proc.stderr) if bench.importtime else elapsed)
    return proc


def import_seconds(stderr: bytes, module: str = "sqlcompile.cli") -> float:
    """Return the cumulative `-X importtime` figure of `module` (its parents nest in it), in s."""
    rows = [ln.split("|") for ln in stderr.decode().splitlines() if ln.startswith("import time:")]
    # The interpreter may import more modules later (e.g. gc at exit): take the module's own row.
    cumulative = next(int(r[1]) for r in reversed(rows) if r[2].strip() == module)
    return cumulative / 1e6


def check_render(bench: Bench, cwd: Path, dialect: str, revisions: int) -> None:
    """Mark the render as failed unless it wrote one SQL file per revision and direction."""
    for direction in ("upgrade", "downgrade"):
        found = len(list((cwd / "sql_out" / dialect / direction).glob("*.sql")))
        if found != revisions:
            bench.error = f"sql_out/{dialect}/{direction}: {found} .sql files, expected {revisions}"


def count_statements(path: Path) -> int:
    """Count the SQL statements (lines ending with ';') in an alembic --sql script."""
    with path.open() as f:
        return sum(1 for line in f if line.rstrip().endswith(";"))


def print_table(benches: list[Bench], baseline: Bench) -> None:
    """Print the aligned results table."""
    rows = [("tool", "revisions", "min s", "median s", "vs alembic")]
    base = statistics.median(baseline.times) if baseline.times and not baseline.error else None
    for b in benches:
        if b.error or not b.times:
            rows.append((b.label, b.revisions, "FAILED", "", ""))
            continue
        median = statistics.median(b.times)
        ratio = f"{median / base:.2f}x" if base and b.revisions != "-" else "-"
        rows.append((b.label, b.revisions, f"{min(b.times):.3f}", f"{median:.3f}", ratio))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        print("  ".join(cells).rstrip())


def main() -> int:
    """Generate the history, time every command side by side and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--revisions", type=int, default=1000)
    parser.add_argument("--dialect", default="postgresql")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per command")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs per command first")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    args = parser.parse_args()

    project = args.out / "history"
    start = time.perf_counter()
    generate(project, args.revisions, args.seed)
    print(f"generated {args.revisions} revisions in {time.perf_counter() - start:.2f}s: {project}")

    url = [] if args.dialect == "postgresql" else ["-x", f"url={args.dialect}://"]
    revs = str(args.revisions)
    alembic_sql = args.out / f"alembic_upgrade.{args.dialect}.sql"
    alembic = Bench(
        "alembic upgrade --sql",
        [str(BIN / "alembic"), *url, "upgrade", "base:head", "--sql"],
        revs,
        stdout=alembic_sql,
    )
    render = Bench(
        "sqlcompile render",
        [str(BIN / "sqlcompile"), "render", "--dialect", args.dialect],
        revs,
        clean_output=True,
    )
    # For a like-for-like view: sqlcompile writes both directions, so time Alembic's downgrade
    # stream too; and a re-render with nothing changed (the everyday case) next to the full one.
    alembic_down = Bench(
        "alembic downgrade --sql",
        [str(BIN / "alembic"), *url, "downgrade", "head:base", "--sql"],
        revs,
        stdout=args.out / f"alembic_downgrade.{args.dialect}.sql",
    )
    rerender = Bench(
        "sqlcompile render (unchanged)",
        [str(BIN / "sqlcompile"), "render", "--dialect", args.dialect],
        revs,
    )
    benches = [
        alembic,
        alembic_down,
        render,
        rerender,
        Bench("sqlcompile --help", [str(BIN / "sqlcompile"), "--help"]),
        Bench(
            "import sqlcompile.cli (importtime)",
            [sys.executable, "-X", "importtime", "-c", "import sqlcompile.cli"],
            importtime=True,
        ),
    ]
    for rep in range(args.warmup + args.repeat):
        for bench in benches:
            if bench.error is None and run_once(bench, project) and bench is render:
                check_render(bench, project, args.dialect, args.revisions)
        if rep < args.warmup:
            for bench in benches:
                bench.times.clear()

    if not alembic.error:
        print(f"alembic emitted {count_statements(alembic_sql)} statements: {alembic_sql}")
    print()
    print_table(benches, alembic)
    for bench in benches:
        if bench.error:
            print(f"\n{bench.label} FAILED: {' '.join(bench.argv)}")
            print("\n".join(f"    {line}" for line in bench.error.splitlines()))
    return 1 if any(b.error for b in benches) else 0


if __name__ == "__main__":
    sys.exit(main())
