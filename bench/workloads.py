"""The generated histories, the edits of case 2, and every benchmarked command, by key.

A command's key is `kind@size` (`render-cold@1000`, `autogen-alembic@500`, `help@-`); the
kind names the Factory method that makes it. Each command is made once, so the cases that
share one (Alembic's upgrade --sql is the reference of several) share its measurements.
"""

from __future__ import annotations

import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import autogen
from gen_history import generate, revision_id
from harness import BenchError, Command, Outcome, child_env, execute, stderr_tail

BIN = Path(sys.executable).parent
SIX_DIALECTS = ["postgresql", "mysql", "mariadb", "sqlite", "mssql", "oracle"]
CACHE_DIR = ".sqlcompile_cache"


# --- The generated histories and the edits of case 2 ----------------------------------------


@dataclass
class Edit:
    """One edit of one script: the file, its original and edited text, what changed."""

    path: Path
    revision: str
    original: str
    edited: str
    description: str


class History:
    """A generated history of `revisions` revisions, the project both tools run in."""

    def __init__(self, root: Path, revisions: int, seed: int, dialect: str) -> None:
        """Remember where the project goes; `generate()` writes it."""
        self.root, self.revisions, self.seed, self.dialect = root, revisions, seed, dialect
        self._edits: dict[str, Edit] = {}

    def generate(self) -> None:
        """Write the scripts (deterministic for the seed) and remove earlier output."""
        start = time.perf_counter()
        generate(self.root, self.revisions, self.seed)
        self.clean()
        elapsed = time.perf_counter() - start
        print(f"generated {self.revisions} revisions in {elapsed:.2f}s: {self.root}", flush=True)

    def clean(self) -> None:
        """Remove sqlcompile's output and incremental cache: the next render is cold."""
        shutil.rmtree(self.root / "sql_out", ignore_errors=True)
        shutil.rmtree(self.root / CACHE_DIR, ignore_errors=True)

    def rev(self, index: int) -> str:
        """The id of the revision at `index` (0: the first)."""
        return revision_id(index, self.seed)

    def scripts(self) -> list[Path]:
        """The scripts, oldest first."""
        return sorted((self.root / "migrations" / "versions").glob("*.py"))

    def edit(self, kind: str) -> Edit:
        """The edit of kind `data` or `schema` nearest to the middle revision (found once)."""
        if kind not in self._edits:
            self._edits[kind] = find_edit(self.scripts(), kind)
        return self._edits[kind]

    def restore(self, kind: str) -> None:
        """Put back the original text of the script the `kind` edit changes (if one was found)."""
        edit = self._edits.get(kind)
        if edit:
            edit.path.write_text(edit.original)

    def upgrade_file(self, revision: str) -> Path:
        """The upgrade SQL file sqlcompile writes for `revision`."""
        found = list((self.root / "sql_out" / self.dialect / "upgrade").glob(f"*_{revision}*.sql"))
        if len(found) != 1:
            raise BenchError(f"{len(found)} upgrade files for revision {revision}")
        return found[0]


EXECUTE_UPDATE = re.compile(r'op\.execute\("UPDATE [^"]*?(\d+)(?=[^"\d]*"\))')
ADD_COLUMN = re.compile(r'op\.add_column\(\s*"(?P<table>\w+)"')
EDIT_COLUMN = "bench_edit_note"
UPGRADE_BODY = '    """Upgrade schema."""\n'
DOWNGRADE_BODY = '    """Downgrade schema."""\n'


def find_edit(scripts: list[Path], kind: str) -> Edit:
    """Find, from the middle script outwards, the first script that takes an edit of `kind`:

    - `data`: the last number in the upgrade's `op.execute("UPDATE ...")` goes up by one
      (`score >= 50` becomes `score >= 51`, `score + 1` becomes `score + 2`); the schema model
      stays as it was.
    - `schema`: the upgrade adds one more column, `op.add_column(T, sa.Column("bench_edit_note",
      sa.Text(), nullable=True))`, to the table T of its first `op.add_column`, and the
      downgrade drops it: no later script names that column, so the history stays consistent,
      and the schema model changes from that revision on. (Changing a column an add_column
      adds would be as good, but the generated histories alter, rename or index nearly every
      added column later, which the change would then contradict.)
    """
    middle = len(scripts) // 2
    order = sorted(range(len(scripts)), key=lambda i: (abs(i - middle), i))
    for index in order:
        path = scripts[index]
        text = path.read_text()
        revision = path.stem.split("_", 1)[1]
        where = f"revision {index + 1} of {len(scripts)} ({path.name})"
        if kind == "data":
            match = EXECUTE_UPDATE.search(text)
            if match:
                old = int(match[1])
                edited = text[: match.start(1)] + str(old + 1) + text[match.end(1) :]
                return Edit(
                    path, revision, text, edited,
                    f'{where}: in its `op.execute("UPDATE ...")` the literal {old} becomes '
                    f"{old + 1}",
                )  # fmt: skip
            continue
        match = ADD_COLUMN.search(text)
        if match and UPGRADE_BODY in text and DOWNGRADE_BODY in text:
            table = match["table"]
            column = f'sa.Column("{EDIT_COLUMN}", sa.Text(), nullable=True)'
            add = f'    op.add_column("{table}", {column})\n'
            drop = f'    op.drop_column("{table}", "{EDIT_COLUMN}")\n'
            edited = text.replace(UPGRADE_BODY, UPGRADE_BODY + add, 1).rstrip("\n") + "\n" + drop
            return Edit(
                path, revision, text, edited,
                f"{where}: its upgrade gets a first op `{add.strip()}`, its downgrade a last "
                f"op `{drop.strip()}`",
            )  # fmt: skip
    raise BenchError(f"no script takes a `{kind}` edit")


# --- The commands ---------------------------------------------------------------------------


def count_files(history: History, dialects: list[str]) -> str | None:
    """None if sqlcompile wrote one SQL file per revision and direction for every dialect."""
    for dialect in dialects:
        for direction in ("upgrade", "downgrade"):
            folder = history.root / "sql_out" / dialect / direction
            found = len(list(folder.glob("*.sql")))
            if found != history.revisions:
                expected = history.revisions
                return f"sql_out/{dialect}/{direction}: {found} .sql files, expected {expected}"
    return None


def names_revisions(path: Path, revisions: list[str]) -> str | None:
    """None if the output file names every revision of `revisions`."""
    text = path.read_text(errors="replace")
    missing = [r for r in revisions if r not in text]
    return f"{path.name} does not name revision(s) {', '.join(missing)}" if missing else None


class Factory:
    """Builds the commands of every case for one run's settings, each once, by key."""

    def __init__(self, out: Path, seed: int, dialect: str) -> None:
        """Projects go under `out`."""
        self.out, self.seed, self.dialect = out, seed, dialect
        self.histories: dict[int, History] = {}
        self.commands: dict[str, Command] = {}
        self.autogen_sizes: dict[int, Path] = {}

    def history(self, revisions: int) -> History:
        """The project of `revisions` revisions (shared by every command of that size)."""
        if revisions not in self.histories:
            root = self.out / f"history_{revisions}"
            self.histories[revisions] = History(root, revisions, self.seed, self.dialect)
        return self.histories[revisions]

    def get(self, key: str) -> Command:
        """The command `kind@size` (made on first use)."""
        if key not in self.commands:
            kind, _, size = key.partition("@")
            self.commands[key] = getattr(self, kind.replace("-", "_"))(key, size)
        return self.commands[key]

    def _url(self) -> list[str]:
        return [] if self.dialect == "postgresql" else ["-x", f"url={self.dialect}://"]

    def _alembic(
        self,
        key: str,
        size: str,
        label: str,
        args: list[str],
        check: list[str],
    ) -> Command:
        history = self.history(int(size))
        stdout = self.out / f"{key.replace('@', '.')}.out"
        return Command(
            key,
            "alembic",
            label,
            [str(BIN / "alembic"), *self._url(), *args],
            history.root,
            size,
            stdout=stdout,
            validate=lambda _o: names_revisions(stdout, check),
        )

    def alembic_up(self, key: str, size: str) -> Command:
        history = self.history(int(size))
        return self._alembic(
            key,
            size,
            "alembic upgrade base:head --sql",
            ["upgrade", "base:head", "--sql"],
            [history.rev(history.revisions - 1)],
        )

    def alembic_down(self, key: str, size: str) -> Command:
        history = self.history(int(size))
        return self._alembic(
            key,
            size,
            "alembic downgrade head:base --sql",
            ["downgrade", "head:base", "--sql"],
            [history.rev(0)],
        )

    def alembic_heads(self, key: str, size: str) -> Command:
        history = self.history(int(size))
        return self._alembic(
            key, size, "alembic heads", ["heads"], [history.rev(history.revisions - 1)]
        )

    def alembic_history(self, key: str, size: str) -> Command:
        history = self.history(int(size))
        last = history.revisions - 1
        return self._alembic(
            key,
            size,
            "alembic history",
            ["history"],
            [history.rev(0), history.rev(last // 2), history.rev(last)],
        )

    def _sqlcompile(self, key: str, size: str, label: str, args: list[str]) -> Command:
        return Command(
            key,
            "sqlcompile",
            label,
            [str(BIN / "sqlcompile"), *args],
            self.history(int(size)).root,
            size,
        )

    def _render(self, key: str, size: str, label: str, dialects: list[str]) -> Command:
        history = self.history(int(size))
        args = ["render", *(a for d in dialects for a in ("--dialect", d))]
        cmd = self._sqlcompile(key, size, label, args)
        cmd.validate = lambda _o: count_files(history, dialects)
        return cmd

    def render_cold(self, key: str, size: str) -> Command:
        cmd = self._render(
            key, size, f"sqlcompile render --dialect {self.dialect} (cold)", [self.dialect]
        )
        cmd.prepare = self.history(int(size)).clean
        return cmd

    def render_cold_jobs1(self, key: str, size: str) -> Command:
        cmd = self.render_cold(key, size)
        cmd.label = f"SQLCOMPILE_JOBS=1 {cmd.label}"
        cmd.env = child_env({"SQLCOMPILE_JOBS": "1"})
        return cmd

    def render_six(self, key: str, size: str) -> Command:
        label = f"sqlcompile render, {len(SIX_DIALECTS)} dialects in one call (cold)"
        cmd = self._render(key, size, label, SIX_DIALECTS)
        cmd.prepare = self.history(int(size)).clean
        return cmd

    def _warm_render(self, history: History) -> None:
        """Render untimed (fills sql_out and the cache for the current scripts)."""
        argv = [str(BIN / "sqlcompile"), "render", "--dialect", self.dialect]
        outcome = execute(argv, history.root, None, child_env())
        if outcome.code != 0:
            raise BenchError(
                "\n".join(["untimed warm render failed", *stderr_tail(outcome.stderr)])
            )

    def render_unchanged(self, key: str, size: str) -> Command:
        history = self.history(int(size))
        cmd = self._render(
            key, size, f"sqlcompile render --dialect {self.dialect} (unchanged)", [self.dialect]
        )
        cmd.prepare = lambda: self._warm_render(history)
        return cmd

    def check_unchanged(self, key: str, size: str) -> Command:
        history = self.history(int(size))
        cmd = self._sqlcompile(key, size, "sqlcompile check (unchanged)", ["check"])
        cmd.prepare = lambda: self._warm_render(history)
        return cmd

    def _render_edited(self, key: str, size: str, kind: str, what: str) -> Command:
        history = self.history(int(size))
        cmd = self._render(
            key, size, f"sqlcompile render --dialect {self.dialect} ({what})", [self.dialect]
        )
        before: dict[str, str] = {}

        def prepare() -> None:
            edit = history.edit(kind)
            if not cmd.notes:
                cmd.notes.append(f"edit: {edit.description}")
            edit.path.write_text(edit.original)
            self._warm_render(history)
            before["sql"] = history.upgrade_file(edit.revision).read_text()
            edit.path.write_text(edit.edited)

        def validate(_outcome: Outcome) -> str | None:
            edit = history.edit(kind)
            if history.upgrade_file(edit.revision).read_text() == before["sql"]:
                return f"the upgrade file of {edit.revision} did not change after the edit"
            return count_files(history, [self.dialect])

        cmd.prepare, cmd.validate = prepare, validate
        cmd.after = lambda: history.restore(kind)
        return cmd

    def render_edit_data(self, key: str, size: str) -> Command:
        return self._render_edited(key, size, "data", "after edit a: an op.execute literal")

    def render_edit_schema(self, key: str, size: str) -> Command:
        return self._render_edited(key, size, "schema", "after edit b: one more column")

    def sqlcompile_heads(self, key: str, size: str) -> Command:
        history = self.history(int(size))
        cmd = self._sqlcompile(key, size, "sqlcompile heads", ["heads"])
        stdout = cmd.stdout = self.out / f"{key.replace('@', '.')}.out"
        cmd.validate = lambda _o: names_revisions(stdout, [history.rev(history.revisions - 1)])
        return cmd

    def sqlcompile_history(self, key: str, size: str) -> Command:
        history = self.history(int(size))
        cmd = self._sqlcompile(key, size, "sqlcompile history", ["history"])
        stdout = cmd.stdout = self.out / f"{key.replace('@', '.')}.out"
        last = history.revisions - 1
        revs = [history.rev(0), history.rev(last // 2), history.rev(last)]
        cmd.validate = lambda _o: names_revisions(stdout, revs)
        return cmd

    def help(self, key: str, size: str) -> Command:
        return Command(
            key, "sqlcompile", "sqlcompile --help", [str(BIN / "sqlcompile"), "--help"], self.out
        )

    def importtime(self, key: str, size: str) -> Command:
        argv = [sys.executable, "-X", "importtime", "-c", "import sqlcompile.cli"]
        return Command(
            key,
            "sqlcompile",
            "import sqlcompile.cli (-X importtime, cumulative)",
            argv,
            self.out,
            importtime=True,
        )

    def _autogen(self, key: str, size: str, tool: str) -> Command:
        root = self.autogen_sizes.setdefault(int(size), self.out / f"autogen_{size}")
        label = {
            "alembic": "alembic revision --autogenerate (SQLite database)",
            "sqlcompile": "sqlcompile revision --autogenerate (offline)",
        }[tool]
        # The projects are written when the group starts (autogen.setup); argv is filled then.
        cmd = Command(key, tool, label, [], root / tool, f"{size} tables")

        def validate(outcome: Outcome) -> str | None:
            script = cmd.cwd / "migrations" / "versions" / autogen.SCRIPT_NAME
            if not script.exists():
                return "no script written"
            ops = autogen.upgrade_ops(script.read_text())
            script.unlink()
            for line in (outcome.stderr).splitlines():
                if line.startswith("warning:") and not line.startswith("warning: data loss:"):
                    if line not in cmd.notes:
                        cmd.notes.append(line)
            if ops != autogen.EXPECTED_OPS:
                expected = autogen.describe(autogen.EXPECTED_OPS)
                return f"wrote {autogen.describe(ops)}, expected {expected}"
            return None

        def prepare() -> None:
            (cmd.cwd / "migrations" / "versions" / autogen.SCRIPT_NAME).unlink(missing_ok=True)

        cmd.prepare, cmd.validate = prepare, validate
        return cmd

    def autogen_alembic(self, key: str, size: str) -> Command:
        return self._autogen(key, size, "alembic")

    def autogen_sqlcompile(self, key: str, size: str) -> Command:
        return self._autogen(key, size, "sqlcompile")

    def setup_autogen(self, tables: int, commands: list[Command]) -> None:
        """Write both autogenerate projects of `tables` tables (autogen.setup) and fill argv."""
        root = self.autogen_sizes[tables]
        shutil.rmtree(root, ignore_errors=True)
        start = time.perf_counter()
        size = autogen.setup(root, tables, self.seed, "sqlite", True)
        print(f"set up {tables} tables in {time.perf_counter() - start:.2f}s: {root}", flush=True)
        for cmd in commands:
            tool = size.sqlcompile if cmd.tool == "sqlcompile" else size.alembic
            cmd.argv, cmd.cwd = tool.argv, tool.cwd


#: The order commands run in within one round (interleaving the two tools).
ORDER = [
    "alembic-up", "render-cold", "alembic-down", "render-six", "alembic-heads",
    "sqlcompile-heads", "alembic-history", "sqlcompile-history", "render-unchanged",
    "check-unchanged", "render-edit-data", "render-edit-schema", "render-cold-jobs1",
    "autogen-alembic", "autogen-sqlcompile", "help", "importtime",
]  # fmt: skip
