"""The committed sql_out/ matches a fresh render: `make test` fails when it is stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_sql_out_is_up_to_date() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sqlcompile", "check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, (
        "sql_out/ is stale or the history does not compile; run `sqlcompile render` and review "
        f"the diff:\n{proc.stderr}"
    )
    assert "SQL files up to date" in proc.stderr
