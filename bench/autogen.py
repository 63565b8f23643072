"""Benchmark offline `sqlcompile revision --autogenerate` against `alembic revision --autogenerate`.

For each size, generated models (gen_models.py) are written twice: the base models and a changed
copy. sqlcompile gets a project whose history holds the base schema (one revision written by
`sqlcompile revision --autogenerate` itself from an empty history) and compares it, without a
database, with the changed models. Alembic gets its own project and a SQLite database created from
the base models, and compares that database with the changed models. Both run as fresh
subprocesses; the script each writes is checked (its upgrade's `op.*` calls are counted and must
match the changes the generator made) and deleted before the next run.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib.util
import io
import os
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

from gen_history import SCRIPT_MAKO
from gen_models import EXPECTED_OPS, generate

BIN = Path(sys.executable).parent
TIMEOUT_S = 1800
REV_ID = "b1"
SCRIPT_NAME = f"{REV_ID}_bench.py"

SQLCOMPILE_TOML = """\
script_location = "migrations"
output_dir = "sql_out"
dialects = ["{dialect}"]
target_metadata = "models:metadata"

[environments.base]
target_metadata = "models_base:metadata"
"""

ALEMBIC_INI = """\
[alembic]
script_location = migrations
prepend_sys_path = .
path_separator = os
sqlalchemy.url = sqlite:///schema.db
"""

ENV_PY = '''\
"""Alembic environment of the benchmark: the SQLite database against the changed models."""

import sqlalchemy as sa
from alembic import context

from models import metadata

config = context.config
engine = sa.create_engine(config.get_main_option("sqlalchemy.url"))
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        compare_server_default={compare_server_default},
    )
    with context.begin_transaction():
        context.run_migrations()
'''

OP_CALL = re.compile(r"\b(?:op|batch_op)\.(\w+)\(")


@dataclass
class Tool:
    """One benchmarked autogenerate command, where it writes its script, and what it did."""

    label: str
    argv: list[str]
    cwd: Path
    script: Path
    times: list[float] = field(default_factory=list)
    ops: Counter[str] = field(default_factory=Counter)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class Size:
    """The two tools' results for one model size."""

    tables: int
    sqlcompile: Tool
    alembic: Tool


def upgrade_ops(text: str) -> Counter[str]:
    """Count the `op.*` (and `batch_op.*`) calls in a script's upgrade(); `op.f()` marks a name
    as final and is no operation."""
    upgrade = text.split("def upgrade", 1)[-1].split("def downgrade", 1)[0]
    return Counter(name for name in OP_CALL.findall(upgrade) if name != "f")


def run_once(tool: Tool) -> None:
    """Run the command once as a fresh subprocess; record its time, its script's ops, or why
    it failed. The script it wrote is deleted afterwards."""
    tool.script.unlink(missing_ok=True)
    try:
        start = time.perf_counter()
        proc = subprocess.run(
            tool.argv, cwd=tool.cwd, capture_output=True, timeout=TIMEOUT_S, check=False
        )
        elapsed = time.perf_counter() - start
    except (OSError, subprocess.TimeoutExpired) as exc:
        tool.error = f"{type(exc).__name__}: {exc}"
        return
    output = (proc.stdout + proc.stderr).decode(errors="replace").strip().splitlines()
    if proc.returncode != 0 or not tool.script.exists():
        reason = f"exit status {proc.returncode}" if proc.returncode else "no script written"
        tool.error = "\n".join([reason, *output[-30:]])
        return
    tool.times.append(elapsed)
    tool.ops = upgrade_ops(tool.script.read_text())
    # Data-loss warnings are expected (a column is dropped); any other warning is reported.
    tool.warnings = [
        line
        for line in output
        if line.startswith("warning:") and not line.startswith("warning: data loss:")
    ]
    tool.script.unlink()


def load_module(path: Path, name: str) -> object:
    """Import a generated models module from its file under a name of its own."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def setup(root: Path, tables: int, seed: int, dialect: str, compare_server_default: bool) -> Size:
    """Write both projects for one size: models, the sqlcompile history of the base models and
    the SQLite database (with its Alembic project) of the base models."""
    import sqlalchemy as sa

    base, changed = generate(tables, seed)
    ours, theirs = root / "sqlcompile", root / "alembic"
    for folder in (ours, theirs):
        (folder / "migrations" / "versions").mkdir(parents=True)
        (folder / "models_base.py").write_text(base)
        (folder / "models.py").write_text(changed)

    (ours / "sqlcompile.toml").write_text(SQLCOMPILE_TOML.format(dialect=dialect))
    sqlcompile = str(BIN / "sqlcompile")
    argv = [sqlcompile, "--env", "base", "revision", "--autogenerate", "-m", "base schema"]
    proc = subprocess.run(
        [*argv, "--rev-id", "a0"], cwd=ours, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0 or "warning" in proc.stderr:
        raise SystemExit(f"writing the base history failed:\n{proc.stdout}{proc.stderr}")
    # The history must hold exactly the base models' schema.
    proc = subprocess.run(argv, cwd=ours, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or "no differences" not in proc.stderr:
        raise SystemExit(f"the base history differs from its models:\n{proc.stdout}{proc.stderr}")

    (theirs / "alembic.ini").write_text(ALEMBIC_INI)
    (theirs / "migrations" / "script.py.mako").write_text(SCRIPT_MAKO)
    (theirs / "migrations" / "env.py").write_text(
        ENV_PY.format(compare_server_default=compare_server_default)
    )
    models = load_module(theirs / "models_base.py", f"bench_models_base_{tables}")
    engine = sa.create_engine(f"sqlite:///{theirs / 'schema.db'}")
    models.metadata.create_all(engine)  # type: ignore[attr-defined]
    engine.dispose()

    revision = ["revision", "--autogenerate", "-m", "bench", "--rev-id", REV_ID]
    script = Path("migrations") / "versions" / SCRIPT_NAME
    return Size(
        tables,
        Tool("sqlcompile", [sqlcompile, *revision], ours, ours / script),
        Tool("alembic", [str(BIN / "alembic"), *revision], theirs, theirs / script),
    )


def describe(ops: Counter[str]) -> str:
    """Return e.g. `8 ops (add_column 1, alter_column 2, ...)`."""
    parts = ", ".join(f"{name} {count}" for name, count in sorted(ops.items()))
    return f"{sum(ops.values())} ops ({parts})"


def print_table(sizes: list[Size]) -> None:
    """Print the aligned results table: times, their ratio and the ops each script holds."""
    rows = [("tables", "sqlcompile median s", "min s", "alembic median s", "min s", "ratio", "ops")]
    for size in sizes:
        cells: list[str] = [str(size.tables)]
        for tool in (size.sqlcompile, size.alembic):
            if tool.error or not tool.times:
                cells += ["FAILED", ""]
            else:
                cells += [f"{statistics.median(tool.times):.3f}", f"{min(tool.times):.3f}"]
        ours, theirs = size.sqlcompile, size.alembic
        both = not (ours.error or theirs.error) and ours.times and theirs.times
        ratio = statistics.median(ours.times) / statistics.median(theirs.times) if both else None
        cells.append(f"{ratio:.2f}x" if ratio else "-")
        ops = [
            str(sum(tool.ops.values())) + ("" if tool.ops == EXPECTED_OPS else "!")
            for tool in (ours, theirs)
        ]
        cells.append(" / ".join(ops))
        rows.append(tuple(cells))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    print("ratio: sqlcompile median / alembic median (below 1: sqlcompile is faster)")
    print(f"ops: op.* calls in upgrade(), sqlcompile / alembic; expected {describe(EXPECTED_OPS)}")


def profile(size: Size, top: int) -> None:
    """Run the offline autogenerate of `size` once in this process under cProfile and print
    the hotspots in sqlcompile/ (by own time, then by cumulative time)."""
    from sqlcompile import cli

    tool = size.sqlcompile
    tool.script.unlink(missing_ok=True)
    argv = tool.argv[1:]
    cwd, threshold = Path.cwd(), gc.get_threshold()
    os.chdir(tool.cwd)
    gc.set_threshold(50_000, 20, 100)  # as sqlcompile.cli.main sets it
    profiler = cProfile.Profile()
    out, err = io.StringIO(), io.StringIO()
    try:
        stdout, stderr = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, err
        start = time.perf_counter()
        try:
            profiler.runcall(cli.cli.main, args=argv, prog_name="sqlcompile", standalone_mode=False)
        except SystemExit as exc:  # an error the command reported: shown below
            print(f"exit status {exc.code}", file=err)
        finally:
            elapsed = time.perf_counter() - start
            sys.stdout, sys.stderr = stdout, stderr
    finally:
        os.chdir(cwd)
        gc.set_threshold(*threshold)
    if not tool.script.exists():
        print(f"profile run wrote no script:\n{out.getvalue()}{err.getvalue()}")
        return
    ops = upgrade_ops(tool.script.read_text())
    tool.script.unlink()
    print(
        f"\nprofile: {size.tables} tables, in process, {elapsed:.3f}s with cProfile, "
        f"{describe(ops)}"
    )
    path = tool.cwd.parent / "autogen.prof"
    profiler.dump_stats(path)
    for key in ("tottime", "cumulative"):
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats(key).print_stats(r"sqlcompile/", top)
        body = text.getvalue()
        table = body[body.index("   ncalls") :] if "   ncalls" in body else body
        print(f"\ntop {top} functions in sqlcompile/ by {key}:\n{table.rstrip()}")


def main() -> int:
    """Generate the models and projects, time both tools side by side and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="50,500,2000", help="table counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per command")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs per command first")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dialect", default="sqlite", help="the dialect sqlcompile compares for")
    parser.add_argument(
        "--compare-server-default",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="let Alembic compare server defaults, as sqlcompile always does (Alembic's own "
        "default is not to)",
    )
    parser.add_argument(
        "--bytecode-cache",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="let both tools cache compiled models and scripts in __pycache__, as on a "
        "developer's machine (the warm-up run fills the caches); --no-bytecode-cache makes "
        "every run compile them",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile sqlcompile in process for the largest size",
    )
    parser.add_argument("--top", type=int, default=25, help="hotspots listed by --profile")
    parser.add_argument("--out", type=Path, help="keep the projects here (default: a temp dir)")
    args = parser.parse_args()
    counts = [int(s) for s in args.sizes.split(",") if s.strip()]
    # Subprocesses inherit the choice; the in-process profile follows it too.
    if args.bytecode_cache:
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    sys.dont_write_bytecode = not args.bytecode_cache
    versions = ", ".join(
        f"{name} {version(name)}" for name in ("sqlcompile", "alembic", "sqlalchemy")
    )
    print(
        f"{versions}, Python {sys.version.split()[0]}; sqlcompile compares for {args.dialect}, "
        f"alembic with SQLite (compare_server_default={args.compare_server_default}); "
        f"bytecode cache {'on' if args.bytecode_cache else 'off'}; "
        f"{args.warmup} warm-up + {args.repeat} timed runs each"
    )

    with tempfile.TemporaryDirectory(prefix="sqlcompile-bench-autogen-") as tmp:
        out = args.out or Path(tmp)
        sizes: list[Size] = []
        for count in counts:
            root = out / f"tables_{count}"
            shutil.rmtree(root, ignore_errors=True)
            start = time.perf_counter()
            sizes.append(setup(root, count, args.seed, args.dialect, args.compare_server_default))
            print(f"set up {count} tables in {time.perf_counter() - start:.2f}s: {root}")

        for size in sizes:
            for rep in range(args.warmup + args.repeat):
                for tool in (size.sqlcompile, size.alembic):
                    if tool.error is None:
                        run_once(tool)
                if rep < args.warmup:
                    size.sqlcompile.times.clear()
                    size.alembic.times.clear()

        print()
        print_table(sizes)
        problems = False
        for size in sizes:
            for tool in (size.sqlcompile, size.alembic):
                if tool.error:
                    problems = True
                    print(f"\n{size.tables} tables: {tool.label} FAILED: {' '.join(tool.argv)}")
                    print("\n".join(f"    {line}" for line in tool.error.splitlines()))
                    continue
                if tool.ops != EXPECTED_OPS:
                    problems = True
                    print(f"\n{size.tables} tables: {tool.label} wrote {describe(tool.ops)}")
                for line in tool.warnings:
                    print(f"{size.tables} tables: {tool.label}: {line}")
        if args.profile and sizes:
            profile(max(sizes, key=lambda s: s.tables), args.top)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
