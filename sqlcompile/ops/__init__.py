"""Dialect-free operation dataclasses; importing this package fills the registry `OPS`."""

from __future__ import annotations

from sqlcompile.ops import batch_ops, constraint_ops, data_ops, index_ops, table_ops
from sqlcompile.ops.base import OPS, IrreversibleOperation, Op

__all__ = ["OPS", "IrreversibleOperation", "Op", "batch_ops", "constraint_ops", "data_ops",
           "index_ops", "table_ops"]
