"""The names MySQL and MariaDB give constraints a statement leaves unnamed.

Foreign keys are ``<table>_ibfk_<n>`` (n one more than the table's highest, and RENAME TABLE
renames them), a unique key takes its first column's name (``<col>_2``, ``<col>_3``... when
taken), a CHECK is named by the dialect (``check_name``), the primary key is ``PRIMARY``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from sqlcompile.schema.model import CheckModel, ForeignKeyModel, KeyModel, TableModel

#: How a dialect names an unnamed CHECK of a table, given the checks named so far.
CheckNamer = Callable[[TableModel, CheckModel, list[CheckModel]], str]


def server_names(table: TableModel, check_infix: str, check_name: CheckNamer) -> TableModel:
    """``table`` with a server name on each constraint it leaves unnamed."""
    fks = tuple(renamed_generated(f, table.name, "ibfk") for f in table.foreign_keys)
    checks = tuple(renamed_generated(c, table.name, check_infix)
                   for c in table.checks)
    table = replace(table, foreign_keys=fks, checks=checks)
    if all(c.server_name is not None for c in table.unnamed_constraints(None)):
        return table
    new_fks: list[ForeignKeyModel] = []
    for fk in table.foreign_keys:
        if fk.name is None and fk.server_name is None:
            number = highest(new_fks + list(table.foreign_keys), table.name, "ibfk") + 1
            fk = replace(fk, server_name=f"{table.name}_ibfk_{number}")
        new_fks.append(fk)
    uniques: list[KeyModel] = []
    for unique in table.uniques:
        if unique.name is None and unique.server_name is None and unique.columns:
            taken = index_names(table, uniques)
            unique = replace(unique, server_name=free(unique.columns[0], taken))
        uniques.append(unique)
    new_checks: list[CheckModel] = []
    for check in table.checks:
        if check.name is None and check.server_name is None:
            check = replace(check, server_name=check_name(
                table, check, new_checks + list(table.checks)))
        new_checks.append(check)
    primary = table.primary_key
    if primary is not None and primary.name is None and primary.server_name is None:
        primary = replace(primary, server_name="PRIMARY")  # every primary key's name
    return replace(table, primary_key=primary, foreign_keys=tuple(new_fks),
                   uniques=tuple(uniques), checks=tuple(new_checks))


def highest(items: Sequence[Any], table: str, infix: str) -> int:
    """The highest n of the names ``<table>_<infix>_<n>`` among ``items`` (0 if none)."""
    pattern = re.compile(rf"{re.escape(table)}_{infix}_([0-9]+)", re.IGNORECASE)
    numbers = [int(m.group(1)) for i in items for n in (i.name, i.server_name)
               if n and (m := pattern.fullmatch(n))]
    return max(numbers, default=0)


def index_names(table: TableModel, more: Sequence[KeyModel]) -> set[str]:
    """The index names of ``table`` (unique keys included, and ``more``), in lower case."""
    names = [ix.name for ix in table.indexes] + [
        u.name or u.server_name for u in (*table.uniques, *more)]
    return {n.lower() for n in [*names, "PRIMARY"] if n}


def free(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``... the first not in ``taken`` (lower case), as
    MySQL names an index (or unique key) that its statement leaves unnamed."""
    found, number = name, 2
    while found.lower() in taken:
        found, number = f"{name}_{number}", number + 1
    return found


def renamed_generated(item: Any, table: str, infix: str) -> Any:
    """``item`` with its generated name ``<old table>_<infix>_<n>`` renamed after ``table``,
    as RENAME TABLE does."""
    name = item.server_name
    match = re.fullmatch(rf"(.*)_{infix}_([0-9]+)", name) if name and item.name is None \
        else None
    if match is None or match.group(1) == table:
        return item
    return replace(item, server_name=f"{table}_{infix}_{match.group(2)}")
