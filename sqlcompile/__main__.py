"""`python -m sqlcompile`."""

from __future__ import annotations

from sqlcompile.cli import main

main()
