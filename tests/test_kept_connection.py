"""A connection a script keeps from an earlier revision (a helper module caching
`op.get_bind()`, as real histories do: Alembic runs every revision on one connection) records
into, and answers schema reads for, the revision that uses it."""

from __future__ import annotations

from pathlib import Path

import dbs
import histories as h
import sqlc_project as sp

HELPER = '''from alembic import op

_bind = None


def bind():
    global _bind
    if _bind is None:
        _bind = op.get_bind()
    return _bind
'''


def _project(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "kept_bind_helper.py").write_text(HELPER, encoding="utf-8")
    scripts = {
        "a1.py": h.script("a1", None, """
            op.create_table("t", sa.Column("id", sa.Integer, primary_key=True),
                            sa.Column("n", sa.Integer))
            kept_bind_helper.bind().execute(sa.text("INSERT INTO t (id, n) VALUES (1, 1)"))
        """, 'op.drop_table("t")', top="import kept_bind_helper"),
        "b2.py": h.script("b2", "a1", """
            op.add_column("t", sa.Column("m", sa.Integer))
            bind = kept_bind_helper.bind()
            if "m" in {c["name"] for c in sa.inspect(bind).get_columns("t")}:
                bind.execute(sa.text("UPDATE t SET m = n + 1"))
        """, 'op.drop_column("t", "m")', top="import kept_bind_helper"),
    }
    return h.write(root, scripts, ["postgresql", "sqlite"], 'prepend_sys_path = ["src"]\n')


def test_a_kept_connection_records_into_the_revision_using_it(
        tmp_path: Path, pg_db: dbs.PostgresDB, sqlite_db: dbs.SQLiteDB) -> None:
    root = _project(tmp_path)
    for db, dialect in ((pg_db, "postgresql"), (sqlite_db, "sqlite")):
        files = sp.render(root, dialect)
        first, second = (sp.sql_text(p) for p in files.upgrade)
        assert "INSERT INTO t (id, n) VALUES (1, 1)" in first
        assert "UPDATE t SET m = n + 1" in second and "UPDATE" not in first
        for path in files.upgrade:
            sp.apply_ok(db, path)
        assert db.query("SELECT n, m FROM t") == [(1, 2)]
