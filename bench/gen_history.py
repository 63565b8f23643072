"""Generate a deterministic, realistic linear Alembic migration history for benchmarking."""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

NOUNS = [
    "account", "invoice", "product", "customer", "shipment", "payment", "supplier", "warehouse",
    "employee", "project", "ticket", "contract", "campaign", "region", "device", "booking",
]  # fmt: skip
WORDS = {
    "string": ["email", "title", "code", "label", "color", "source", "reference", "locale"],
    "integer": ["priority", "rating", "version", "quantity", "position"],
    "numeric": ["amount", "weight", "price", "balance", "discount"],
    "boolean": ["is_active", "is_archived", "is_verified", "is_flagged"],
    "text": ["note", "description", "comment", "summary"],
    "timestamp": ["due_at", "verified_at", "closed_at", "synced_at"],
}
KINDS = list(WORDS)
STATUSES = ["new", "active", "archived"]

SQLCOMPILE_TOML = (
    'script_location = "migrations"\noutput_dir = "sql_out"\ndialects = ["postgresql"]\n'
)

ALEMBIC_INI = """\
[alembic]
script_location = migrations
prepend_sys_path = .
path_separator = os
sqlalchemy.url = postgresql://bench@localhost/bench
"""

ENV_PY = '''\
"""Offline-only Alembic environment for the sqlcompile benchmark history."""

from alembic import context

config = context.config


def run_migrations_offline() -> None:
    """Emit the migration SQL as a script, without connecting to a database."""
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    context.configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    raise SystemExit("this benchmark history only supports offline mode (--sql)")
'''

SCRIPT_MAKO = '''\
"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

"""
from alembic import op
import sqlalchemy as sa
${imports if imports else ""}

# revision identifiers, used by Alembic.
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade() -> None:
    """Upgrade schema."""
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    """Downgrade schema."""
    ${downgrades if downgrades else "pass"}
'''

SCRIPT = '''\
"""{message}

Revision ID: {revision}
Revises: {down_revision}
Create Date: {create_date}

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "{revision}"
down_revision = {down_revision_repr}
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Upgrade schema."""
{upgrade}


def downgrade() -> None:
    """Downgrade schema."""
{downgrade}
'''


@dataclass
class Column:
    """A column of the simulated schema."""

    name: str
    kind: str
    size: int = 0
    nullable: bool = True
    default: str | None = None
    altered: bool = False
    unique: bool = False

    def type_src(self) -> str:
        """Return the SQLAlchemy type expression as Python source."""
        if self.kind == "string":
            return f"sa.String(length={self.size})"
        if self.kind == "integer":
            return "sa.BigInteger()" if self.size else "sa.Integer()"
        if self.kind == "numeric":
            return f"sa.Numeric(precision={self.size}, scale=2)"
        return {
            "boolean": "sa.Boolean()",
            "text": "sa.Text()",
            "timestamp": "sa.DateTime(timezone=True)",
        }[self.kind]


@dataclass
class Table:
    """A table of the simulated schema."""

    name: str
    columns: list[Column]
    added: list[Column] = field(default_factory=list)
    indexed: set[str] = field(default_factory=set)
    checks: set[str] = field(default_factory=set)


@dataclass
class Op:
    """One migration operation: upgrade source, downgrade source, statement count."""

    message: str
    upgrade: list[str]
    downgrade: list[str]
    statements: int


def revision_id(index: int, seed: int) -> str:
    """Return the deterministic 12-hex revision id of revision `index`."""
    return hashlib.sha1(f"sqlcompile-bench:{seed}:{index}".encode()).hexdigest()[:12]


def default_src(kind: str, variant: int) -> str:
    """Return a server_default expression (Python source) for a column kind."""
    return {
        "string": q(["n/a", "unknown"][variant]),
        "integer": q(str(variant)),
        "numeric": q(["0", "1.50"][variant]),
        "boolean": ["sa.false()", "sa.true()"][variant],
        "text": q(["", "-"][variant]),
        "timestamp": ['sa.text("now()")', 'sa.text("CURRENT_TIMESTAMP")'][variant],
    }[kind]


def q(value: str | None) -> str:
    """Return a double-quoted Python literal for a string (or None)."""
    return "None" if value is None else json.dumps(value)


def call(name: str, *args: str) -> list[str]:
    """Render an `op.<name>(...)` call, one argument per line when it gets long."""
    one_line = f"    op.{name}({', '.join(args)})"
    if len(one_line) <= 100:
        return [one_line]
    return [f"    op.{name}(", *(f"        {a}," for a in args), "    )"]


class History:
    """Simulated schema state plus the operation generators that evolve it."""

    def __init__(self, seed: int) -> None:
        """Start from an empty schema."""
        self.rng = random.Random(seed)
        self.tables: list[Table] = []
        self.counter = 0
        self.cycle = 0
        self.new_tables: list[Table] = []
        self.kinds: list[Callable[[int], Op | None]] = [
            self.create_table, self.bulk_insert, self.add_column, self.create_index,
            self.alter_column, self.execute, self.create_foreign_key, self.rename_column,
            self.create_check_constraint,
        ]  # fmt: skip

    def next_name(self, words: list[str]) -> str:
        """Return a fresh, globally unique identifier."""
        self.counter += 1
        return f"{self.rng.choice(words)}_{self.counter:04d}"

    def revision_ops(self, rev: int) -> list[Op]:
        """Pick the operations of one revision, cycling through the operation kinds."""
        self.new_tables = []
        budget = self.rng.choice([3, 4, 4, 5, 5, 6])
        ops: list[Op] = []
        while sum(o.statements for o in ops) < budget:
            op = self.kinds[self.cycle % len(self.kinds)](rev)
            self.cycle += 1
            if op is not None:
                ops.append(op)
        return ops

    def create_table(self, rev: int) -> Op:
        """Create a table with a PK, a unique name, server defaults and an FK to an older table."""
        name = f"{self.rng.choice(NOUNS)}_{len(self.tables) + 1:04d}"
        table = Table(
            name,
            [
                Column("id", "integer", nullable=False),
                Column("name", "string", 120, nullable=False),
                Column("status", "string", 20, nullable=False, default='"new"'),
                Column("score", "integer", nullable=False, default='"0"'),
                Column("created_at", "timestamp", nullable=False, default='sa.text("now()")'),
            ],
        )
        table.indexed.add("name")
        parent = self.rng.choice(self.tables) if self.tables else None
        if parent:
            table.columns.append(Column("parent_id", "integer"))
        lines = ["    op.create_table(", f"        {q(name)},"]
        for col in table.columns:
            default = f", server_default={col.default}" if col.default else ""
            lines.append(
                f"        sa.Column({q(col.name)}, {col.type_src()}, "
                f"nullable={col.nullable}{default}),"
            )
        lines.append(f'        sa.PrimaryKeyConstraint("id", name="pk_{name}"),')
        lines.append(f'        sa.UniqueConstraint("name", name="uq_{name}_name"),')
        if parent:
            lines.append(
                f'        sa.ForeignKeyConstraint(["parent_id"], ["{parent.name}.id"], '
                f'name="fk_{name}_parent_id", ondelete="CASCADE"),'
            )
        lines.append("    )")
        self.tables.append(table)
        self.new_tables.append(table)
        return Op(f"create {name} table", lines, call("drop_table", q(name)), 1)

    def bulk_insert(self, rev: int) -> Op | None:
        """Seed a few rows, preferably into a table created in this revision."""
        if not self.tables:
            return None
        table = self.new_tables[-1] if self.new_tables else self.rng.choice(self.tables)
        names = [f"{table.name}-r{rev}-{i}" for i in range(self.rng.choice([2, 3]))]
        var = f"{table.name}_rows"
        lines = [
            f"    {var} = sa.table(",
            f"        {q(table.name)},",
            '        sa.column("name", sa.String()),',
            '        sa.column("status", sa.String()),',
            '        sa.column("score", sa.Integer()),',
            "    )",
            "    op.bulk_insert(",
            f"        {var},",
            "        [",
        ]
        for i, row_name in enumerate(names):
            status, score = STATUSES[i % 2], self.rng.randint(0, 100)
            lines.append(
                f'            {{"name": {q(row_name)}, "status": {q(status)}, "score": {score}}},'
            )
        lines += ["        ],", "    )"]
        in_list = ", ".join(f"'{n}'" for n in names)
        down = [f'    op.execute("DELETE FROM {table.name} WHERE name IN ({in_list})")']
        return Op(f"seed {table.name}", lines, down, len(names))

    def add_column(self, rev: int) -> Op | None:
        """Add a column, NOT NULL with a server default or plain nullable."""
        if not self.tables:
            return None
        table = self.rng.choice(self.tables)
        kind = self.rng.choice(KINDS)
        col = Column(self.next_name(WORDS[kind]), kind)
        col.size = {"string": self.rng.choice([20, 40, 80, 255]), "numeric": 10}.get(kind, 0)
        if self.rng.random() < 0.5:
            col.nullable, col.default = False, default_src(kind, 0)
        default = f", server_default={col.default}" if col.default else ""
        sa_col = f"sa.Column({q(col.name)}, {col.type_src()}, nullable={col.nullable}{default})"
        table.columns.append(col)
        table.added.append(col)
        up = call("add_column", q(table.name), sa_col)
        down = call("drop_column", q(table.name), q(col.name))
        return Op(f"add {col.name} to {table.name}", up, down, 1)

    def create_index(self, rev: int) -> Op | None:
        """Index a not yet indexed column (sometimes unique on a fresh column)."""
        candidates = [(t, c) for t in self.tables for c in t.columns[2:] if c.name not in t.indexed]
        if not candidates:
            return None
        table, col = self.rng.choice(candidates)
        table.indexed.add(col.name)
        name = f"ix_{table.name}_{col.name}"
        args = [q(name), q(table.name), f"[{q(col.name)}]"]
        if col in table.added and col.default is None and not col.altered:
            if self.rng.random() < 0.2:
                col.unique = True
                args.append("unique=True")
        up = call("create_index", *args)
        down = call("drop_index", q(name), f"table_name={q(table.name)}")
        return Op(f"index {table.name}.{col.name}", up, down, 1)

    def alter_column(self, rev: int) -> Op | None:
        """Widen the type, relax NOT NULL and change the server default of an added column."""
        candidates = [(t, c) for t in self.tables for c in t.added if not (c.altered or c.unique)]
        if not candidates:
            return None
        table, col = self.rng.choice(candidates)
        col.altered = True
        old = Column(col.name, col.kind, col.size, col.nullable, col.default)
        if col.kind == "string":
            col.size *= 2
        elif col.kind == "integer":
            col.size = 1
        elif col.kind == "numeric":
            col.size += 4
        col.nullable = True
        col.default = default_src(col.kind, 1)

        def alter(src: Column, dst: Column) -> list[str]:
            args = [q(table.name), q(col.name), f"existing_type={src.type_src()}"]
            if dst.type_src() != src.type_src():
                args.append(f"type_={dst.type_src()}")
            if dst.nullable != src.nullable:
                args.append(f"nullable={dst.nullable}")
            else:
                args.append(f"existing_nullable={src.nullable}")
            args.append(f"server_default={dst.default}")
            if src.default:
                args.append(f"existing_server_default={src.default}")
            return call("alter_column", *args)

        statements = 1 + (old.type_src() != col.type_src()) + (old.nullable != col.nullable)
        return Op(f"alter {table.name}.{col.name}", alter(old, col), alter(col, old), statements)

    def execute(self, rev: int) -> Op | None:
        """Run a raw data-migration UPDATE (not reversed on downgrade)."""
        if not self.tables:
            return None
        table = self.rng.choice(self.tables)
        if self.rng.random() < 0.5:
            sql = f"UPDATE {table.name} SET status = 'active' WHERE status = 'new' AND score >= 50"
        else:
            sql = f"UPDATE {table.name} SET score = score + 1 WHERE status <> 'archived'"
        return Op(f"backfill {table.name}", [f"    op.execute({q(sql)})"], [], 1)

    def create_foreign_key(self, rev: int) -> Op | None:
        """Add a nullable reference column plus a named foreign key to another table."""
        if len(self.tables) < 2:
            return None
        source, target = self.rng.sample(self.tables, 2)
        col = Column(f"{target.name}_id", "integer")
        if any(c.name == col.name for c in source.columns):
            return None
        source.columns.append(col)
        fk = f"fk_{source.name}_{col.name}"
        up = call(
            "add_column",
            q(source.name),
            f"sa.Column({q(col.name)}, sa.Integer(), nullable=True)",
        ) + call(
            "create_foreign_key",
            q(fk), q(source.name), q(target.name), f"[{q(col.name)}]", '["id"]',
            'ondelete="SET NULL"',
        )  # fmt: skip
        down = call("drop_constraint", q(fk), q(source.name), 'type_="foreignkey"')
        down += call("drop_column", q(source.name), q(col.name))
        return Op(f"link {source.name} to {target.name}", up, down, 2)

    def rename_column(self, rev: int) -> Op | None:
        """Rename an added column via alter_column(new_column_name=...)."""
        candidates = [(t, c) for t in self.tables for c in t.added]
        if not candidates:
            return None
        table, col = self.rng.choice(candidates)
        old_name, new_name = col.name, self.next_name(WORDS[col.kind])
        if old_name in table.indexed:
            table.indexed.add(new_name)
        col.name = new_name

        def rename(src: str, dst: str) -> list[str]:
            return call(
                "alter_column",
                q(table.name), q(src), f"new_column_name={q(dst)}",
                f"existing_type={col.type_src()}", f"existing_nullable={col.nullable}",
            )  # fmt: skip

        msg = f"rename {table.name}.{old_name} to {new_name}"
        return Op(msg, rename(old_name, new_name), rename(new_name, old_name), 1)

    def create_check_constraint(self, rev: int) -> Op | None:
        """Add a named CHECK constraint on score or status."""
        candidates = [(t, c) for t in self.tables for c in ("score", "status") if c not in t.checks]
        if not candidates:
            return None
        table, col = self.rng.choice(candidates)
        table.checks.add(col)
        if col == "score":
            name, cond = f"ck_{table.name}_score_positive", "score >= 0"
        else:
            name, cond = f"ck_{table.name}_status", "status IN ('new', 'active', 'archived')"
        up = call("create_check_constraint", q(name), q(table.name), q(cond))
        down = call("drop_constraint", q(name), q(table.name), 'type_="check"')
        return Op(f"check {table.name}.{col}", up, down, 1)


def write_setup(dest: Path) -> None:
    """Write sqlcompile.toml and the Alembic configuration next to the versions."""
    (dest / "migrations" / "versions").mkdir(parents=True, exist_ok=True)
    (dest / "sqlcompile.toml").write_text(SQLCOMPILE_TOML)
    (dest / "alembic.ini").write_text(ALEMBIC_INI)
    (dest / "migrations" / "env.py").write_text(ENV_PY)
    (dest / "migrations" / "script.py.mako").write_text(SCRIPT_MAKO)


def generate(dest: Path, revisions: int = 1000, seed: int = 0) -> None:
    """Write a deterministic linear history of `revisions` migration scripts into `dest`."""
    write_setup(dest)
    versions = dest / "migrations" / "versions"
    for old in versions.glob("*.py"):
        old.unlink()
    history = History(seed)
    start = datetime(2024, 1, 1, 9, 0, 0)
    down_revision: str | None = None
    for index in range(revisions):
        revision = revision_id(index, seed)
        ops = history.revision_ops(index)
        message = "; ".join(o.message for o in ops[:2]) + (" and more" if len(ops) > 2 else "")
        downgrade = [line for o in reversed(ops) for line in o.downgrade] or ["    pass"]
        source = SCRIPT.format(
            message=message,
            revision=revision,
            down_revision=down_revision or "",
            down_revision_repr=q(down_revision),
            create_date=(start + timedelta(hours=index)).isoformat(sep=" "),
            upgrade="\n".join(line for o in ops for line in o.upgrade),
            downgrade="\n".join(downgrade),
        )
        (versions / f"{index:05d}_{revision}.py").write_text(source)
        down_revision = revision


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dest", type=Path, help="directory to write the project into")
    parser.add_argument("--revisions", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    generate(args.dest, args.revisions, args.seed)
    print(f"wrote {args.revisions} revisions to {args.dest / 'migrations' / 'versions'}")


if __name__ == "__main__":
    main()
