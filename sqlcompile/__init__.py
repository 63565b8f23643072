"""sqlcompile: compile Alembic-format migration histories into reviewed, guarded, validated SQL."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "context", "op"]


def __getattr__(name: str) -> Any:
    # `from sqlcompile import op` must not pull SQLAlchemy into `sqlcompile --help`.
    if name in ("op", "context"):
        from sqlcompile.sources import proxy

        return getattr(proxy, name)
    raise AttributeError(name)
