"""The dev loop (upgrade/downgrade/current/stamp) against a real PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

import dbs
from click.testing import CliRunner
from sqlc_project import CONFIG_NAME, copy_example, run_cli, snapshot, version_rows

from sqlcompile.cli import cli

HEAD = "6e1d2f4a8c30"
BRANCH_A = "c4a91f3e7d25"


def test_upgrade_downgrade_current_and_stamp(pg_db: dbs.PostgresDB, tmp_path: Path) -> None:
    root = copy_example(tmp_path / "project")
    url = ("--url", pg_db.url)
    run_cli(root, "upgrade", *url)
    assert version_rows(pg_db) == [HEAD]
    assert run_cli(root, "current", *url)[0].decode().split() == [HEAD]
    assert "order_items" in pg_db.tables()

    run_cli(root, "downgrade", BRANCH_A, *url)  # keeps branch A, undoes branch B and later
    assert version_rows(pg_db) == [BRANCH_A]
    assert "tags" not in pg_db.tables() and "reviews" in pg_db.tables()

    run_cli(root, "upgrade", *url)
    run_cli(root, "downgrade", "base", *url)
    assert pg_db.tables() == ["sqlcompile_version"] and version_rows(pg_db) == []
    assert run_cli(root, "current", *url)[0].decode().strip() == "base (no revision applied)"
    run_cli(root, "upgrade", *url)  # a database downgraded to base upgrades again
    assert version_rows(pg_db) == [HEAD]
    run_cli(root, "downgrade", "base", *url)

    run_cli(root, "stamp", "heads", *url)
    assert version_rows(pg_db) == [HEAD]
    assert pg_db.tables() == ["sqlcompile_version"]  # stamping runs no migration


def test_failing_statement_rolls_back_and_exits_1(pg_db: dbs.PostgresDB, tmp_path: Path) -> None:
    root = copy_example(tmp_path / "project")
    run_cli(root, "upgrade", "8d2e4b6a1c93", "--url", pg_db.url)
    before = snapshot(pg_db)
    pg_db.query('CREATE TABLE "orders" (id INTEGER)')  # the next revision creates it too
    with_orders = snapshot(pg_db)
    result = CliRunner().invoke(cli, ["--config", str(root / CONFIG_NAME), "upgrade",
                                      "--url", pg_db.url], catch_exceptions=False)
    assert result.exit_code == 1
    assert "create_table orders" in result.stderr and "already exists" in result.stderr
    assert snapshot(pg_db) == with_orders != before
    assert version_rows(pg_db) == ["8d2e4b6a1c93"]
