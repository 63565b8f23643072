"""The index InnoDB makes for a foreign key, on real MariaDB: histories that drop a key, give
its name again, and add and drop the only other index that serves a key, applied up and down;
the database must then equal the schema model (no index left behind) and the downgrades must
leave only the version table (`test_schema_property._check`).

Found by the autogenerate property test (`test_autogen_property`)."""

from __future__ import annotations

from pathlib import Path

import dbs
import pytest
import sqlc_project as sp
from test_schema_property import _check

HEAD = 'from alembic import op\nimport sqlalchemy as sa\n\nrevision = {rev!r}\n' \
       'down_revision = {parent!r}\n\n\ndef upgrade():\n{up}\n\n\ndef downgrade():\n{down}\n'
CREATE = ('op.create_table("t1", sa.Column("id", sa.Integer(), primary_key=True), '
          'sa.Column("c1", sa.Integer()), sa.Column("c2", sa.Integer()), '
          'sa.ForeignKeyConstraint(["c1"], ["t1.id"], name="fk1"))')


def _history(root: Path, steps: list[tuple[str, str]]) -> None:
    scripts = {}
    parent = None
    for i, (up, down) in enumerate(steps, 1):
        rev = f"r{i:02d}"
        scripts[f"{rev}.py"] = HEAD.format(
            rev=rev, parent=parent, up="\n".join(f"    {line}" for line in up.splitlines()),
            down="\n".join(f"    {line}" for line in down.splitlines()))
        parent = rev
    sp.write_history(root, scripts)


def _fk(column: str) -> str:
    return f'op.create_foreign_key("fk1", "t1", "t1", [{column!r}], ["id"])'


DROP_FK = 'op.drop_constraint("fk1", "t1", type_="foreignkey")'


def test_foreign_key_dropped_and_its_name_given_again(tmp_path: Path,
                                                      mariadb_db: dbs.MariaDB) -> None:
    """InnoDB keeps the index it made for a foreign key after DROP FOREIGN KEY: it was left in
    the database (an index the model does not have), and a key of the same name on another
    column then failed with "Duplicate key name"."""
    _history(tmp_path, [
        (CREATE, 'op.drop_table("t1")'),
        (f"{DROP_FK}\n{_fk('c2')}", f"{DROP_FK}\n{_fk('c1')}"),
        (DROP_FK, _fk("c2")),
    ])
    _check(tmp_path, mariadb_db, "mariadb")


@pytest.mark.parametrize("create, drop", [
    ('op.create_unique_constraint("k1", "t1", ["c1"])',
     'op.drop_constraint("k1", "t1", type_="unique")'),
    ('op.create_index("k1", "t1", ["c1"])', 'op.drop_index("k1", table_name="t1")'),
], ids=["unique", "index"])
def test_only_index_serving_a_foreign_key_dropped_twice(tmp_path: Path, mariadb_db: dbs.MariaDB,
                                                        create: str, drop: str) -> None:
    """A unique key or index on a foreign key's column takes over from the index InnoDB made
    for the key (InnoDB drops that one). Dropping the unique key failed ("needed in a foreign
    key constraint"); dropping the index created an ordinary index in its place, which InnoDB
    keeps when another index comes, so the second drop failed ("Duplicate key name")."""
    _history(tmp_path, [
        (CREATE, 'op.drop_table("t1")'),
        (create, drop), (drop, create), (create, drop), (drop, create),
    ])
    _check(tmp_path, mariadb_db, "mariadb")
