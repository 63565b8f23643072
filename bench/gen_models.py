"""Generate a deterministic, realistic SQLAlchemy models module and a changed version of it.

The base models hold `tables` tables of 5-12 columns (varied types, server defaults, comments),
each with a primary key, foreign keys to earlier tables, unique constraints, indexes and checks.
The changed models differ from them by a handful of changes that every autogenerate finds:
a new table (with an index), an added column, a widened type, a column made NOT NULL, a dropped
index, a new index and a dropped column. `EXPECTED_OPS` counts the `op.*` calls they take.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

NOUNS = [
    "account", "invoice", "product", "customer", "shipment", "payment", "supplier", "warehouse",
    "employee", "project", "ticket", "contract", "campaign", "region", "device", "booking",
]  # fmt: skip
WORDS = {
    "string": ["email", "title", "code", "label", "color", "source", "reference", "locale"],
    "integer": ["priority", "rating", "revision", "quantity", "position"],
    "bigint": ["external_id", "byte_count", "views"],
    "numeric": ["amount", "weight", "price", "balance", "discount"],
    "float": ["latitude", "longitude", "ratio"],
    "boolean": ["is_active", "is_archived", "is_verified", "is_flagged"],
    "text": ["note", "description", "body", "summary"],
    "timestamp": ["due_at", "verified_at", "closed_at", "synced_at"],
    "date": ["valid_from", "valid_until", "birth_date"],
}
KINDS = list(WORDS)
ON_DELETE = [None, None, "CASCADE", "SET NULL"]

#: The `op.*` calls of the upgrade that brings the base models to the changed ones.
EXPECTED_OPS = Counter(
    {
        "create_table": 1,
        "create_index": 2,
        "add_column": 1,
        "alter_column": 2,
        "drop_index": 1,
        "drop_column": 1,
    }
)

HEADER = '''\
"""Generated models for the sqlcompile autogenerate benchmark ({variant}: {count} tables)."""

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={{
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }}
)
'''


@dataclass
class Column:
    """A column of a generated table."""

    name: str
    kind: str
    size: int = 0
    nullable: bool = True
    default: str | None = None
    comment: str | None = None
    references: str | None = None
    ondelete: str | None = None

    def type_src(self) -> str:
        """Return the SQLAlchemy type expression as Python source."""
        if self.kind == "string":
            return f"sa.String({self.size})"
        if self.kind == "numeric":
            return f"sa.Numeric({self.size}, 2)"
        return {
            "integer": "sa.Integer()",
            "bigint": "sa.BigInteger()",
            "float": "sa.Float()",
            "boolean": "sa.Boolean()",
            "text": "sa.Text()",
            "timestamp": "sa.DateTime(timezone=True)",
            "date": "sa.Date()",
        }[self.kind]

    def source(self) -> str:
        """Return the `sa.Column(...)` expression as Python source."""
        args = [q(self.name), self.type_src()]
        if self.references:
            ondelete = f", ondelete={q(self.ondelete)}" if self.ondelete else ""
            args.append(f"sa.ForeignKey({q(self.references + '.id')}{ondelete})")
        if self.name == "id":
            args.append("primary_key=True")
        args.append(f"nullable={self.nullable}")
        if self.default:
            args.append(f"server_default={self.default}")
        if self.comment:
            args.append(f"comment={q(self.comment)}")
        return f"sa.Column({', '.join(args)})"


@dataclass
class Table:
    """A generated table: columns, then unique constraints, indexes and checks by column."""

    name: str
    columns: list[Column]
    comment: str | None = None
    uniques: list[tuple[str, ...]] = field(default_factory=list)
    indexes: list[tuple[str, ...]] = field(default_factory=list)
    checks: list[tuple[str, str]] = field(default_factory=list)  # (name, condition)

    def column(self, name: str) -> Column:
        """Return the column called `name`."""
        return next(c for c in self.columns if c.name == name)

    def source(self) -> str:
        """Return the `sa.Table(...)` statement as Python source."""
        var = f"t_{self.name}"
        lines = [f"{var} = sa.Table(", f"    {q(self.name)},", "    metadata,"]
        lines += [f"    {c.source()}," for c in self.columns]
        lines += [f"    sa.UniqueConstraint({', '.join(map(q, u))})," for u in self.uniques]
        lines += [
            f"    sa.CheckConstraint({q(cond)}, name={q(name)})," for name, cond in self.checks
        ]
        if self.comment:
            lines.append(f"    comment={q(self.comment)},")
        lines.append(")")
        lines += [f"sa.Index(None, {', '.join(f'{var}.c.{c}' for c in ix)})" for ix in self.indexes]
        return "\n".join(lines)


def q(value: str | None) -> str:
    """Return a double-quoted Python literal for a string (or None)."""
    return "None" if value is None else json.dumps(value)


def default_src(kind: str, rng: random.Random) -> str:
    """Return a server_default expression (Python source) for a column kind. No empty strings:
    Alembic reports `server_default=""` on SQLite as changed on every run."""
    choices = {
        "string": ['"n/a"', '"unknown"', '"-"'],
        "integer": ['"0"', '"1"'],
        "bigint": ['"0"'],
        "numeric": ['"0"', '"1.50"'],
        "float": ['"0"'],
        "boolean": ["sa.false()", "sa.true()"],
        "text": ['"-"'],
        "timestamp": ['sa.text("CURRENT_TIMESTAMP")'],
        "date": ['sa.text("CURRENT_DATE")'],
    }[kind]
    return rng.choice(choices)


class Generator:
    """Build the base tables, then the changed copy of them."""

    def __init__(self, seed: int) -> None:
        """Start with no tables."""
        self.rng = random.Random(seed)
        self.tables: list[Table] = []

    def table(self, index: int) -> Table:
        """Return a new table with a PK, typed columns, FKs to earlier tables and constraints."""
        rng = self.rng
        name = f"{rng.choice(NOUNS)}_{index:04d}"
        id_kind = "bigint" if rng.random() < 0.2 else "integer"
        columns = [Column("id", id_kind, nullable=False)]
        table = Table(name, columns, comment=f"The {name.replace('_', ' ')} records")
        if self.tables and rng.random() < 0.7:
            for parent in rng.sample(self.tables[-200:], min(len(self.tables), rng.choice([1, 2]))):
                ondelete = rng.choice(ON_DELETE)
                columns.append(
                    Column(
                        f"{parent.name}_id",
                        parent.column("id").kind,
                        nullable=ondelete == "SET NULL" or rng.random() < 0.3,
                        references=parent.name,
                        ondelete=ondelete,
                    )
                )
        wanted = rng.randint(5, 12)
        while len(columns) < wanted:
            kind = rng.choice(KINDS)
            col_name = f"{rng.choice(WORDS[kind])}_{len(columns)}"
            size = {"string": rng.choice([20, 40, 80, 255]), "numeric": rng.choice([10, 12])}
            col = Column(col_name, kind, size.get(kind, 0), nullable=rng.random() < 0.5)
            if not col.nullable or rng.random() < 0.3:
                col.default = default_src(kind, rng)
            if rng.random() < 0.25:
                col.comment = f"{kind} value {col_name}"
            columns.append(col)
        plain = [c for c in columns[1:] if c.references is None]
        strings = [c for c in plain if c.kind == "string"]
        if strings:
            table.uniques.append((rng.choice(strings).name,))
        refs = [c.name for c in columns if c.references]
        for col in refs:
            table.indexes.append((col,))
        unique_cols = {u[0] for u in table.uniques}
        indexable = [c for c in plain if c.kind not in ("text", "boolean")]
        indexable = [c for c in indexable if c.name not in unique_cols]
        if indexable:
            first = rng.choice(indexable)
            if len(indexable) > 1 and rng.random() < 0.3:
                second = rng.choice([c for c in indexable if c is not first])
                table.indexes.append((first.name, second.name))
            else:
                table.indexes.append((first.name,))
        numbers = [c for c in plain if c.kind in ("integer", "numeric", "bigint")]
        for col in rng.sample(numbers, min(len(numbers), rng.choice([0, 1, 1, 2]))):
            table.checks.append((f"{col.name}_non_negative", f"{col.name} >= 0"))
        return table

    def base(self, count: int) -> list[Table]:
        """Return `count` tables, each referring only to tables before it."""
        for index in range(1, count + 1):
            self.tables.append(self.table(index))
        return self.tables

    def changed(self) -> list[Table]:
        """Return a copy of the base tables with the handful of changes of EXPECTED_OPS."""
        tables = copy.deepcopy(self.tables)
        order = list(range(len(tables)))
        random.Random(len(tables)).shuffle(order)

        def pick(fits: Callable[[Table], bool]) -> Table:
            """Take a table not changed yet that `fits` (each change gets its own table)."""
            index = next(i for i in order if fits(tables[i]))
            order.remove(index)
            return tables[index]

        def used(table: Table) -> set[str]:
            """The columns a unique constraint, an index or a check refers to."""
            groups = (
                *table.uniques,
                *table.indexes,
                *((cond.split()[0],) for _, cond in table.checks),
            )
            return {c for group in groups for c in group}

        def free(table: Table) -> list[Column]:
            """The columns a change may touch: no key, constraint, check or index uses them."""
            return [
                c for c in table.columns[1:] if c.references is None and c.name not in used(table)
            ]

        # A new table referring to the first table, with an index on its foreign key.
        first = tables[0]
        ref = Column(
            f"{first.name}_id",
            first.column("id").kind,
            nullable=False,
            references=first.name,
            ondelete="CASCADE",
        )
        new = Table(
            "audit_entry",
            [
                Column("id", "integer", nullable=False),
                ref,
                Column("action", "string", 40, nullable=False, default='"update"'),
                Column(
                    "recorded_at",
                    "timestamp",
                    nullable=False,
                    default='sa.text("CURRENT_TIMESTAMP")',
                ),
                Column("detail", "text", comment="What changed, as JSON text"),
            ],
            comment="Changes made to the records",
            indexes=[(ref.name,)],
        )
        # An added nullable column.
        pick(lambda t: True).columns.append(Column("archived_at", "timestamp"))
        # A widened string type.
        table = pick(lambda t: any(c.kind == "string" for c in free(t)))
        next(c for c in free(table) if c.kind == "string").size *= 2
        # A nullable column made NOT NULL.
        table = pick(lambda t: any(c.nullable for c in free(t)))
        next(c for c in free(table) if c.nullable).nullable = False
        # A dropped index (on a column that is not a foreign key), and a new index elsewhere.
        table = pick(lambda t: any(not t.column(ix[0]).references for ix in t.indexes))
        table.indexes.remove(next(ix for ix in table.indexes if not table.column(ix[0]).references))
        table = pick(lambda t: any(c.kind != "text" for c in free(t)))
        table.indexes.append((next(c for c in free(table) if c.kind != "text").name,))
        # A dropped column.
        table = pick(lambda t: bool(free(t)))
        table.columns.remove(free(table)[-1])
        tables.append(new)
        return tables


def render(tables: list[Table], variant: str) -> str:
    """Return the models module source for `tables`."""
    body = "\n\n".join(t.source() for t in tables)
    return HEADER.format(variant=variant, count=len(tables)) + "\n\n" + body + "\n"


def generate(count: int, seed: int = 0) -> tuple[str, str]:
    """Return the base and the changed models module sources for `count` tables."""
    if count < 6:
        raise ValueError("the changed models need at least 6 tables")
    gen = Generator(seed)
    base = gen.base(count)
    return render(base, "base"), render(gen.changed(), "changed")


def main() -> None:
    """Command-line entry point: write models_base.py and models.py into a folder."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dest", type=Path, help="directory to write the two modules into")
    parser.add_argument("--tables", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    base, changed = generate(args.tables, args.seed)
    args.dest.mkdir(parents=True, exist_ok=True)
    (args.dest / "models_base.py").write_text(base)
    (args.dest / "models.py").write_text(changed)
    print(f"wrote {args.dest / 'models_base.py'} and {args.dest / 'models.py'}")


if __name__ == "__main__":
    main()
