"""A foreign key dropped and added again in one migration (to change its ON DELETE, as CTFd's
history does), on real MariaDB: the index InnoDB made for the dropped key is not dropped when
a key added later in the same upgrade() or downgrade() is on the same columns. The indexes
then equal those of Alembic's offline SQL applied to another database, the database equals
the schema model (`test_schema_property._check`), and a later revision that drops the key for
good still finds its index. Without such a later key, the index is dropped as before."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dbs
import pytest
import sqlc_project as sp
from test_mysql_foreign_key_indexes import _history
from test_schema_property import _check

CREATE = '''\
op.create_table("teams", sa.Column("id", sa.Integer(), primary_key=True))
op.create_table(
    "awards",
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id")),
)'''
DROP_TABLES = 'op.drop_table("awards")\nop.drop_table("teams")'


def _fk(name: str | None, extra: str = "") -> str:
    return f'op.create_foreign_key({name!r}, "awards", "teams", ["team_id"], ["id"]{extra})'


CASCADING = ', ondelete="CASCADE"'


def _drop(name: str) -> str:
    return f'op.drop_constraint({name!r}, "awards", type_="foreignkey")'


#: CTFd's revision: the key created unnamed (InnoDB names it awards_ibfk_1, its index team_id)
#: is dropped by that name and added again with ON DELETE CASCADE; the downgrade undoes it.
CASCADE = (f'{_drop("awards_ibfk_1")}\n{_fk("awards_ibfk_1", CASCADING)}',
           f'{_drop("awards_ibfk_1")}\n{_fk("awards_ibfk_1")}')
#: A later revision that drops the key for good.
DROP_FOR_GOOD = (_drop("awards_ibfk_1"), _fk("awards_ibfk_1"))

ALEMBIC_ENV = '''\
from alembic import context

context.configure(url=context.config.get_main_option("sqlalchemy.url"), literal_binds=True)
with context.begin_transaction():
    context.run_migrations()
'''
ALEMBIC_RUNNER = '''\
import sys
from alembic import command
from alembic.config import Config

location, direction, target = sys.argv[1:]
config = Config()
config.set_main_option("script_location", location)
config.set_main_option("sqlalchemy.url", "mariadb://")
getattr(command, direction)(config, target, sql=True)
'''


def _alembic(root: Path, direction: str, target: str) -> str:
    """Alembic's offline SQL (`alembic upgrade/downgrade TARGET --sql`) for MariaDB."""
    env = root / "migrations" / "env.py"
    if not env.exists():
        env.write_text(ALEMBIC_ENV, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-c", ALEMBIC_RUNNER, str(root / "migrations"),
                           direction, target], cwd=root, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout.decode()


def _indexes(db: dbs.MariaDB, table: str) -> list[tuple[str, str]]:
    """(index name, its columns) of ``table``, the primary key left out."""
    rows = db.query(
        "SELECT index_name, GROUP_CONCAT(column_name ORDER BY seq_in_index) "
        "FROM information_schema.statistics WHERE table_schema = %s AND table_name = %s "
        "AND index_name <> 'PRIMARY' GROUP BY index_name ORDER BY index_name",
        [db.name, table])
    return [(str(name), str(columns)) for name, columns in rows]


def _file(root: Path, dialect: str, direction: str, number: int) -> str:
    rendered = sp.render(root, dialect)
    return sp.sql_text(getattr(rendered, direction)[number - 1])


def test_key_added_again_keeps_the_index(tmp_path: Path, mariadb_db: dbs.MariaDB) -> None:
    """No DROP INDEX between the DROP FOREIGN KEY and the ADD, either way; the database equals
    the model after the upgrades, and the downgrades leave only the version table."""
    _history(tmp_path, [(CREATE, DROP_TABLES), CASCADE])
    # (the upgrade's key was created unnamed: its index is named after its column)
    for direction, index in (("upgrade", "team_id"), ("downgrade", "awards_ibfk_1")):
        sql = _file(tmp_path, "mariadb", direction, 2)
        assert "DROP INDEX" not in sql
        assert (f"-- MariaDB made index {index} for foreign key awards_ibfk_1 and keeps it after "
                "the key is dropped: foreign key awards_ibfk_1, added later in this migration, "
                "gets an index of its own, which replaces it") in sql
        assert "ALTER TABLE awards DROP FOREIGN KEY awards_ibfk_1;" in sql
        assert "ON DELETE CASCADE" in sql if direction == "upgrade" else "CASCADE" not in sql
    _check(tmp_path, mariadb_db, "mariadb")


def test_indexes_as_alembic_gives_them(tmp_path: Path, mariadb_db: dbs.MariaDB) -> None:
    """Each step, up and down, leaves awards with the indexes (names and columns) that
    Alembic's offline SQL of the same step leaves in another database."""
    _history(tmp_path, [(CREATE, DROP_TABLES), CASCADE])
    ours = sp.render(tmp_path, "mariadb")
    theirs = [_alembic(tmp_path, "upgrade", "r01"), _alembic(tmp_path, "upgrade", "r01:r02"),
              _alembic(tmp_path, "downgrade", "r02:r01")]
    steps = [ours.upgrade[0], ours.upgrade[1], ours.downgrade[1]]
    seen = []
    with dbs.mariadb_scratch() as other:
        for mine, alembic_sql in zip(steps, theirs, strict=True):
            sp.apply_ok(mariadb_db, mine)
            sp.apply_ok(other, alembic_sql)
            assert _indexes(mariadb_db, "awards") == _indexes(other, "awards")
            seen.append(_indexes(mariadb_db, "awards"))
    # (MariaDB replaces the index named after the column by one named after the key.)
    assert seen == [[("team_id", "team_id")], [("awards_ibfk_1", "team_id")],
                    [("awards_ibfk_1", "team_id")]]


def test_key_dropped_for_good_later(tmp_path: Path, mariadb_db: dbs.MariaDB) -> None:
    """After the key was added again, a later revision that drops it alone drops the index
    InnoDB uses for it (by the key's name), and its downgrade adds the key back."""
    _history(tmp_path, [(CREATE, DROP_TABLES), CASCADE, DROP_FOR_GOOD])
    sql = _file(tmp_path, "mariadb", "upgrade", 3)
    assert "DROP INDEX awards_ibfk_1 ON awards;" in sql
    _check(tmp_path, mariadb_db, "mariadb")
    assert _indexes(mariadb_db, "awards") == []


@pytest.mark.parametrize("first, again", [
    ("fk1", "fk1"), ("fk1", None), (None, "fk2"), (None, None),
], ids=["same-name", "named-then-unnamed", "unnamed-then-named", "unnamed-both"])
def test_names_of_the_old_and_new_key(tmp_path: Path, mariadb_db: dbs.MariaDB,
                                      first: str | None, again: str | None) -> None:
    """Whatever the old and the new key are called, the index is kept for the new one, the
    database equals the model, and a third revision drops the new key for good."""
    create = CREATE.replace('sa.ForeignKey("teams.id")',
                            f'sa.ForeignKey("teams.id", name={first!r})')
    old = first or "awards_ibfk_1"
    new = again or "awards_ibfk_1"  # (an unnamed key: the first of the table)
    _history(tmp_path, [
        (create, DROP_TABLES),
        (f'{_drop(old)}\n{_fk(again, CASCADING)}',
         f'{_drop(new)}\n{_fk(first)}'),
        (_drop(new), _fk(again, CASCADING)),
    ])
    assert "DROP INDEX" not in _file(tmp_path, "mariadb", "upgrade", 2)
    _check(tmp_path, mariadb_db, "mariadb")


@pytest.mark.parametrize("up, down", [
    (_drop("awards_ibfk_1"), _fk("awards_ibfk_1")),
    (f'{_drop("awards_ibfk_1")}\nop.drop_column("awards", "team_id")\n'
     'op.add_column("awards", sa.Column("team_id", sa.Integer()))\n' + _fk("awards_ibfk_1"),
     f'{_drop("awards_ibfk_1")}\nop.drop_column("awards", "team_id")\n'
     'op.add_column("awards", sa.Column("team_id", sa.Integer()))\n' + _fk("awards_ibfk_1")),
], ids=["not-added-again", "column-dropped-between"])
def test_index_dropped_when_no_key_takes_it(tmp_path: Path, mariadb_db: dbs.MariaDB,
                                            up: str, down: str) -> None:
    """With no later key on the columns (or the column dropped before it), the index InnoDB
    made goes with the key, as before."""
    _history(tmp_path, [(CREATE, DROP_TABLES), (up, down)])
    assert "DROP INDEX team_id ON awards;" in _file(tmp_path, "mariadb", "upgrade", 2)
    _check(tmp_path, mariadb_db, "mariadb")


def test_mysql_keeps_the_index_only_under_the_new_keys_name(tmp_path: Path) -> None:
    """MySQL has a new key use the index that serves it, under its own name: kept when that is
    the name the model gives the new key's index (same key name), else dropped as before (so
    that a later DROP INDEX of the key's index finds it)."""
    _history(tmp_path, [(CREATE.replace('sa.ForeignKey("teams.id")',
                                        'sa.ForeignKey("teams.id", name="fk1")'), DROP_TABLES),
                        (f'{_drop("fk1")}\n{_fk("fk1", CASCADING)}',
                         f'{_drop("fk1")}\n{_fk("fk1")}')])
    sql = _file(tmp_path, "mysql", "upgrade", 2)
    assert "DROP INDEX" not in sql
    assert ("-- MySQL made index fk1 for foreign key fk1 and keeps it after the key is dropped: "
            "foreign key fk1, added later in this migration, uses it") in sql

    other = tmp_path / "ctfd"
    _history(other, [(CREATE, DROP_TABLES), CASCADE])
    assert "DROP INDEX team_id ON awards;" in _file(other, "mysql", "upgrade", 2)
